/** The Relationships tab: both directions, added with an entity picker and relation-type suggestions. */

import { entities, relationships } from "../api/v1.js";
import { dangerButton } from "../ui/dialog.js";
import { debounce, empty, field, h, link, replace, submitButton, table, textInput, timeElement, uniqueId } from "../ui/dom.js";
import { actionForm } from "../ui/form.js";
import { fill, showError, showSuccess } from "../ui/notices.js";
import { entityPicker } from "../ui/picker.js";

/** @typedef {import("../api/v1.js").Entity} Entity */
/** @typedef {import("../api/v1.js").Relationship} Relationship */

export function render(context) {
	const listBox = h("section", { "aria-label": "Relationships" });
	const reload = () =>
		fill(
			listBox,
			"Loading the relationships",
			async () => {
				const { items } = await relationships.list(context.entity.entity_id);
				return relationshipTable(context.entity, items, await namesOf(context.entity, items), reload);
			},
			context.alive,
		);
	reload();
	return h("div.stack", addForm(context.entity, reload), listBox);
}

/** Display names of every entity in the relationships. @param {Entity} entity @param {Relationship[]} items */
async function namesOf(entity, items) {
	const names = new Map([[entity.entity_id, entity.display_name]]);
	const others = new Set(items.flatMap((item) => [item.src_entity_id, item.dst_entity_id]).filter((id) => !names.has(id)));
	await Promise.all([...others].map(async (id) => names.set(id, (await entities.get(id)).display_name)));
	return names;
}

/** @param {Entity} entity @param {Relationship[]} items @param {Map<string, string>} names @param {() => void} reload */
function relationshipTable(entity, items, names, reload) {
	if (!items.length) return empty("No relationships yet.");
	const side = (/** @type {string} */ id) => (id === entity.entity_id ? h("strong", { text: names.get(id) }) : link(`#/entities/${id}`, names.get(id) ?? id));
	return table(
		["From", "Type", "To", "Created", ""],
		items.map((item) => {
			const description = `${item.relationship_type} between ${names.get(item.src_entity_id)} and ${names.get(item.dst_entity_id)}`;
			const remove = dangerButton("Delete", `relationship ${description}`, `Delete the relationship ${description}?`, async () => {
				await relationships.remove(item.relationship_id);
				reload();
			});
			return h(
				"tr",
				h("td", side(item.src_entity_id)),
				h("td", h("span.badge.badge-info", { text: item.relationship_type })),
				h("td", side(item.dst_entity_id)),
				h("td", timeElement(item.created_at)),
				h("td", remove),
			);
		}),
	);
}

function addForm(self, reload) {
	const direction = h("select", h("option", { value: "out", text: `${self.display_name} → other` }), h("option", { value: "in", text: `other → ${self.display_name}` }));
	const suggestions = h("datalist", { id: uniqueId("relation-types") });
	const type = textInput("", { list: suggestions.id, placeholder: "friend, sibling, coworker…" });
	const suggest = debounce(async () => {
		try {
			const { items } = await relationships.types(type.value.trim());
			replace(suggestions, items.map((value) => h("option", { value })));
		} catch (error) {
			showError(error, "Loading relation types");
		}
	}, 200);
	type.addEventListener("input", suggest);
	type.addEventListener("focus", suggest, { once: true });
	const other = entityPicker("Other entity", "dst_entity_id", (entity) => entity.entity_id !== self.entity_id);
	return actionForm(
		{ class: "card", "aria-label": "Add a relationship" },
		async () => {
			const picked = other.selected();
			if (!picked) throw new Error("Choose the other entity from the suggestions first.");
			const [src, dst] = direction.value === "out" ? [self, picked] : [picked, self];
			await relationships.create({ src_entity_id: src.entity_id, dst_entity_id: dst.entity_id, relationship_type: type.value });
			showSuccess(`Added “${type.value.trim()}” with ${picked.display_name}.`);
			other.clear();
			type.value = "";
			reload();
		},
		[
			h("h2", { text: "Add a relationship" }),
			h("div.form-grid", field("Direction", direction), field("Relationship type", type, { field: "relationship_type" }), other.element),
			suggestions,
			submitButton("Add relationship"),
		],
	);
}
