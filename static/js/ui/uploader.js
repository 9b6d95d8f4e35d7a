/**
 * The upload form of the Attachments tab and the Assets page: kind, a link (the tab's entity, or one picked)
 * with a role, an optional `_meta.json` sidecar and the asset the files derive from; files come from a picker
 * or a drop, each with its progress and Cancel, three at a time. The bytes go through api/upload.js.
 */

import { describeError } from "../api/client.js";
import { uploadFile } from "../api/upload.js";
import { uploads } from "../api/v1.js";
import { KINDS } from "./bulk_import.js";
import { button, field, formatBytes, h, progressBar, textInput } from "./dom.js";
import { showError } from "./notices.js";
import { entityPicker } from "./picker.js";

/** @typedef {import("../api/upload.js").UploadOptions} UploadOptions */
/** @typedef {(asset: import("../api/v1.js").Asset) => void} OnUploaded */

const PARALLEL = 3;

/** The likely kind of a file, from its type and name (the "automatic" kind). @param {File} file */
export function guessKind(file) {
	const major = file.type.split("/")[0];
	if (["image", "audio", "video"].includes(major)) return major;
	if (/\.(safetensors|ckpt|pt|lora)$/i.test(file.name)) return "lora";
	return /\.(pdf|txt|md|docx?|odt|rtf|epub)$/i.test(file.name) ? "document" : "file";
}

/**
 * The fields apply to the files chosen while they are set.
 * @param {{entityId?: string, derivedFrom?: string, dropTarget?: HTMLElement, onUploaded: OnUploaded}} options
 *   `entityId`: link every file to it (else an entity may be picked); `derivedFrom`: the field's first value;
 *   `dropTarget`: an area around the form that takes dropped files (the whole page), else the drop zone does
 */
export function uploadForm(options) {
	const kind = h("select", h("option", { value: "auto", text: "Automatic" }), KINDS.map((value) => h("option", { value, text: value })));
	const entity = options.entityId ? null : entityPicker("Link to entity (optional)", "entity_id");
	const role = textInput("", { placeholder: "optional, e.g. reference" });
	const sidecar = h("input", { type: "file", accept: ".json,application/json" });
	const derivedFrom = textInput(options.derivedFrom, { placeholder: "optional asset id", spellcheck: false });
	/** @param {File} file @returns {UploadOptions} */
	const optionsFor = (file) => ({
		kind: kind.value === "auto" ? guessKind(file) : kind.value,
		entityId: options.entityId || entity?.selected()?.entity_id,
		role: role.value.trim(),
		meta: sidecar.files?.[0],
		derivedFrom: derivedFrom.value.trim(),
	});
	return h(
		"div",
		h(
			"div.form-grid",
			field("Kind", kind, { hint: "Automatic: image, audio, video… from the file type." }),
			entity?.element,
			field("Role", role),
			field("Sidecar (_meta.json)", sidecar, { hint: "Optional JSON metadata stored with each file." }),
			field("Derived from", derivedFrom, { hint: "The id of the asset these files were made from." }),
		),
		uploadQueue(optionsFor, options.onUploaded, options.dropTarget),
	);
}

/** `75` → `1 min 15 s`. @param {number} seconds */
function formatDuration(seconds) {
	const [hours, minutes] = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60];
	if (hours) return `${hours} h ${minutes} min`;
	return minutes ? `${minutes} min ${Math.round(seconds % 60)} s` : `${Math.ceil(seconds)} s`;
}

/**
 * A drop zone with a file picker, and a list of uploads with progress (bytes, percent, speed, time left, or
 * "retrying" while the connection is down) and Cancel.
 * @param {(file: File) => UploadOptions} optionsFor @param {OnUploaded} onUploaded @param {HTMLElement} [dropTarget]
 */
function uploadQueue(optionsFor, onUploaded, dropTarget) {
	/** @type {(() => void)[]} */ const waiting = [];
	let running = 0;
	const list = h("ul.upload-list", { "aria-label": "Uploads" });
	const fileInput = h("input", { type: "file", multiple: true, hidden: true, "aria-label": "Files to upload" });
	const zone = h("div.drop-zone", h("p", "Drop files here, or ", button("Choose files…", () => fileInput.click())), fileInput);
	const unfinished = h("div.unfinished-uploads", { hidden: true });

	/** While nothing is being sent, the uploads the server holds unfinished (from an earlier visit) are listed. */
	const listUnfinished = () => {
		if (running || waiting.length) return;
		uploads.list().then(({ items }) => {
			const lines = items.map((upload) => h("li", `${upload.filename}: ${formatBytes(upload.upload_offset)} of ${formatBytes(upload.upload_length)}`));
			unfinished.replaceChildren(h("p.hint", "Unfinished uploads (pick the file again to resume):"), h("ul", lines));
			unfinished.hidden = !items.length || Boolean(running);
		}, showError);
	};
	const startNext = () => {
		for (; running < PARALLEL && waiting.length; running += 1) /** @type {() => void} */ (waiting.shift())();
		if (running) unfinished.hidden = true;
	};

	/** @param {File} file */
	const add = (file) => {
		const uploadOptions = optionsFor(file);
		const canceler = new AbortController();
		const bar = progressBar(0, `Upload progress of ${file.name}`);
		const status = h("span.status", { text: "Waiting…" });
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
			/** @param {import("../api/upload.js").UploadProgress} progress */
			const onProgress = ({ loaded, total, bytesPerSecond, retryIn }) => {
				row.classList.toggle("retrying", Boolean(retryIn));
				bar.value = (100 * loaded) / (total || 1);
				speed = `${(bytesPerSecond / 1048576).toFixed(1)} MB/s`;
				const sent = `${formatBytes(loaded)} of ${formatBytes(total)} (${Math.floor(bar.value)} %)`;
				const left = bytesPerSecond ? ` · ${formatDuration((total - loaded) / bytesPerSecond)} left` : "";
				status.textContent = retryIn ? `${sent} · connection lost, retrying in ${retryIn} s…` : `${sent} · ${speed}${left}`;
			};
			uploadFile(file, { ...uploadOptions, onProgress, signal: canceler.signal })
				.then((asset) => {
					bar.value = 100;
					settle("done", `Done · ${formatBytes(asset.byte_size)}${speed && ` at ${speed}`}`);
					onUploaded(asset);
				})
				.catch((error) => settle("failed", describeError(error)))
				.finally(() => {
					running -= 1;
					startNext();
					listUnfinished();
				});
		};
		cancelButton.addEventListener("click", () => {
			const place = waiting.indexOf(start);
			if (place < 0) return canceler.abort();
			waiting.splice(place, 1);
			settle("failed", "Upload canceled.");
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
	const target = dropTarget || zone;
	target.addEventListener("dragover", (event) => {
		event.preventDefault();
		zone.classList.add("dragging");
	});
	target.addEventListener("dragleave", () => zone.classList.remove("dragging"));
	target.addEventListener("drop", (event) => {
		event.preventDefault();
		zone.classList.remove("dragging");
		addFiles(event.dataTransfer?.files || []);
	});
	listUnfinished();
	return h("div", zone, unfinished, list);
}
