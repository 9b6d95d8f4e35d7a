/** The Descriptors tab: values checked by the server against their field definitions; errors shown at the value. */

import { descriptors, fieldDefs } from "../api/v1.js";
import { dangerButton, openDialog } from "../ui/dialog.js";
import { button, displayValue, empty, field, h, link, replace, submitButton, table } from "../ui/dom.js";
import { actionForm, readInto } from "../ui/form.js";
import { fill, showSuccess } from "../ui/notices.js";
import { valueInput } from "../ui/value_input.js";

/** @typedef {import("../api/v1.js").FieldDef} FieldDef */
/** @typedef {import("../api/v1.js").Descriptor} Descriptor */

/** @param {{scope: string, field_key: string}} item  a definition or a descriptor */
const keyOf = (item) => `${item.scope}\u0000${item.field_key}`;

export function render(context) {
	const container = h("div.stack");
	const reload = () =>
		fill(
			container,
			"Loading the descriptors",
			async () => {
				const [definitions, current] = await Promise.all([fieldDefs.list(undefined), descriptors.list(context.entity.entity_id)]);
				const usable = definitions.items.filter((definition) => definition.scope !== "entity");
				return [descriptorTable(current.items, usable, reload), addForm(context, usable, reload)];
			},
			context.alive,
		);
	reload();
	return container;
}

/**
 * A value input for `definition` under `data-field="value"`, reading into `{ok, value}`.
 * @param {FieldDef | null} definition @param {any} value
 */
function valueField(definition, value) {
	const input = valueInput(definition, value);
	const hint = definition && [definition.field_type, definition.required && "required", definition.regex && `matching ${definition.regex}`].filter(Boolean).join(", ");
	const element = field("Value", input.control, { field: "value", hint: hint || undefined });
	return { element, read: () => readInto(input.read, element) };
}

/** @param {Descriptor[]} items @param {FieldDef[]} definitions @param {() => void} reload */
function descriptorTable(items, definitions, reload) {
	if (!items.length) return empty("No descriptors yet.");
	const byKey = new Map(definitions.map((definition) => [keyOf(definition), definition]));
	return table(
		["Field", "Scope", "Value", ""],
		items.map((item) =>
			h(
				"tr",
				h("td", h("code", { text: item.field_key })),
				h("td.muted", { text: item.scope }),
				h("td", { text: displayValue(item.value) }),
				h(
					"td",
					h(
						"div.row",
						button("Edit", () => editDialog(item, byKey.get(keyOf(item)) || null, reload), { "aria-label": `Edit ${item.field_key}` }),
						dangerButton("Delete", item.field_key, `Delete the descriptor “${item.field_key}”?`, async () => {
							await descriptors.remove(item.descriptor_id);
							reload();
						}),
					),
				),
			),
		),
	);
}

/** @param {Descriptor} item @param {FieldDef | null} definition @param {() => void} reload */
function editDialog(item, definition, reload) {
	const value = valueField(definition, item.value);
	openDialog({
		title: `Edit ${item.field_key}`,
		submitLabel: "Save",
		body: [value.element],
		onSubmit: async () => {
			const read = value.read();
			if (!read.ok) return false;
			await descriptors.update(item.descriptor_id, read.value);
			showSuccess(`Saved ${item.field_key}.`);
			reload();
		},
	});
}

/**
 * @param {import("./entity_detail.js").PanelContext} context
 * @param {FieldDef[]} definitions  scopes other than `entity` @param {() => void} reload
 */
function addForm(context, definitions, reload) {
	if (!definitions.length) return h("p.hint", "Descriptors need a field definition first: ", link("#/field-defs", "define a descriptor field"), ".");
	const select = h(
		"select",
		definitions.map((definition, index) => h("option", { value: String(index), text: definition.scope === "descriptor" ? definition.field_key : `${definition.field_key} (${definition.scope})` })),
	);
	const slot = h("div");
	let value = valueField(definitions[0], null);
	slot.append(value.element);
	select.addEventListener("change", () => {
		value = valueField(definitions[Number(select.value)], null);
		replace(slot, value.element);
	});
	return actionForm(
		{ class: "card", "aria-label": "Add a descriptor" },
		async () => {
			const definition = definitions[Number(select.value)];
			const read = value.read();
			if (!read.ok) return;
			await descriptors.create(context.entity.entity_id, { scope: definition.scope, field_key: definition.field_key, value: read.value });
			showSuccess(`Added ${definition.field_key}.`);
			reload();
		},
		[
			h("h2", { text: "Add a descriptor" }),
			h("div.form-grid", field("Field", select, { field: "field_key" }), slot),
			submitButton("Add descriptor"),
		],
	);
}
