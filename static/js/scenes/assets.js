/** All assets: upload (a drop anywhere on the page), search by file name, filter by kind and type; rows lead to the asset's page. */

import { assets } from "../api/v1.js";
import { setParams } from "../router.js";
import { KINDS } from "../ui/bulk_import.js";
import { badge, card, debounce, field, formatBytes, h, muted, replace, table, textInput, timeElement, tr } from "../ui/dom.js";
import { PagedList } from "../ui/paged_list.js";
import { assetCells } from "../ui/preview.js";
import { uploadForm } from "../ui/uploader.js";
import { Scene } from "./scene.js";

const MIME_PREFIXES = { "": "Any type", "image/": "Images", "audio/": "Audio", "video/": "Video", "text/": "Text", "application/": "Applications and other" };
const STATUS_TONES = { done: "good", pending: "info", failed: "bad", unavailable: "warn" };

/** A badge for the status of a step after ingest: metadata extraction, thumbnails. @param {string} step @param {string} status */
export const stepBadge = (step, status) => badge(`${step} ${status}`, /** @type {Record<string, string>} */ (STATUS_TONES)[status]);

export class AssetsScene extends Scene {
	filters = { q: "", kind: "", mime_prefix: "" };
	results = table(["Preview", "File", "Kind", "Type", "Size", "Metadata", "Added"], []);
	body = /** @type {HTMLElement} */ (this.results.querySelector("tbody"));
	none = h("p.empty", { hidden: true });

	show(/** @type {HTMLElement} */ root) {
		super.show(root);
		this.setTitle("Assets");
		const filters = this.filters;
		for (const key of /** @type {const} */ (["q", "kind", "mime_prefix"])) filters[key] = this.route.params.get(key) || "";
		const search = h("input", { type: "search", value: filters.q, placeholder: "Part of a file name" });
		search.addEventListener("input", debounce(() => this.change({ q: search.value.trim() }), 250));
		const kinds = h("datalist", { id: "asset-kinds" }, KINDS.map((value) => h("option", { value })));
		const kind = textInput(filters.kind, { list: kinds.id, placeholder: "any" });
		kind.addEventListener("change", () => this.change({ kind: kind.value.trim() }));
		const mime = h("select", Object.entries(MIME_PREFIXES).map(([value, text]) => h("option", { value, text, selected: value === filters.mime_prefix })));
		mime.addEventListener("change", () => this.change({ mime_prefix: mime.value }));
		const pages = new PagedList({ noun: "assets", fetchPage: (paging) => assets.list({ ...paging, ...filters }), onItems: (items, first) => this.renderItems(items, first) });
		this.pages = pages;
		const page = h("div.stack.drop-page");
		const upload = uploadForm({ derivedFrom: this.route.params.get("derived_from") || "", dropTarget: page, onUploaded: debounce(() => this.active && pages.reset(), 300) });
		page.append(
			h("h1", { text: "Assets" }),
			card("Upload files", upload),
			h("div.toolbar", field("Search", search), field("Kind", kind), field("Type", mime)),
			kinds,
			this.results,
			this.none,
			pages.element,
		);
		root.append(page);
		pages.reset();
	}

	hide() {
		super.hide();
		this.pages?.stop();
	}

	/** @param {Partial<AssetsScene["filters"]>} change */
	change(change) {
		setParams(Object.assign(this.filters, change));
		this.pages?.reset();
	}

	/** @param {import("../api/v1.js").Asset[]} items @param {boolean} first */
	renderItems(items, first) {
		if (first) this.body.replaceChildren();
		for (const asset of items) {
			const size = h("td.num", { text: formatBytes(asset.byte_size) });
			this.body.append(tr(...assetCells(asset), muted(asset.mime_type || "unknown"), size, stepBadge("metadata", asset.metadata_status), timeElement(asset.created_at)));
		}
		const nothing = !this.body.children.length;
		this.results.hidden = nothing;
		this.none.hidden = !nothing;
		const filtered = Object.values(this.filters).some(Boolean);
		replace(this.none, filtered ? "No asset matches these filters." : "No assets yet. Upload files above or on an entity's Attachments tab, or import a folder from Jobs.");
	}
}
