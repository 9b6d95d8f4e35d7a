/** Collapsible JSON: nested `<details>`, so a large ExifTool dump opens one level at a time. */

import { h } from "./dom.js";

const OPEN_DEPTH = 2;

/** @param {any} value @param {string} [label]  the key this value sits under @param {number} [depth] @returns {HTMLElement} */
export function jsonView(value, label, depth = 0) {
	const key = label === undefined ? null : h("span.json-key", { text: `${label}: ` });
	if (value === null || typeof value !== "object") {
		return h("div.json-line", key, h("span", { class: `json-${value === null ? "null" : typeof value}`, text: JSON.stringify(value) }));
	}
	const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item]) : Object.entries(value);
	const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
	if (!entries.length) return h("div.json-line", key, h("span.json-null", { text: Array.isArray(value) ? "[]" : "{}" }));
	return h(
		"details.json-node",
		{ open: depth < OPEN_DEPTH },
		h("summary", key, h("span.muted", { text: summary })),
		h("div.json-children", entries.map(([childKey, child]) => jsonView(child, childKey, depth + 1))),
	);
}
