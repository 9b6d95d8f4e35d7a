/**
 * Asset pictures: thumbnails (API.md §10) wherever a list or picker shows files, a placeholder by kind while there is
 * none, the original only when the user opens or downloads it; players fetch nothing until played.
 */

import { assets, entities } from "../api/v1.js";
import { h, initials, link } from "./dom.js";
import { showError } from "./notices.js";

/** @typedef {import("../api/v1.js").Asset} Asset */

const PLACEHOLDER_ICONS = { image: "◪", video: "▶", audio: "♪", lora: "◆", document: "≡", file: "▢" };

/** @param {{mime_type: string | null}} asset */
export const isImage = (asset) => (asset.mime_type || "").startsWith("image/");

/** What to draw an asset as: its type's major part for media, else its kind. @param {Asset} asset */
const kindOf = (asset) => {
	const major = (asset.mime_type || "").split("/")[0];
	return ["image", "audio", "video"].includes(major) ? major : asset.kind;
};

/** Only an asset whose thumbnail is made gets it asked for; the others show a placeholder. @param {Asset} asset */
const hasThumbnail = (asset) => asset.thumbnail_status === "done";

/**
 * The thumbnail of an asset, lazily loaded: 256 px on 1x screens and 1024 px on 2x ones (always 1024 when `large`).
 * If the server has none after all (404), `fallback` takes its place.
 * @param {string} assetId @param {boolean} large @param {() => Node | string} fallback
 */
function thumbnailImage(assetId, large, fallback) {
	const small = assets.thumbnailUrl(assetId, 256);
	const big = assets.thumbnailUrl(assetId, 1024);
	const sources = large ? { src: big } : { src: small, srcset: `${small} 1x, ${big} 2x` };
	const image = h("img", { ...sources, alt: "", loading: "lazy", decoding: "async" });
	image.addEventListener("error", () => image.replaceWith(fallback()), { once: true });
	return image;
}

/**
 * An asset as a picture: its thumbnail (a video's with a play mark), else an icon of its kind.
 * @param {Asset} asset @param {boolean} [large]
 */
export function assetPicture(asset, large = false) {
	const kind = kindOf(asset);
	const placeholder = () => h("span.placeholder", { title: `${kind}, no thumbnail`, text: PLACEHOLDER_ICONS[kind] || PLACEHOLDER_ICONS.file });
	const poster = hasThumbnail(asset) && kind === "video";
	const picture = hasThumbnail(asset) ? thumbnailImage(asset.asset_id, large, placeholder) : placeholder();
	return h("span", { class: `picture${large ? " picture-large" : ""}${poster ? " poster" : ""}`, "aria-hidden": "true" }, picture);
}

/** The original file in an <img>, <audio> or <video>; null for other kinds. @param {Asset} asset @param {boolean} [play] */
function originalMedia(asset, play = false) {
	const src = assets.downloadUrl(asset.asset_id);
	const kind = kindOf(asset);
	if (kind === "image") return h("img", { src, alt: asset.filename, decoding: "async" });
	if (kind !== "audio" && kind !== "video") return null;
	return h(/** @type {"audio"} */ (kind), { src, controls: true, autoplay: play, preload: "none", "aria-label": `Play ${asset.filename}` });
}

/**
 * The asset page's preview: the 1024 px thumbnail, which opens the original (a video plays) when pressed; an audio
 * player; or the placeholder of its kind.
 * @param {Asset} asset
 */
export function largePreview(asset) {
	const kind = kindOf(asset);
	if (kind === "audio") return h("div.preview", originalMedia(asset));
	if (kind !== "image" && kind !== "video") return h("div.preview", assetPicture(asset, true));
	const box = h("div.preview");
	const label = kind === "video" ? `Play ${asset.filename}` : `Show the original of ${asset.filename}`;
	const open = h("button.picture-button", { type: "button", title: label, "aria-label": label }, assetPicture(asset, true));
	open.addEventListener("click", () => box.replaceChildren(/** @type {Node} */ (originalMedia(asset, true))));
	box.append(open);
	return box;
}

/** A table's preview cell: an audio player (it fetches nothing until played), else the asset's picture. @param {Asset} asset */
const inlinePreview = (asset) => (kindOf(asset) === "audio" ? h("div.preview-inline", originalMedia(asset)) : assetPicture(asset));

/** A button-styled link that downloads the asset under its file name. @param {Asset} asset */
export function downloadLink(asset, primary = false) {
	return h("a", { class: primary ? "button primary" : "button", href: assets.downloadUrl(asset.asset_id), download: asset.filename, "aria-label": `Download ${asset.filename}`, text: "Download" });
}

/**
 * A square picture for an entity: the given asset's thumbnail, or its initials.
 * @param {string} name @param {string | null | undefined} assetId
 */
export function thumbnail(name, assetId) {
	const box = h("div.thumb", { "aria-hidden": "true" });
	setThumbnail(box, name, assetId);
	return box;
}

/** @param {HTMLElement} box @param {string} name @param {string | null | undefined} assetId */
export function setThumbnail(box, name, assetId) {
	box.replaceChildren(assetId ? thumbnailImage(assetId, false, () => initials(name)) : initials(name));
}

/** The first cells of an asset's table row: preview, file name (to its page), kind. @param {Asset} asset */
export const assetCells = (asset) => [h("td", inlinePreview(asset)), h("td", link(`#/assets/${asset.asset_id}`, asset.filename)), h("td", { text: asset.kind })];

/**
 * Put the thumbnail of the entity's first linked asset that has one in `box` (for entities without a primary thumbnail).
 * @param {HTMLElement} box @param {import("../api/v1.js").Entity} entity
 */
export function showFirstPicture(box, entity) {
	entities
		.assets(entity.entity_id, { limit: 20 })
		.then((page) => {
			const pictured = page.items.find(hasThumbnail);
			if (pictured && box.isConnected) setThumbnail(box, entity.display_name, pictured.asset_id);
		})
		.catch((error) => showError(error, "Loading a picture"));
}
