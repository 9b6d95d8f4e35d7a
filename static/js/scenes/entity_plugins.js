/** The Plugins tab: a placeholder for plugin panels, listing enabled plugins and the entity's `plugin_data`. */

import { plugins } from "../api/v1.js";
import { card, empty, h, link } from "../ui/dom.js";
import { jsonView } from "../ui/json_view.js";
import { fill } from "../ui/notices.js";

export function render(context) {
	const list = h("div");
	fill(
		list,
		"Loading the plugins",
		async () => {
			const enabled = (await plugins.list()).items.filter((plugin) => plugin.enabled);
			if (!enabled.length) return h("p.empty", "No plugin is enabled. ", link("#/plugins", "Manage plugins"), ".");
			return h("ul", enabled.map((plugin) => h("li", h("strong", { text: plugin.name || plugin.plugin_id }), ` ${plugin.version || ""}: its panel will appear here.`)));
		},
		context.alive,
	);
	const data = context.entity.plugin_data || {};
	return h("div.stack", card("Plugin panels", list), card("Plugin data", Object.keys(data).length ? jsonView(data) : empty("No plugin has stored data on this entity.")));
}
