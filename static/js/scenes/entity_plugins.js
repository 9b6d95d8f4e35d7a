/**
 * The Plugins tab: where enabled plugins will show their panels for this entity. For now it
 * lists the enabled plugins and the data they keep on the entity (`plugin_data`).
 */

import { plugins } from "../api/v1.js";
import { card, empty, h } from "../ui/dom.js";
import { jsonView } from "../ui/json_view.js";
import { fill } from "../ui/notices.js";

/** @param {import("./entity_detail.js").PanelContext} context */
export function render(context) {
  const list = h("div", {});
  fill(
    list,
    "Loading the plugins",
    async () => {
      const enabled = (await plugins.list()).items.filter((plugin) => plugin.enabled);
      if (!enabled.length) return h("p", { class: "empty" }, "No plugin is enabled. ", h("a", { href: "#/plugins", text: "Manage plugins" }), ".");
      return h("ul", {}, enabled.map((plugin) => h("li", {}, h("strong", { text: plugin.name || plugin.plugin_id }), ` ${plugin.version || ""}: its panel will appear here.`)));
    },
    context.alive,
  );
  const data = context.entity.plugin_data || {};
  return h("div", { class: "stack" }, card("Plugin panels", list), card("Plugin data", Object.keys(data).length ? jsonView(data) : empty("No plugin has stored data on this entity.")));
}
