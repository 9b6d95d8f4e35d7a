/** File uploads: drop zone and picker, per-file progress with MB/s and cancel, three at a time. */

import { describeError } from "../api/client.js";
import { assets } from "../api/v1.js";
import { button, formatBytes, h, progressBar } from "./dom.js";

const PARALLEL = 3;

/** The likely kind of a file, from its type and name (the "automatic" kind). @param {File} file */
export function guessKind(file) {
	const major = file.type.split("/")[0];
	if (["image", "audio", "video"].includes(major)) return major;
	if (/\.(safetensors|ckpt|pt|lora)$/i.test(file.name)) return "lora";
	return /\.(pdf|txt|md|docx?|odt|rtf|epub)$/i.test(file.name) ? "document" : "file";
}

/**
 * @param {{queryFor: (file: File) => Record<string, any>, onUploaded: (asset: import("../api/v1.js").Asset) => void}} options `queryFor` gives the upload's query (kind, entity_id, role).
 */
export function uploader(options) {
	/** @type {(() => void)[]} */ const waiting = [];
	let running = 0;
	const list = h("ul.upload-list", { "aria-label": "Uploads" });
	const fileInput = h("input", { type: "file", multiple: true, hidden: true, "aria-label": "Files to upload" });
	const zone = h("div.drop-zone", h("p", "Drop files here, or ", button("Choose files…", () => fileInput.click())), fileInput);

	const startNext = () => {
		for (; running < PARALLEL && waiting.length; running += 1) /** @type {() => void} */ (waiting.shift())();
	};

	/** @param {File} file */
	const add = (file) => {
		const bar = progressBar(0, `Upload progress of ${file.name}`);
		const status = h("span.status", { text: "Waiting…" });
		/** @type {(() => void) | null} */ let cancel = null;
		const cancelButton = h("button", { type: "button", text: "Cancel", "aria-label": `Cancel upload of ${file.name}` });
		const row = h("li.upload-item", h("span.name", { title: file.name, text: file.name }), bar, status, cancelButton);
		/** @param {string} state @param {string} text */
		const settle = (state, text) => {
			row.classList.add(state);
			status.textContent = text;
			cancelButton.hidden = true;
		};
		const start = () => {
			status.textContent = "Starting…";
			let speed = "";
			const transfer = assets.upload(file, options.queryFor(file), (progress) => {
				bar.value = (100 * progress.loaded) / (progress.total || 1);
				speed = `${(progress.bytesPerSecond / 1048576).toFixed(1)} MB/s`;
				status.textContent = `${formatBytes(progress.loaded)} of ${formatBytes(progress.total)} · ${speed}`;
			});
			cancel = transfer.cancel;
			transfer.promise
				.then((asset) => {
					bar.value = 100;
					settle("done", `Done · ${formatBytes(asset.byte_size)}${speed && ` at ${speed}`}`);
					options.onUploaded(asset);
				})
				.catch((error) => settle("failed", describeError(error)))
				.finally(() => {
					running -= 1;
					startNext();
				});
		};
		cancelButton.addEventListener("click", () => {
			if (cancel) return cancel();
			waiting.splice(waiting.indexOf(start), 1);
			settle("failed", "Canceled.");
		});
		list.append(row);
		waiting.push(start);
	};

	/** @param {Iterable<File>} files */
	const addFiles = (files) => {
		for (const file of files) add(file);
		startNext();
	};
	fileInput.addEventListener("change", () => {
		addFiles(fileInput.files || []);
		fileInput.value = "";
	});
	zone.addEventListener("dragover", (event) => {
		event.preventDefault();
		zone.classList.add("dragging");
	});
	zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
	zone.addEventListener("drop", (event) => {
		event.preventDefault();
		zone.classList.remove("dragging");
		addFiles(event.dataTransfer?.files || []);
	});
	return { element: h("div", zone, list), fileInput };
}
