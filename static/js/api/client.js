/**
 * The only place that talks HTTP. Every reply of the /v1 API is an envelope
 * `{ok, data, error}`: `request()` returns `data` or throws an `ApiError` carrying the
 * error's code, message and details, so callers never look at envelopes or status codes.
 *
 * Credentials travel in the HttpOnly `ff_token` cookie set by `POST /ui/login`; the browser
 * adds it (and the same-origin `Origin` header the CSRF check wants) by itself. A 401 from
 * anything but the login call tells the listeners registered with `onUnauthorized`.
 */

/** @typedef {{loc: (string|number)[], msg: string, type?: string}} ValidationIssue */

export class ApiError extends Error {
  /**
   * @param {number} status  HTTP status, 0 when no reply arrived
   * @param {string} code  `validation_error`, `not_found` ... or `network_error`, `canceled`
   * @param {string} message
   * @param {any} [details]
   * @param {string | null} [requestId]
   */
  constructor(status, code, message, details = null, requestId = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }

  /** The validation issues of a 422 (empty for any other error). @returns {ValidationIssue[]} */
  get issues() {
    if (!Array.isArray(this.details)) return [];
    return this.details.filter((issue) => issue && Array.isArray(issue.loc) && typeof issue.msg === "string");
  }
}

/** @type {Set<() => void>} */
const unauthorizedListeners = new Set();

/** Call `listener` whenever the server answers 401 (not logged in, or the token changed). */
export function onUnauthorized(/** @type {() => void} */ listener) {
  unauthorizedListeners.add(listener);
}

/**
 * `/v1/x` + `{a: 1, b: undefined, c: [1, 2]}` → `/v1/x?a=1&c=1&c=2`; empty values are left out.
 * @param {string} path
 * @param {Record<string, any>} [query]
 */
export function withQuery(path, query) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== "") search.append(key, String(item));
    }
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * Turn a reply into data or an ApiError.
 * @param {number} status
 * @param {string} text  the body
 * @param {string | null} requestId
 * @param {boolean} reportUnauthorized
 */
function unwrap(status, text, requestId, reportUnauthorized) {
  /** @type {any} */ let document = null;
  try {
    document = JSON.parse(text);
  } catch {
    document = null;
  }
  if (document && document.ok === true && status < 400) return document.data;
  const error = document && document.error
    ? new ApiError(status, document.error.code, document.error.message, document.error.details, requestId)
    : new ApiError(status, "http_error", `The server answered with status ${status} and no explanation.`, null, requestId);
  if (status === 401 && reportUnauthorized) unauthorizedListeners.forEach((listener) => listener());
  throw error;
}

/**
 * @param {string} method
 * @param {string} path  an absolute path on this server (`/v1/...`, `/ui/login`)
 * @param {{query?: Record<string, any>, body?: any, reportUnauthorized?: boolean}} [options]
 * @returns {Promise<any>} the envelope's `data`
 */
export async function request(method, path, options = {}) {
  /** @type {RequestInit} */
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    init.headers = { ...init.headers, "Content-Type": "application/json" };
  }
  let response;
  try {
    response = await fetch(withQuery(path, options.query), init);
  } catch {
    throw new ApiError(0, "network_error", "Could not reach the FaceForge server. Is it still running?");
  }
  const text = await response.text();
  return unwrap(response.status, text, response.headers.get("X-Request-Id"), options.reportUnauthorized ?? true);
}

/**
 * @typedef {object} UploadProgress
 * @property {number} loaded  bytes sent so far
 * @property {number} total
 * @property {number} bytesPerSecond  average since the start
 */

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
        resolve(unwrap(xhr.status, xhr.responseText, xhr.getResponseHeader("X-Request-Id"), true));
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
 * A readable sentence for any error, naming the fields of a validation error.
 * @param {unknown} error
 */
export function describeError(error) {
  if (!(error instanceof ApiError)) {
    return error instanceof Error ? `Unexpected problem in the page: ${error.message}` : String(error);
  }
  const issues = error.issues.map((issue) => `${fieldPath(issue.loc) || "request"}: ${issue.msg}`);
  const text = issues.length ? `${error.message} — ${issues.join("; ")}` : error.message;
  return error.status === 0 ? text : `${text} (${error.status} ${error.code})`;
}

/**
 * `["body", "fields", "age"]` → `fields.age`: the location without where it came from.
 * @param {(string|number)[]} loc
 */
export function fieldPath(loc) {
  const parts = ["body", "query", "path"].includes(String(loc[0])) ? loc.slice(1) : loc;
  return parts.join(".");
}
