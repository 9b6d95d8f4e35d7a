/** Hash routing: `#/entities/<id>?tab=attachments` names a screen and its state, so reloads and links restore it. */

/** @typedef {{path: string, params: URLSearchParams}} Route  `params`: the part after `?` */

/**
 * @typedef {object} RouteEntry
 * @property {string} pattern  e.g. `/entities/:id`
 * @property {string} nav  the main navigation entry it belongs to (`:name` parts filled from the path)
 * @property {new (route: Route, match: Record<string, string>) => import("./scenes/scene.js").Scene} scene
 */

/** @param {string} hash  `location.hash` @returns {Route} */
export function parseHash(hash) {
	const [path, query = ""] = hash.replace(/^#/, "").split(/\?(.*)/s);
	return { path: decodeURI(path).replace(/\/+$/, "") || "/", params: new URLSearchParams(query) };
}

/** Go to a screen (a history entry; the router reacts to the hash change). @param {string} hash */
export const go = (hash) => location.assign(hash);

/**
 * Record the screen's state (search, filters, tab) in the address, without a history entry or
 * a re-render, so a reload comes back to it. Empty values are left out.
 * @param {Record<string, any>} params
 */
export function setParams(params) {
	const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== "" && value != null)).toString();
	history.replaceState(history.state, "", `#${parseHash(location.hash).path}${query && `?${query}`}`);
}

/**
 * The entry whose pattern matches `path`, with the `:name` parts as `match.name`.
 * @param {RouteEntry[]} entries @param {string} path
 */
export function resolve(entries, path) {
	const parts = path.split("/").filter(Boolean);
	for (const entry of entries) {
		const pattern = entry.pattern.split("/").filter(Boolean);
		/** @type {Record<string, string>} */ const match = {};
		if (pattern.length === parts.length && pattern.every((part, index) => (part[0] === ":" ? (match[part.slice(1)] = parts[index]) : part === parts[index]))) {
			return { entry, match };
		}
	}
	return null;
}
