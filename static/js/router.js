/**
 * Hash routing: `#/entities/<id>?tab=attachments` names a screen and its state, so a reload,
 * a bookmark or a link restores exactly that screen. The hash never reaches the server.
 */

/**
 * @typedef {object} Route
 * @property {string} path  e.g. `/entities/abc`
 * @property {URLSearchParams} params  the part after `?`
 */

/** @param {string} hash  `location.hash` */
export function parseHash(hash) {
  const raw = hash.replace(/^#/, "");
  const cut = raw.indexOf("?");
  const path = decodeURI(cut < 0 ? raw : raw.slice(0, cut));
  const query = cut < 0 ? "" : raw.slice(cut + 1);
  return /** @type {Route} */ ({ path: path.replace(/\/+$/, "") || "/", params: new URLSearchParams(query) });
}

/**
 * `#/entities` + `{q: "ann", tag: ""}` → `#/entities?q=ann` (empty values left out).
 * @param {string} path
 * @param {Record<string, string | number | boolean | null | undefined>} [params]
 */
export function href(path, params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "" && value !== false) search.set(key, String(value));
  }
  const query = search.toString();
  return `#${path}${query ? `?${query}` : ""}`;
}

/** Go to a screen (adds a history entry; the router reacts to the hash change). */
export function go(/** @type {string} */ path, /** @type {Record<string, any>} */ params = {}) {
  location.hash = href(path, params);
}

/**
 * Record the current screen's state in the address without re-rendering or adding a history
 * entry (search text, filters, the open tab), so a reload comes back to it.
 * @param {Record<string, any>} params
 */
export function setParams(params) {
  const { path } = parseHash(location.hash);
  history.replaceState(history.state, "", href(path, params));
}

/**
 * @typedef {object} RouteEntry
 * @property {string} pattern  `/entities/:id`
 * @property {string} nav  which main navigation link is current
 * @property {new (route: Route, match: Record<string, string>) => import("./scenes/scene.js").Scene} scene
 */

/**
 * Find the entry whose pattern matches the path; `:name` segments become `match.name`.
 * @param {RouteEntry[]} entries
 * @param {string} path
 * @returns {{entry: RouteEntry, match: Record<string, string>} | null}
 */
export function resolve(entries, path) {
  const parts = path.split("/").filter(Boolean);
  for (const entry of entries) {
    const patternParts = entry.pattern.split("/").filter(Boolean);
    if (patternParts.length !== parts.length) continue;
    /** @type {Record<string, string>} */ const match = {};
    const matches = patternParts.every((patternPart, index) => {
      if (patternPart.startsWith(":")) {
        match[patternPart.slice(1)] = parts[index];
        return true;
      }
      return patternPart === parts[index];
    });
    if (matches) return { entry, match };
  }
  return null;
}
