/**
 * Every file the UI sends goes through `uploadFile()`: one `POST /v1/assets/upload` as multipart/form-data
 * (part `file`, and part `meta` for a `_meta.json` sidecar). Callers see only its options and its promise, so
 * the transport (XMLHttpRequest today, because only it reports upload progress) can change alone.
 */

import { ApiError, unwrap, withQuery } from "./client.js";

/** @typedef {{loaded: number, total: number, bytesPerSecond: number}} UploadProgress */

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

/** @param {File} file @param {UploadOptions} [options] @returns {Promise<import("./v1.js").Asset>} */
export function uploadFile(file, { kind, entityId, role, meta, derivedFrom, onProgress, signal } = {}) {
	const form = new FormData();
	if (meta) form.append("meta", meta, meta.name);
	form.append("file", file, file.name);
	const xhr = new XMLHttpRequest();
	const started = performance.now();
	return new Promise((resolve, reject) => {
		xhr.open("POST", withQuery("/v1/assets/upload", { kind, entity_id: entityId, role, derived_from: derivedFrom }));
		xhr.setRequestHeader("Accept", "application/json");
		xhr.upload.onprogress = (event) => onProgress?.({ loaded: event.loaded, total: event.total || file.size, bytesPerSecond: event.loaded / Math.max((performance.now() - started) / 1000, 0.001) });
		xhr.onload = () => {
			try {
				resolve(unwrap(xhr.status, xhr.responseText, true));
			} catch (error) {
				reject(error);
			}
		};
		xhr.onerror = () => reject(new ApiError(0, "network_error", "The upload was interrupted: the server could not be reached."));
		xhr.onabort = () => reject(new ApiError(0, "canceled", "Upload canceled."));
		signal?.addEventListener("abort", () => xhr.abort());
		xhr.send(form);
	});
}
