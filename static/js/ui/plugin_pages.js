/**
 * Plugin pages: a manifest's `entrypoints.ui` (linked in the navigation) and `entrypoints.entity_panel` (a tab on each
 * entity), files of its folder served at `/ui/plugins/<id>/<path>` to the signed-in session, shown in a frame in the app.
 */

import { h } from "./dom.js";

/** @typedef {import("../api/v1.js").Plugin} Plugin */
/** @typedef {"ui" | "entity_panel"} Entrypoint */

/** The address of an enabled plugin's page, or null. @param {Plugin} plugin @param {Entrypoint} entrypoint @param {Record<string, string>} [query] */
export function pageUrl(plugin, entrypoint, query = {}) {
	const path = plugin.enabled && !plugin.error ? plugin.entrypoints?.[entrypoint] : null;
	if (typeof path !== "string") return null;
	const search = new URLSearchParams(query).toString();
	return `/ui/plugins/${plugin.plugin_id}/${path.split("/").map(encodeURIComponent).join("/")}${search && `?${search}`}`;
}

/** @param {Plugin[]} items @param {Entrypoint} entrypoint */
export const withPage = (items, entrypoint) => items.filter((plugin) => pageUrl(plugin, entrypoint));

/** @param {Plugin} plugin */
export const pluginTitle = (plugin) => plugin.name || plugin.plugin_id;

/** @param {Plugin} plugin @param {string} src @param {string} title */
export const pageFrame = (plugin, src, title) => h("iframe.plugin-frame", { src, title, dataset: { plugin: plugin.plugin_id } });

/** The navigation links to plugin pages. @param {Plugin[]} items */
export const pluginNavLinks = (items) =>
	withPage(items, "ui").map((plugin) => h("a", { href: `#/plugin-pages/${plugin.plugin_id}`, text: pluginTitle(plugin), dataset: { nav: `plugin-pages/${plugin.plugin_id}` } }));
