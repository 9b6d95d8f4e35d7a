/**
 * The only place that talks HTTP (with api/upload.js for files). `request()` unwraps the `{ok, data, error}`
 * envelope: it returns `data` or throws an `ApiError`. Credentials are the HttpOnly cookie set by
 * `POST /ui/login`; the browser sends it (and the `Origin` the CSRF check wants) by itself.
 */

/** @typedef {{loc: (string|number)[], msg: string}} ValidationIssue */

export class ApiError extends Error {
	/**
	 * @param {number} status  0 when no reply arrived
	 * @param {string} code  `validation_error`, `not_found` …, `network_error`, `canceled`
	 * @param {string} message @param {any} [details]
	 */
	constructor(status, code, message, details = null) {
		super(message);
		this.name = "ApiError";
		this.status = status;
		this.code = code;
		this.details = details;
	}

	/** The validation issues of a 422. @returns {ValidationIssue[]} */
	get issues() {
		return Array.isArray(this.details) ? this.details.filter((issue) => Array.isArray(issue?.loc) && typeof issue.msg === "string") : [];
	}
}

/** @type {(() => void)[]} */
const unauthorizedListeners = [];

/** `listener` runs on every 401 except the login call's. @param {() => void} listener */
export const onUnauthorized = (listener) => unauthorizedListeners.push(listener);

/** `/v1/x` + `{a: 1, b: "", c: [1, 2]}` → `/v1/x?a=1&c=1&c=2`. @param {string} path @param {Record<string, any>} [query] */
export function withQuery(path, query = {}) {
	const search = new URLSearchParams();
	for (const [key, value] of Object.entries(query)) for (const item of [value].flat()) if (item != null && item !== "") search.append(key, String(item));
	return search.size ? `${path}?${search}` : path;
}

/** A reply → its data, or an ApiError. @param {number} status @param {string} text @param {boolean} report401 */
export function unwrap(status, text, report401) {
	let document = null;
	try {
		document = JSON.parse(text);
	} catch {
		// not JSON: described by its status below
	}
	if (status < 400 && document?.ok === true) return document.data;
	if (status === 401 && report401) unauthorizedListeners.forEach((listener) => listener());
	const error = document?.error;
	throw error ? new ApiError(status, error.code, error.message, error.details) : new ApiError(status, "http_error", `The server answered with status ${status} and no explanation.`);
}

/**
 * @param {string} method @param {string} path
 * @param {{query?: Record<string, any>, body?: any, report401?: boolean}} [options]
 * @returns {Promise<any>} the envelope's `data`
 */
export async function request(method, path, { query, body, report401 = true } = {}) {
	const init = { method, headers: { Accept: "application/json", ...(body === undefined ? {} : { "Content-Type": "application/json" }) }, body: body === undefined ? undefined : JSON.stringify(body) };
	let response;
	try {
		response = await fetch(withQuery(path, query), init);
	} catch {
		throw new ApiError(0, "network_error", "Could not reach the FaceForge server. Is it still running?");
	}
	return unwrap(response.status, await response.text(), report401);
}

/** `["body", "fields", "age"]` → `fields.age`. @param {(string|number)[]} loc */
export const fieldPath = (loc) => (["body", "query", "path"].includes(String(loc[0])) ? loc.slice(1) : loc).join(".");

/** A readable sentence for any error, naming the fields of a validation error. @param {unknown} error */
export function describeError(error) {
	if (!(error instanceof ApiError)) return `Unexpected problem in the page: ${error instanceof Error ? error.message : String(error)}`;
	const issues = error.issues.map((issue) => `${fieldPath(issue.loc) || "request"}: ${issue.msg}`);
	const text = issues.length ? `${error.message} — ${issues.join("; ")}` : error.message;
	return error.status ? `${text} (${error.status} ${error.code})` : text;
}
