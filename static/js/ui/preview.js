/** Asset previews (image, audio, video; players fetch nothing until played), thumbnails, download links. */

import { assets, entities } from "../api/v1.js";
import { h, initials, link, muted } from "./dom.js";
import { showError } from "./notices.js";

/** @param {{mime_type: string | null}} asset */
export const isImage = (asset) => (asset.mime_type || "").startsWith("image/");

/**
 * An inline preview of an image, audio or video asset; null for anything else.
 * @param {import("../api/v1.js").Asset} asset @param {boolean} [large]
 */
export function preview(asset, large = false) {
	const src = assets.downloadUrl(asset.asset_id);
	const major = (asset.mime_type || "").split("/")[0];
	const media =
		major === "image"
			? h("img", { src, alt: asset.filename, loading: "lazy", decoding: "async" })
			: ["audio", "video"].includes(major)
				? h(/** @type {"audio"} */ (major), { src, controls: true, preload: "none", "aria-label": `Play ${asset.filename}` })
				: null;
	return media && h("div", { class: large ? "preview" : "preview-inline" }, media);
}

/** A button-styled link that downloads the asset under its file name. @param {import("../api/v1.js").Asset} asset */
export function downloadLink(asset, primary = false) {
	return h("a", { class: primary ? "button primary" : "button", href: assets.downloadUrl(asset.asset_id), download: asset.filename, "aria-label": `Download ${asset.filename}`, text: "Download" });
}

/**
 * A square picture for an entity: the given image asset, or its initials.
 * @param {string} name @param {string | null | undefined} assetId
 */
export function thumbnail(name, assetId) {
	const box = h("div.thumb", { "aria-hidden": "true" });
	setThumbnail(box, name, assetId);
	return box;
}

/** @param {HTMLElement} box @param {string} name @param {string | null | undefined} assetId */
export function setThumbnail(box, name, assetId) {
	if (!assetId) return box.replaceChildren(initials(name));
	const image = h("img", { src: assets.downloadUrl(assetId), alt: "", loading: "lazy", decoding: "async" });
	image.addEventListener("error", () => box.replaceChildren(initials(name)));
	box.replaceChildren(image);
}

/** The first cells of an asset's table row: preview, file name (to its page), kind. @param {import("../api/v1.js").Asset} asset */
export const assetCells = (asset) => [h("td", preview(asset) || muted("—")), h("td", link(`#/assets/${asset.asset_id}`, asset.filename)), h("td", { text: asset.kind })];

/**
 * Put the entity's first linked image in `box` (for entities without a primary thumbnail).
 * @param {HTMLElement} box @param {import("../api/v1.js").Entity} entity
 */
export function showFirstImage(box, entity) {
	entities
		.assets(entity.entity_id, { limit: 20 })
		.then((page) => {
			const image = page.items.find(isImage);
			if (image && box.isConnected) setThumbnail(box, entity.display_name, image.asset_id);
		})
		.catch((error) => showError(error, "Loading a picture"));
}
