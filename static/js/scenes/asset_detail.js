/** One asset: preview, details, its entities, edit, signed download URL, metadata entries (a model file's summary readably), derived assets. */

import { assets } from "../api/v1.js";
import { go } from "../router.js";
import { dangerButton } from "../ui/dialog.js";
import { button, card, facts, field, formatBytes, h, link, replace, shortId, submitButton, textInput, timeElement } from "../ui/dom.js";
import { actionForm, readInto } from "../ui/form.js";
import { jsonView } from "../ui/json_view.js";
import { showError, showSuccess } from "../ui/notices.js";
import { downloadLink, largePreview } from "../ui/preview.js";
import { jsonInput } from "../ui/value_input.js";
import { stepBadge } from "./assets.js";
import { Scene } from "./scene.js";

/** @typedef {import("../api/v1.js").Asset} Asset */

const EXPIRY = { 3600: "1 hour", 86400: "1 day", 604800: "7 days" };
const MODEL_SOURCE = "Safetensors";

/** Width × height and duration, when known. @param {Asset["media"]} media @returns {[string, string][]} */
function mediaFacts(media) {
	const rows = /** @type {[string, string][]} */ ([]);
	if (media?.width && media.height) rows.push(["Dimensions", `${media.width} × ${media.height} px`]);
	if (media?.duration_seconds) rows.push(["Duration", `${media.duration_seconds.toFixed(1)} s`]);
	return rows;
}

/**
 * A model file's `Safetensors` summary, readably: architecture, base model, tensor count, trigger words as chips (the
 * whole header is under Metadata).
 * @param {{summary?: {architecture?: string | null, base_model?: string | null, trigger_words?: string[], tensor_count?: number}}} data
 */
function modelSummary(data) {
	const summary = data.summary || {};
	const words = summary.trigger_words || [];
	return facts([
		["Architecture", summary.architecture || "unknown"],
		["Base model", summary.base_model || "unknown"],
		["Tensors", String(summary.tensor_count ?? "unknown")],
		["Trigger words", words.length ? h("span.chips", words.map((word) => h("span.chip", { text: word }))) : "none recorded"],
	]);
}

/**
 * Copy the input's text; where the clipboard is not available the text stays selected.
 * @param {HTMLInputElement} input
 */
async function copy(input) {
	input.select();
	try {
		await navigator.clipboard.writeText(input.value);
		showSuccess("Link copied to the clipboard.");
	} catch {
		showSuccess("Link selected: press Ctrl+C (⌘C) to copy it.");
	}
}

export class AssetDetailScene extends Scene {
	body = h("div.stack");

	show(/** @type {HTMLElement} */ root) {
		super.show(root);
		this.setTitle("Asset");
		root.append(h("p", link("#/assets", "← All assets")), this.body);
		this.load();
	}

	load() {
		this.fill(this.body, "Loading the asset", async () => {
			const asset = await assets.get(this.match.id);
			this.setTitle(asset.filename);
			const model = asset.meta?.metadata?.find((entry) => entry.Source === MODEL_SOURCE);
			const derived = h("div");
			this.fill(derived, "Loading the derived assets", async () => {
				const { items } = await assets.derived(asset.asset_id);
				if (!items.length) return h("p.muted", { text: "No assets were derived from this one." });
				return h("ul", items.map((item) => h("li", link(`#/assets/${item.asset_id}`, item.filename), ` · ${item.kind} · ${formatBytes(item.byte_size)}`)));
			});
			const remove = dangerButton("Delete…", asset.filename, `Delete “${asset.filename}”? It is unlinked from every entity.`, async () => {
				await assets.remove(asset.asset_id);
				showSuccess(`Deleted ${asset.filename}.`);
				go("#/assets");
			});
			return [
				h("div.page-head", h("h1", { text: asset.filename }), h("div.actions", downloadLink(asset, true), remove)),
				h("div.two-columns", card("Details", this.facts(asset)), model ? card("Model", modelSummary(model.Data)) : largePreview(asset)),
				card("Entities", this.linkedEntities(asset)),
				this.editForm(asset),
				this.signedUrl(asset),
				card("Metadata", this.metadata(asset)),
				card("Derived assets", derived, h("p", link(`#/assets?derived_from=${asset.asset_id}`, "Upload a derived file…"))),
			];
		});
	}

	facts(asset) {
		const source = asset.derived_from_asset_id;
		return facts([
			["Asset id (SHA-256)", h("code", { text: asset.asset_id })],
			["Kind", asset.kind],
			["Type", asset.mime_type || "unknown"],
			["Size", `${formatBytes(asset.byte_size)} (${asset.byte_size.toLocaleString()} bytes)`],
			["Stored in", [asset.storage_provider, " ", h("code", { text: asset.storage_key })]],
			["Metadata", stepBadge("metadata", asset.metadata_status)],
			["Thumbnails", stepBadge("thumbnails", asset.thumbnail_status || "unknown")],
			...mediaFacts(asset.media),
			["Derived from", source ? h("a", { href: `#/assets/${source}` }, shortId(source)) : "—"],
			["Added", timeElement(asset.created_at)],
			["Updated", timeElement(asset.updated_at)],
		]);
	}

	editForm(asset) {
		const kind = textInput(asset.kind);
		const filename = textInput(asset.filename);
		const userMetadata = jsonInput(asset.user_metadata);
		const metadataField = field("User metadata (JSON object)", userMetadata.control, { field: "user_metadata" });
		return actionForm(
			{ class: "card", "aria-label": "Edit asset" },
			async () => {
				const metadata = readInto(userMetadata.read, metadataField);
				if (!metadata.ok) return;
				await assets.update(asset.asset_id, { kind: kind.value, filename: filename.value, user_metadata: metadata.value ?? {} });
				showSuccess("Saved.");
				this.load();
			},
			[
				h("h2", { text: "Edit" }),
				h("div.form-grid", field("Kind", kind, { field: "kind" }), field("File name", filename, { field: "filename" })),
				metadataField,
				submitButton("Save"),
			],
		);
	}

	signedUrl(asset) {
		const expiry = h("select", Object.entries(EXPIRY).map(([value, text]) => h("option", { value, text })));
		const output = h("div");
		const create = async () => {
			try {
				const signed = await assets.signedUrl(asset.asset_id, Number(expiry.value));
				const url = textInput(new URL(signed.url, location.origin).href, { readOnly: true, class: "mono wide-input", "aria-label": "Signed download URL" });
				const note = h("span.muted", "Valid until ", timeElement(signed.expires_at), ". Anyone with this link can download this one file.");
				replace(output, url, h("p.row", button("Copy", () => copy(url)), note));
				copy(url);
			} catch (error) {
				showError(error, "Creating the download link");
			}
		};
		return card(
			"Share a download link",
			h("p.hint", { text: "A signed URL works without a token, for tools that cannot send one." }),
			h("div.toolbar", field("Valid for", expiry), button("Copy signed download URL", create)),
			output,
		);
	}

	/** The entities this asset is linked to, each a link, with its role. */
	linkedEntities(asset) {
		const list = h("div");
		this.fill(list, "Loading the entities", async () => {
			const { items } = await assets.entities(asset.asset_id);
			if (!items.length) return h("p.muted", { text: "Not linked to any entity." });
			return h("ul", items.map((item) => h("li", link(`#/entities/${item.entity_id}`, item.display_name), item.role ? ` · ${item.role}` : "")));
		});
		return list;
	}

	/** The metadata entries as JSON, the first one open (unless it is the model header, summarised above). */
	metadata(asset) {
		const entries = asset.meta?.metadata || [];
		if (!entries.length) return h("p.muted", { text: asset.metadata_status === "pending" ? "Metadata is still being extracted." : "No metadata entries." });
		return entries.map((entry, index) =>
			h("details.json-node", { open: index === 0 && entry.Source !== MODEL_SOURCE }, h("summary", h("strong", { text: entry.Source || "Entry" }), entry.Name ? ` · ${entry.Name}` : ""), h("div.json-children", jsonView(entry.Data))),
		);
	}
}
