/**
 * Navigation entries for enabled plugins that declare UI entry points in their manifest.
 * They are plain links; the pages behind them are the plugins' concern. Only paths on this
 * server are linked (never another host), so the UI sends nothing off the machine.
 */

import { h } from "./dom.js";

/**
 * The declared UI entry points of a plugin: `entrypoints.ui` as a path, a list of paths, or a
 * list of `{label|title, path|url}`.
 * @param {import("../api/v1.js").Plugin} plugin
 * @returns {{label: string, path: string}[]}
 */
export function uiEntryPoints(plugin) {
  const declared = plugin.entrypoints && typeof plugin.entrypoints === "object" ? plugin.entrypoints.ui : null;
  const list = Array.isArray(declared) ? declared : declared ? [declared] : [];
  const name = plugin.name || plugin.plugin_id;
  return list
    .map((entry) => (typeof entry === "string" ? { label: name, path: entry } : { label: entry.label || entry.title || name, path: entry.path || entry.url }))
    .filter((entry) => typeof entry.path === "string" && entry.path.startsWith("/") && !entry.path.startsWith("//"));
}

/** @param {import("../api/v1.js").Plugin[]} items */
export function pluginNavLinks(items) {
  return items
    .filter((plugin) => plugin.enabled)
    .flatMap((plugin) => uiEntryPoints(plugin).map((entry) => h("a", { href: entry.path, text: entry.label, dataset: { plugin: plugin.plugin_id } })));
}
