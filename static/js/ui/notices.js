/** Messages: errors stay until dismissed, confirmations fade. No failure goes unshown. */

import { ApiError, describeError } from "../api/client.js";
import { h, loading, replace } from "./dom.js";

/** @param {string} text @param {"error" | "success"} tone */
function show(text, tone) {
	const notice = h(
		"div",
		{ class: `notice notice-${tone}`, role: tone === "error" ? "alert" : "status" },
		h("p", { text }),
		h("button", { type: "button", class: "icon-button", "aria-label": "Dismiss message", text: "×", on: { click: () => notice.remove() } }),
	);
	document.getElementById("notices")?.append(notice);
	if (tone === "success") setTimeout(() => notice.remove(), 4000);
}

/**
 * Show an error as a readable sentence. A 401 is not shown: the login screen answers it.
 * @param {unknown} error @param {string} [doing]  e.g. "Saving the entity"
 */
export function showError(error, doing) {
	if (error instanceof ApiError && error.status === 401) return;
	if (!(error instanceof ApiError)) console.warn(error);
	const text = describeError(error);
	show(doing ? `${doing} failed: ${text}` : text, "error");
}

/** @param {string} text */
export const showSuccess = (text) => show(text, "success");

/**
 * Copy the input's text; where the clipboard is not available the text stays selected.
 * @param {HTMLInputElement} input @param {string} what  e.g. "Link"
 */
export async function copyInput(input, what) {
	input.select();
	try {
		await navigator.clipboard.writeText(input.value);
		showSuccess(`${what} copied to the clipboard.`);
	} catch {
		showSuccess(`${what} selected: press Ctrl+C (⌘C) to copy it.`);
	}
}

export const clearNotices = () => document.getElementById("notices")?.replaceChildren();

/** An error shown where the data would have been. @param {unknown} error @param {string} doing */
export function errorBlock(error, doing) {
	return h("div.error-block", { role: "alert" }, h("strong", { text: `${doing} failed.` }), " ", describeError(error));
}

/**
 * Show "Loading…" in `target`, then what `load()` builds, or an error block. Nothing happens once `alive()` is
 * false (the person moved on).
 * @param {HTMLElement} target @param {string} doing  e.g. "Loading the plugins"
 * @param {() => Promise<import("./dom.js").Child>} load @param {() => boolean} alive
 */
export async function fill(target, doing, load, alive) {
	if (!target.childNodes.length) replace(target, loading());
	try {
		const content = await load();
		if (alive()) replace(target, content);
	} catch (error) {
		if (alive()) replace(target, errorBlock(error, doing));
	}
}
