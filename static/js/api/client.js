/**
 * The only place that talks HTTP. Every /v1 reply is an envelope `{ok, data, error}`:
 * `request()` returns `data` or throws an `ApiError` with the error's code, message and
 * details, so no caller looks at envelopes or status codes.
 *
 * Credentials travel in the HttpOnly `ff_token` cookie set by `POST /ui/login`; the browser
 * adds it, and the same-origin `Origin` header the CSRF check wants, by itself. A 401 (except
 * from the login call) is reported to the `onUnauthorized` listeners.
 */

/** @typedef {{loc: (string|number)[], msg: string, type?: string}} ValidationIssue */

export class ApiError extends Error {
  /**
   * @param {number} status  HTTP status; 0 when no reply arrived
   * @param {string} code  `validation_error`, `not_found` …, or `network_error`, `canceled`
   * @param {string} message
   * @param {any} [details]
   */
  constructor(status, code, message, details = null) {
    super(message);
    Object.assign(this, { name: "ApiError", status, code, details });
  }

  /** The validation issues of a 422 (empty for other errors). @returns {ValidationIssue[]} */
  get issues() {
    return Array.isArray(this.details) ? this.details.filter((issue) => Array.isArray(issue?.loc) && typeof issue.msg === "string") : [];
  }
}

/** @type {(() => void)[]} */
const unauthorizedListeners = [];

/** Call `listener` whenever the server answers 401 (logged out, or the token changed). */
export const onUnauthorized = (/** @type {() => void} */ listener) => unauthorizedListeners.push(listener);

/**
 * `/v1/x` + `{a: 1, b: "", c: [1, 2]}` → `/v1/x?a=1&c=1&c=2` (empty values left out).
 * @param {string} path
 * @param {Record<string, any>} [query]
 */
export function withQuery(path, query = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const item of [value].flat()) if (item !== undefined && item !== null && item !== "") search.append(key, String(item));
  }
  return search.size ? `${path}?${search}` : path;
}

/**
 * A reply → its data, or an ApiError.
 * @param {number} status
 * @param {string} text  the body
 * @param {boolean} reportUnauthorized
 */
function unwrap(status, text, reportUnauthorized) {
  let document = null;
  try {
    document = JSON.parse(text);
  } catch {
    // not JSON: described below by its status
  }
  if (status < 400 && document?.ok === true) return document.data;
  if (status === 401 && reportUnauthorized) unauthorizedListeners.forEach((listener) => listener());
  const error = document?.error;
  if (error) throw new ApiError(status, error.code, error.message, error.details);
  throw new ApiError(status, "http_error", `The server answered with status ${status} and no explanation.`);
}

/**
 * @param {string} method
 * @param {string} path  a path on this server (`/v1/…`, `/ui/login`)
 * @param {{query?: Record<string, any>, body?: any, reportUnauthorized?: boolean}} [options]
 * @returns {Promise<any>} the envelope's `data`
 */
export async function request(method, path, options = {}) {
  /** @type {Record<string, string>} */ const headers = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(withQuery(path, options.query), { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "network_error", "Could not reach the FaceForge server. Is it still running?");
  }
  return unwrap(response.status, await response.text(), options.reportUnauthorized ?? true);
}

/** @typedef {{loaded: number, total: number, bytesPerSecond: number}} UploadProgress  bytes sent, of total; average speed */

/**
 * Send one file as `multipart/form-data` (part `file`) with progress events. XMLHttpRequest,
 * not fetch, because only it reports upload progress.
 * @param {string} path
 * @param {Record<string, any>} query
 * @param {File} file
 * @param {(progress: UploadProgress) => void} onProgress
 * @returns {{promise: Promise<any>, cancel: () => void}}
 */
export function upload(path, query, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const started = performance.now();
  const promise = new Promise((resolve, reject) => {
    xhr.open("POST", withQuery(path, query));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      const seconds = Math.max((performance.now() - started) / 1000, 0.001);
      onProgress({ loaded: event.loaded, total: event.total || file.size, bytesPerSecond: event.loaded / seconds });
    });
    xhr.addEventListener("load", () => {
      try {
        resolve(unwrap(xhr.status, xhr.responseText, true));
      } catch (error) {
        reject(error);
      }
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network_error", "The upload was interrupted: the server could not be reached.")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "canceled", "Upload canceled.")));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
  return { promise, cancel: () => xhr.abort() };
}

/**
 * `["body", "fields", "age"]` → `fields.age`: where in the request, without body/query/path.
 * @param {(string|number)[]} loc
 */
export const fieldPath = (loc) => (["body", "query", "path"].includes(String(loc[0])) ? loc.slice(1) : loc).join(".");

/**
 * A readable sentence for any error, naming the fields of a validation error.
 * @param {unknown} error
 */
export function describeError(error) {
  if (!(error instanceof ApiError)) return `Unexpected problem in the page: ${error instanceof Error ? error.message : String(error)}`;
  const issues = error.issues.map((issue) => `${fieldPath(issue.loc) || "request"}: ${issue.msg}`);
  const text = issues.length ? `${error.message} — ${issues.join("; ")}` : error.message;
  return error.status ? `${text} (${error.status} ${error.code})` : text;
}
