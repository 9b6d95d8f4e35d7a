/** An enabled plugin's page (`entrypoints.ui`) in a frame, under its name. */

import { plugins } from "../api/v1.js";
import { h, link } from "../ui/dom.js";
import { pageFrame, pageUrl, pluginTitle } from "../ui/plugin_pages.js";
import { Scene } from "./scene.js";

export class PluginPageScene extends Scene {
	body = h("div");

	show(/** @type {HTMLElement} */ root) {
		super.show(root);
		this.setTitle("Plugin page");
		root.append(this.body);
		this.fill(this.body, "Loading the plugin", async () => {
			const plugin = (await plugins.list()).items.find((item) => item.plugin_id === this.match.id);
			const src = plugin && pageUrl(plugin, "ui");
			if (!plugin || !src) {
				return [h("h1", { text: "No such plugin page" }), h("p", `No enabled plugin “${this.match.id}” has a page. `, link("#/plugins", "Manage plugins"), ".")];
			}
			this.setTitle(pluginTitle(plugin));
			return [h("h1", { text: pluginTitle(plugin) }), pageFrame(plugin, src, `${pluginTitle(plugin)} (plugin page)`)];
		});
	}
}
