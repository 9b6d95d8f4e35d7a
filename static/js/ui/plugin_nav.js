/**
 * Navigation links for enabled plugins' UI entry points: manifest `entrypoints.ui`, a path or a list of
 * `{label, path}`. Only paths on this server are linked; what they serve is the plugin's concern.
 */

import { h } from "./dom.js";

/** @param {import("../api/v1.js").Plugin[]} items */
export function pluginNavLinks(items) {
	return items
		.filter((plugin) => plugin.enabled)
		.flatMap((plugin) => [plugin.entrypoints?.ui ?? []].flat().map((entry) => ({ label: entry.label || plugin.name || plugin.plugin_id, path: entry.path ?? entry })))
		.filter((entry) => typeof entry.path === "string" && /^\/(?!\/)/.test(entry.path))
		.map((entry) => h("a", { href: entry.path, text: entry.label }));
}
