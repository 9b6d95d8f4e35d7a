/** One entity with tabs (in the address as `?tab=`); each tab is a panel module exporting `render(context)`. */

import { entities } from "../api/v1.js";
import { setParams } from "../router.js";
import { h, link, replace, shortId } from "../ui/dom.js";
import { showFirstPicture, thumbnail } from "../ui/preview.js";
import * as attachments from "./entity_attachments.js";
import * as descriptors from "./entity_descriptors.js";
import * as overview from "./entity_overview.js";
import * as pluginPanels from "./entity_plugins.js";
import * as relationships from "./entity_relationships.js";
import { Scene } from "./scene.js";

/**
 * What a panel gets: the entity, a way to report a changed entity, and whether its answer
 * is still wanted (false once the person switched tab or screen).
 * @typedef {object} PanelContext
 * @property {import("../api/v1.js").Entity} entity
 * @property {(entity: import("../api/v1.js").Entity) => void} entityChanged
 * @property {() => boolean} alive
 */

const TABS = [
	{ id: "overview", label: "Overview", panel: overview },
	{ id: "descriptors", label: "Descriptors", panel: descriptors },
	{ id: "attachments", label: "Attachments", panel: attachments },
	{ id: "relationships", label: "Relationships", panel: relationships },
	{ id: "plugins", label: "Plugins", panel: pluginPanels },
];

export class EntityDetailScene extends Scene {
	head = h("div.detail-head");
	tabList = h("div.tabs", { role: "tablist", "aria-label": "Entity sections" });
	panel = h("section", { role: "tabpanel", tabindex: "-1" });

	show(/** @type {HTMLElement} */ root) {
		super.show(root);
		this.setTitle("Entity");
		root.append(h("p", link("#/entities", "← All entities")), this.head, this.tabList, this.panel);
		this.tabList.addEventListener("keydown", (event) => {
			const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
			if (!step) return;
			const index = TABS.findIndex((tab) => tab.id === this.tab());
			this.openTab(TABS[(index + step + TABS.length) % TABS.length].id, true);
		});
		this.fill(this.head, "Loading the entity", async () => {
			this.entity = await entities.get(this.match.id);
			this.openTab(this.tab(), false);
			return this.headContent();
		});
	}

	/** The open tab's id, from the address. */
	tab() {
		const wanted = this.route.params.get("tab");
		return TABS.some((tab) => tab.id === wanted) ? String(wanted) : "overview";
	}

	/** @param {import("../router.js").Route} route */
	update(route) {
		this.route = route;
		if (this.entity) this.openTab(this.tab(), false);
		return true;
	}

	headContent() {
		const entity = /** @type {import("../api/v1.js").Entity} */ (this.entity);
		this.setTitle(entity.display_name);
		const picture = thumbnail(entity.display_name, entity.primary_thumbnail_asset_id);
		if (!entity.primary_thumbnail_asset_id) showFirstPicture(picture, entity);
		return [
			picture,
			h("div", h("h1", { text: entity.display_name }), h("p.muted", entity.aliases.length ? `Also known as ${entity.aliases.join(", ")} · ` : "", "id ", shortId(entity.entity_id))),
		];
	}

	/**
	 * Show a tab: record it in the address, mark its button, render its panel.
	 * @param {string} id @param {boolean} focus  move keyboard focus to the tab button (arrow-key navigation)
	 */
	openTab(id, focus) {
		const params = new URLSearchParams(this.route.params);
		if (id === "overview") params.delete("tab");
		else params.set("tab", id);
		this.route = { ...this.route, params };
		setParams(Object.fromEntries(params));
		const buttons = TABS.map((tab) =>
			h("button", { type: "button", role: "tab", id: `tab-${tab.id}`, "aria-selected": String(tab.id === id), tabindex: tab.id === id ? "0" : "-1", text: tab.label, on: { click: () => this.openTab(tab.id, false) } }),
		);
		replace(this.tabList, buttons);
		if (focus) buttons.find((button) => button.id === `tab-${id}`)?.focus();
		const tab = TABS.find((candidate) => candidate.id === id) || TABS[0];
		this.panel.setAttribute("aria-labelledby", `tab-${tab.id}`);
		/** @type {PanelContext} */
		const context = {
			entity: /** @type {import("../api/v1.js").Entity} */ (this.entity),
			entityChanged: (entity) => {
				this.entity = entity;
				replace(this.head, this.headContent());
			},
			alive: () => this.active && this.tab() === tab.id,
		};
		replace(this.panel, tab.panel.render(context));
	}
}
