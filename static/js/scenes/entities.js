/** The entity list: table or gallery, search as you type, tag chips, sort, endless paging, create, bulk actions. */

import { entities } from "../api/v1.js";
import { go, setParams } from "../router.js";
import { chipsInput } from "../ui/chips_input.js";
import { dangerButton, openDialog } from "../ui/dialog.js";
import { button, debounce, empty, field, h, link, muted, replace, table, textInput, timeElement, tr } from "../ui/dom.js";
import { showError, showSuccess } from "../ui/notices.js";
import { PagedList } from "../ui/paged_list.js";
import { showFirstPicture, thumbnail } from "../ui/preview.js";
import { Scene } from "./scene.js";

/** @typedef {import("../api/v1.js").Entity} Entity */

const SORTS = {
	"updated_at:desc": "Recently updated",
	"created_at:desc": "Newest first",
	"created_at:asc": "Oldest first",
	"display_name:asc": "Name A → Z",
	"display_name:desc": "Name Z → A",
};
const DEFAULT_SORT = "updated_at:desc";

/** The "New entity" dialog; on success it opens the new entity. */
function openCreateDialog() {
	const name = textInput();
	const aliases = chipsInput("Aliases", [], "aliases");
	const tags = chipsInput("Tags", [], "tags");
	openDialog({
		title: "New entity",
		submitLabel: "Create",
		body: [field("Display name", name, { field: "display_name", required: true }), aliases.element, tags.element],
		onSubmit: async () => {
			const entity = await entities.create({ display_name: name.value, aliases: aliases.values(), tags: tags.values() });
			showSuccess(`Created “${entity.display_name}”.`);
			go(`#/entities/${entity.entity_id}`);
		},
	});
	name.focus();
}

export class EntitiesScene extends Scene {
	state = { q: "", tag: "", sort: DEFAULT_SORT, view: "table" };
	/** @type {Map<string, Entity>} */ selected = new Map();
	/** @type {Set<string>} */ seenTags = new Set();
	tagChips = h("div.chips", { role: "group", "aria-label": "Filter by tag" });
	bulkBar = h("div.bulk-bar", { role: "region", "aria-label": "Bulk actions", hidden: true });
	searchInput = h("input", { type: "search", placeholder: "Name, alias, tag or descriptor" });
	results = h("div");
	/** @type {HTMLElement} */ container = this.results;
	/** @type {WeakMap<Element, Entity>} */ waitingForPicture = new WeakMap();
	thumbObserver = new IntersectionObserver((entries) => this.findThumbnails(entries), { rootMargin: "200px" });

	show(/** @type {HTMLElement} */ root) {
		super.show(root);
		this.setTitle("Entities");
		const params = this.route.params;
		const sort = params.get("sort") || DEFAULT_SORT;
		this.state = { q: params.get("q") || "", tag: params.get("tag") || "", sort: sort in SORTS ? sort : DEFAULT_SORT, view: params.get("view") || "table" };
		const search = this.searchInput;
		search.value = this.state.q;
		search.addEventListener("input", debounce(() => this.change({ q: search.value.trim() }), 250));
		const sortSelect = h("select", Object.entries(SORTS).map(([value, text]) => h("option", { value, text, selected: value === this.state.sort })));
		sortSelect.addEventListener("change", () => this.change({ sort: sortSelect.value }));
		const views = h("div.row", { role: "group", "aria-label": "View" });
		for (const [value, text] of [["table", "Table"], ["gallery", "Gallery"]]) {
			const toggle = button(text, () => {
				for (const other of views.children) other.setAttribute("aria-pressed", String(other === toggle));
				this.change({ view: value });
			}, { class: "chip", "aria-pressed": String(this.state.view === value) });
			views.append(toggle);
		}
		this.pages = new PagedList({
			noun: "entities",
			fetchPage: (paging) => {
				const [sortBy, sortOrder] = this.state.sort.split(":");
				return entities.list({ ...paging, q: this.state.q, tag: this.state.tag, sort_by: sortBy, sort_order: sortOrder });
			},
			onItems: (items, first) => this.renderItems(items, first),
		});
		root.append(
			h("div.page-head", h("h1", { text: "Entities" }), h("div.actions", views, button("New entity", openCreateDialog, { class: "primary" }))),
			h("div.toolbar", field("Search", search), field("Sort", sortSelect)),
			this.tagChips,
			this.bulkBar,
			this.results,
			this.pages.element,
		);
		this.renderTagChips();
		this.pages.reset();
	}

	hide() {
		super.hide();
		this.pages?.stop();
		this.thumbObserver.disconnect();
	}

	change(change) {
		const state = Object.assign(this.state, change);
		setParams({ q: state.q, tag: state.tag, sort: state.sort === DEFAULT_SORT ? "" : state.sort, view: state.view === "table" ? "" : state.view });
		this.renderTagChips();
		this.clearSelection();
		this.pages?.reset();
	}

	/** The active tag filter (press to remove) and tags seen in the list (press to filter). */
	renderTagChips() {
		const active = this.state.tag;
		const seen = [...this.seenTags].filter((tag) => tag !== active).sort().slice(0, 20);
		replace(
			this.tagChips,
			active && button(`${active} ×`, () => this.change({ tag: "" }), { class: "chip", "aria-pressed": "true", "aria-label": `Remove tag filter ${active}` }),
			seen.map((tag) => button(tag, () => this.change({ tag }), { class: "chip", "aria-pressed": "false" })),
		);
	}

	renderItems(items, first) {
		items.forEach((entity) => entity.tags.forEach((tag) => this.seenTags.add(tag)));
		this.renderTagChips();
		const gallery = this.state.view === "gallery";
		if (first) {
			this.thumbObserver.disconnect();
			if (!items.length) return replace(this.results, this.emptyState());
			const outer = gallery ? h("div.gallery") : table(["Select", "Picture", "Name", "Aliases", "Tags", "Updated"], []);
			this.container = gallery ? outer : /** @type {HTMLElement} */ (outer.querySelector("tbody"));
			replace(this.results, outer);
		}
		this.container.append(...items.map((entity) => (gallery ? this.card(entity) : this.row(entity))));
	}

	/** An empty library, or a search that found nothing: named, with a way back to the whole list. */
	emptyState() {
		const { q, tag } = this.state;
		if (!q && !tag) return empty("No entities yet. Create the first one with “New entity”.");
		const search = [q && `“${q}”`, tag && `the tag “${tag}”`].filter(Boolean).join(" and ");
		const clear = () => {
			this.searchInput.value = "";
			this.change({ q: "", tag: "" });
		};
		return h("div.empty", h("p", { text: `No entity matches ${search}.` }), button("Clear search", clear));
	}

	selectBox(entity) {
		const box = h("input", { type: "checkbox", "aria-label": `Select ${entity.display_name}`, checked: this.selected.has(entity.entity_id) });
		box.addEventListener("change", () => {
			if (box.checked) this.selected.set(entity.entity_id, entity);
			else this.selected.delete(entity.entity_id);
			this.renderBulkBar();
		});
		return box;
	}

	tagList(tags) {
		return h("span.chips", tags.map((tag) => button(tag, () => this.change({ tag }), { class: "chip", title: `Show entities tagged ${tag}` })));
	}

	row(entity) {
		const name = link(`#/entities/${entity.entity_id}`, entity.display_name);
		return tr(this.selectBox(entity), this.picture(entity), name, muted(entity.aliases.join(", ")), this.tagList(entity.tags), timeElement(entity.updated_at));
	}

	/** The entity's primary thumbnail, else (looked up once in view) its first linked asset's. @param {Entity} entity */
	picture(entity) {
		const picture = thumbnail(entity.display_name, entity.primary_thumbnail_asset_id);
		if (!entity.primary_thumbnail_asset_id) {
			this.waitingForPicture.set(picture, entity);
			this.thumbObserver.observe(picture);
		}
		return picture;
	}

	card(entity) {
		const target = `#/entities/${entity.entity_id}`;
		return h(
			"article.gallery-card",
			h("a", { href: target, tabindex: "-1", "aria-hidden": "true" }, this.picture(entity)),
			h("div.caption", link(target, entity.display_name), this.tagList(entity.tags.slice(0, 4))),
			h("span.select", this.selectBox(entity)),
		);
	}

	/** Entities without a chosen thumbnail get their first linked picture once about to scroll into view. @param {IntersectionObserverEntry[]} entries */
	findThumbnails(entries) {
		for (const entry of entries.filter((item) => item.isIntersecting)) {
			this.thumbObserver.unobserve(entry.target);
			const entity = this.waitingForPicture.get(entry.target);
			if (entity) showFirstPicture(/** @type {HTMLElement} */ (entry.target), entity);
		}
	}

	clearSelection() {
		this.selected.clear();
		this.renderBulkBar();
	}

	renderBulkBar() {
		const count = this.selected.size;
		this.bulkBar.hidden = count === 0;
		const tag = textInput("", { "aria-label": "Tag for the selected entities", placeholder: "tag" });
		/** One bulk-upsert for all: the tag changes on every selected entity or on none. @param {string} mode @param {(tags: string[], tag: string) => string[]} change */
		const tagButton = (label, verb, mode, change) =>
			button(label, () => {
				const value = tag.value.trim();
				if (!value) return tag.focus();
				const items = [...this.selected.values()].map((entity) => ({ entity_id: entity.entity_id, tags: change(entity.tags, value) }));
				this.bulk(verb, () => entities.bulkUpsert({ items, mode }));
			});
		replace(
			this.bulkBar,
			count > 0 && [
				h("strong", { text: `${count} selected` }),
				tag,
				tagButton("Add tag", "Tagging", "merge", (_, value) => [value]),
				tagButton("Remove tag", "Untagging", "replace", (tags, value) => tags.filter((item) => item !== value)),
				dangerButton("Delete…", `${count} entities`, `Delete ${count} entities with their links, descriptors and relationships? Their files stay in Assets.`, () =>
					this.bulk("Deleting", async (chosen) => {
						for (const entity of chosen) await entities.remove(entity.entity_id);
					}),
				),
				button("Clear selection", () => this.clearSelection(), { class: "link" }),
			],
		);
	}

	/** @param {string} verb @param {(chosen: Entity[]) => Promise<any>} task */
	async bulk(verb, task) {
		const chosen = [...this.selected.values()];
		try {
			await task(chosen);
			showSuccess(`${verb} ${chosen.length} entities: done.`);
		} catch (error) {
			showError(error, `${verb} ${chosen.length} entities`);
		}
		this.clearSelection();
		this.pages?.reset();
	}
}
