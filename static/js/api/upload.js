/**
 * Every file the UI sends goes through `uploadFile()`, over tus 1.0.0 (`/v1/uploads`, API.md §9; our own small
 * client, see docs/ui.md): a POST creates the upload with its metadata, PATCHes of the server's chunk size carry
 * the bytes, and the last one makes the asset. A dropped connection or a 5xx is retried after 1, 2, 4 … 30 s from
 * the offset a HEAD reports. The upload's address is kept in localStorage under the file's name, size and
 * modification time, so the same file picked again after a reload continues where the server stopped.
 */

import { ApiError, unwrap } from "./client.js";
import { assets } from "./v1.js";

/** @typedef {{loaded: number, total: number, bytesPerSecond: number, retryIn?: number}} UploadProgress
 *  `retryIn`: the seconds until the next attempt, while the server cannot be reached */

/**
 * @typedef {object} UploadOptions
 * @property {string} [kind]  `file` when left out
 * @property {string} [entityId]  link the asset to this entity, with `role`
 * @property {string} [role]
 * @property {File} [meta]  the `_meta.json` sidecar; it becomes a `UserSidecar` metadata entry
 * @property {string} [derivedFrom]  the id of the asset this one was made from
 * @property {(progress: UploadProgress) => void} [onProgress]
 * @property {AbortSignal} [signal]  aborting it cancels the upload (an ApiError `canceled`)
 */

const RETRY_DELAYS_SECONDS = [1, 2, 4, 8, 16, 30, 30, 30, 30, 30];
const DEFAULT_CHUNK_BYTES = 8 * 1048576;

/** @param {File} file */
const storeKey = (file) => `faceforge.upload:${JSON.stringify([file.name, file.size, file.lastModified])}`;

/** tus `Upload-Metadata`: `key base64(value)` pairs, empty values left out. @param {Record<string, any>} values */
function encodeMetadata(values) {
	const pairs = Object.entries(values).filter(([, value]) => value?.length);
	const base64 = (/** @type {Uint8Array} */ bytes) => btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(""));
	return pairs.map(([key, value]) => `${key} ${base64(typeof value === "string" ? new TextEncoder().encode(value) : value)}`).join(",");
}

/**
 * One tus request; the reply if its status is `expected`, else the server's error as an ApiError.
 * @param {string} method @param {string} url @param {number} expected
 * @param {{headers?: Record<string, string>, body?: Blob, signal?: AbortSignal, onSent?: (bytes: number) => void}} [options]
 * @returns {Promise<XMLHttpRequest>}
 */
function send(method, url, expected, { headers = {}, body, signal, onSent } = {}) {
	const xhr = new XMLHttpRequest();
	const abort = () => xhr.abort();
	return new Promise((resolve, reject) => {
		xhr.open(method, url);
		for (const [name, value] of Object.entries({ "Tus-Resumable": "1.0.0", Accept: "application/json", ...headers })) xhr.setRequestHeader(name, value);
		if (onSent) xhr.upload.onprogress = (event) => onSent(event.loaded);
		xhr.onload = () => {
			try {
				resolve(xhr.status === expected ? xhr : unwrap(xhr.status, xhr.responseText, true));
			} catch (error) {
				reject(error);
			}
		};
		// An abort we did not ask for (the browser dropped the connection) is a network failure too.
		xhr.onerror = xhr.onabort = () => reject(signal?.aborted ? canceled() : new ApiError(0, "network_error", "The upload was interrupted: the server could not be reached."));
		xhr.onloadend = () => signal?.removeEventListener("abort", abort);
		signal?.addEventListener("abort", abort);
		if (signal?.aborted) abort();
		else xhr.send(body ?? null);
	});
}

/** Worth another try: no reply, a server error, or an offset that moved (409: HEAD tells the right one). @param {unknown} error */
const retryable = (error) => error instanceof ApiError && (error.code === "network_error" || error.status >= 500 || error.status === 409);

const canceled = () => new ApiError(0, "canceled", "Upload canceled.");

/** Wait `seconds`, or reject as canceled when `signal` aborts. @param {number} seconds @param {AbortSignal} [signal] */
const pause = (seconds, signal) =>
	new Promise((resolve, reject) => {
		const timer = setTimeout(resolve, seconds * 1000);
		const stop = () => {
			clearTimeout(timer);
			reject(canceled());
		};
		signal?.addEventListener("abort", stop, { once: true });
	});

/**
 * The offset to continue a stored upload from, or null when there is none for this file and metadata (or the
 * server no longer has it).
 * @param {File} file @param {string} metadata @param {AbortSignal} [signal]
 * @returns {Promise<{url: string, offset: number} | null>}
 */
async function storedUpload(file, metadata, signal) {
	const stored = JSON.parse(localStorage.getItem(storeKey(file)) || "null");
	if (stored?.metadata !== metadata) return null;
	try {
		const xhr = await send("HEAD", stored.url, 200, { signal });
		return Number(xhr.getResponseHeader("Upload-Length")) === file.size ? { url: stored.url, offset: Number(xhr.getResponseHeader("Upload-Offset")) } : null;
	} catch (error) {
		if (retryable(error) || (error instanceof ApiError && error.code === "canceled")) throw error;
		return null;
	}
}

/**
 * Send what the server lacks of `file`, from the stored upload or a new one; the new asset's id.
 * @param {File} file @param {string} metadata @param {(offset: number, confirmed: boolean) => void} onOffset
 * @param {AbortSignal} [signal]
 */
async function transfer(file, metadata, onOffset, signal) {
	const key = storeKey(file);
	let upload = await storedUpload(file, metadata, signal);
	if (!upload) {
		const headers = { "Upload-Length": String(file.size), "Upload-Metadata": metadata };
		const created = await send("POST", "/v1/uploads", 201, { headers, signal });
		upload = { url: /** @type {string} */ (created.getResponseHeader("Location")), offset: 0 };
		localStorage.setItem(key, JSON.stringify({ url: upload.url, metadata }));
	}
	const options = await send("OPTIONS", "/v1/uploads", 204, { signal });
	const chunkBytes = Number(options.getResponseHeader("FaceForge-Chunk-Size")) || DEFAULT_CHUNK_BYTES;
	for (let offset = upload.offset; ; ) {
		onOffset(offset, true);
		const headers = { "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(offset) };
		const body = file.slice(offset, offset + chunkBytes);
		const start = offset;
		const patched = await send("PATCH", upload.url, 204, { headers, body, signal, onSent: (bytes) => onOffset(start + bytes, false) });
		offset = Number(patched.getResponseHeader("Upload-Offset"));
		const assetId = patched.getResponseHeader("FaceForge-Asset-Id");
		if (assetId) return assetId;
		if (offset >= file.size) throw new ApiError(0, "incomplete", "The server has every byte but made no asset; pick the file again.");
	}
}

/** @param {File} file @param {UploadOptions} [options] @returns {Promise<import("./v1.js").Asset>} */
export function uploadFile(file, options = {}) {
	return uploadWithRetries(file, options).catch(async (error) => {
		await forget(file, error);
		throw error;
	});
}

/** @param {File} file @param {UploadOptions} options */
async function uploadWithRetries(file, { kind, entityId, role, meta, derivedFrom, onProgress, signal }) {
	const sidecar = meta && new Uint8Array(await meta.arrayBuffer());
	const metadata = encodeMetadata({ filename: file.name, filetype: file.type, kind, entity_id: entityId, role, derived_from: derivedFrom, meta: sidecar });
	const started = performance.now();
	/** @type {number | undefined} */ let firstOffset;
	let loaded = 0;
	let stored = 0;
	let failures = 0;
	const progress = (/** @type {number} */ retryIn = 0) => {
		const seconds = Math.max((performance.now() - started) / 1000, 0.001);
		onProgress?.({ loaded, total: file.size, bytesPerSecond: (loaded - (firstOffset ?? loaded)) / seconds, retryIn });
	};
	/** @param {number} offset @param {boolean} confirmed  the server has the bytes up to `offset` */
	const onOffset = (offset, confirmed) => {
		if (confirmed && offset > stored) {
			stored = offset;
			failures = 0; // it works again: the next drop waits 1 s
		}
		firstOffset ??= offset;
		loaded = offset;
		progress();
	};
	for (;;) {
		try {
			const assetId = await transfer(file, metadata, onOffset, signal);
			localStorage.removeItem(storeKey(file));
			return assets.get(assetId); // not awaited: failing to read the asset must not send the file again
		} catch (error) {
			if (!retryable(error) || failures === RETRY_DELAYS_SECONDS.length) throw error;
		}
		progress(RETRY_DELAYS_SECONDS[failures]);
		await pause(RETRY_DELAYS_SECONDS[failures++], signal);
	}
}

/**
 * After a refusal or a Cancel the stored upload cannot be continued: drop it (a Cancel also deletes its bytes on
 * the server). A network failure keeps it, so picking the file again resumes. @param {File} file @param {any} error
 */
async function forget(file, error) {
	const key = storeKey(file);
	const stored = JSON.parse(localStorage.getItem(key) || "null");
	if (!stored || error?.code === "network_error") return;
	localStorage.removeItem(key);
	if (error?.code === "canceled") await send("DELETE", stored.url, 204).catch(() => {}); // gone already: fine
}
