/** The Plugins tab: the entity panel (`entrypoints.entity_panel`) of each enabled plugin, loaded with `?entity_id=`, and the entity's `plugin_data`. */

import { plugins } from "../api/v1.js";
import { card, empty, h, link } from "../ui/dom.js";
import { jsonView } from "../ui/json_view.js";
import { fill } from "../ui/notices.js";
import { pageFrame, pageUrl, pluginTitle, withPage } from "../ui/plugin_pages.js";

/** @param {import("./entity_detail.js").PanelContext} context */
export function render(context) {
	const { entity } = context;
	const list = h("div.stack");
	fill(
		list,
		"Loading the plugins",
		async () => {
			const panels = withPage((await plugins.list()).items, "entity_panel");
			if (!panels.length) return h("p.empty", "No enabled plugin has an entity panel. ", link("#/plugins", "Manage plugins"), ".");
			return panels.map((plugin) =>
				card(pluginTitle(plugin), h("div.plugin-panel", pageFrame(plugin, String(pageUrl(plugin, "entity_panel", { entity_id: entity.entity_id })), `${pluginTitle(plugin)} panel for ${entity.display_name}`))),
			);
		},
		context.alive,
	);
	const data = entity.plugin_data || {};
	return h("div.stack", list, card("Plugin data", Object.keys(data).length ? jsonView(data) : empty("No plugin has stored data on this entity.")));
}
