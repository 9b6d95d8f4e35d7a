/** The Attachments tab: upload with progress, link an existing asset, import a folder, list, download, unlink. */

import { assets, entities } from "../api/v1.js";
import { openBulkImportDialog } from "../ui/bulk_import.js";
import { button, card, debounce, field, formatBytes, h, table, textInput, timeElement, tr } from "../ui/dom.js";
import { actionForm } from "../ui/form.js";
import { showError, showSuccess } from "../ui/notices.js";
import { PagedList } from "../ui/paged_list.js";
import { picker } from "../ui/picker.js";
import { assetCells, assetPicture, downloadLink } from "../ui/preview.js";
import { uploadForm } from "../ui/uploader.js";

/** @typedef {import("../api/v1.js").Asset} Asset */

export function render(context) {
	const entityId = context.entity.entity_id;
	const linked = table(["Preview", "File", "Kind", "Role", "Size", "Linked", ""], []);
	const body = /** @type {HTMLElement} */ (linked.querySelector("tbody"));
	const none = h("p.empty", { text: "No files linked yet. Upload some above." });
	const list = new PagedList({
		noun: "linked assets",
		fetchPage: (paging) => entities.assets(entityId, paging),
		onItems: (items, first) => {
			if (!context.alive()) return list.stop();
			if (first) body.replaceChildren();
			body.append(...items.map((asset) => assetRow(entityId, asset, () => list.reset())));
			linked.hidden = !body.children.length;
			none.hidden = !linked.hidden;
		},
	});
	const upload = uploadForm({ entityId, onUploaded: debounce(() => context.alive() && list.reset(), 300) });
	list.reset();
	const importFolder = () => openBulkImportDialog(context.entity);
	return h(
		"div.stack",
		h(
			"div.two-columns",
			card("Upload files", upload),
			card("Link an existing asset", linkForm(entityId, () => list.reset()), h("p.hint", "Or copy a whole folder from the server's disk: ", button("Import a folder…", importFolder))),
		),
		h("section", { "aria-label": "Linked files" }, h("h2", { text: "Linked files" }), linked, none, list.element),
	);
}

function linkForm(entityId, reload) {
	const assetPicker = picker({
		label: "Asset",
		path: "asset_id",
		hint: "Type part of a file name.",
		search: async (text) => (await assets.list({ q: text, limit: 10 })).items,
		describe: (/** @type {Asset} */ asset) => `${asset.filename} · ${asset.kind} · ${formatBytes(asset.byte_size)}`,
		picture: assetPicture,
	});
	const role = textInput("", { placeholder: "optional" });
	return actionForm(
		{ "aria-label": "Link an existing asset" },
		async () => {
			const asset = assetPicker.selected();
			if (!asset) throw new Error("Choose an asset from the suggestions first.");
			await entities.link(entityId, asset.asset_id, role.value.trim());
			showSuccess(`Linked ${asset.filename}.`);
			assetPicker.clear();
			reload();
		},
		[h("div.form-grid", assetPicker.element, field("Role", role, { field: "role" })), h("button", { type: "submit", text: "Link" })],
	);
}

function assetRow(entityId, asset, reload) {
	const unlink = async () => {
		try {
			await entities.unlink(entityId, asset.asset_id);
			showSuccess(`Unlinked ${asset.filename}.`);
			reload();
		} catch (error) {
			showError(error, `Unlinking ${asset.filename}`);
		}
	};
	const actions = h("div.row", downloadLink(asset), button("Unlink", unlink, { "aria-label": `Unlink ${asset.filename}` }));
	return tr(...assetCells(asset), asset.role || "—", h("td.num", { text: formatBytes(asset.byte_size) }), timeElement(asset.linked_at), actions);
}
