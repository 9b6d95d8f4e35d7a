/** The Overview tab: name, aliases, tags, fields, external ids, primary thumbnail; export; delete. */

import { entities, fieldDefs } from "../api/v1.js";
import { go } from "../router.js";
import { chipsInput } from "../ui/chips_input.js";
import { dangerButton } from "../ui/dialog.js";
import { button, card, errorSlot, field, h, submitButton, textInput } from "../ui/dom.js";
import { exportForm } from "../ui/export_form.js";
import { actionForm, readInto } from "../ui/form.js";
import { fill, showSuccess } from "../ui/notices.js";
import { assetPicture, isImage } from "../ui/preview.js";
import { valueInput } from "../ui/value_input.js";

/** @typedef {import("./entity_detail.js").PanelContext} PanelContext */

export function render(context) {
	const container = h("div.stack");
	fill(container, "Loading the entity's fields", async () => editForm(context, (await fieldDefs.list("entity")).items), context.alive);
	return container;
}

/** Rows of source → id with add and remove. @param {Record<string, string>} initial */
function externalIdsEditor(initial) {
	const rows = h("div");
	const addRow = (source = "", id = "") => {
		const row = h(
			"div.kv-row",
			textInput(source, { "aria-label": "External id source", placeholder: "source, e.g. stash" }),
			textInput(id, { "aria-label": "External id", placeholder: "id" }),
			button("Remove", () => row.remove(), { "aria-label": "Remove this external id" }),
		);
		rows.append(row);
	};
	Object.entries(initial || {}).forEach(([source, id]) => addRow(source, String(id)));
	const element = h(
		"fieldset",
		{ dataset: { field: "external_ids" } },
		h("legend", { text: "External ids" }),
		errorSlot(),
		h("p.hint", { text: "This entity's ids in other systems." }),
		rows,
		button("Add external id", () => addRow()),
	);
	const read = () =>
		Object.fromEntries(
			[...rows.children].map((row) => [...row.querySelectorAll("input")].map((input) => input.value.trim())).filter(([source, id]) => source || id),
		);
	return { element, read };
}

/**
 * Radio choices among the entity's linked images, plus initials. Until they are loaded (or if
 * they cannot be), the current choice stays.
 * @param {PanelContext} context
 */
function thumbnailChooser(context) {
	const { entity_id: entityId, primary_thumbnail_asset_id: current } = context.entity;
	const name = `thumb-${entityId}`;
	/** @param {string} value @param {Node} picture @param {string} label */
	const choice = (value, picture, label) => h("label.thumb-choice", h("input", { type: "radio", name, value, checked: value === (current || "") }), picture, label);
	const choices = h("div.thumb-choices");
	fill(
		choices,
		"Loading the linked images",
		async () => {
			const images = (await entities.assets(entityId, { limit: 200 })).items.filter(isImage);
			if (!images.length) return h("p.hint", { text: "Link an image on the Attachments tab to choose a thumbnail." });
			const pictures = images.map((asset) => choice(asset.asset_id, assetPicture(asset), asset.filename.slice(0, 18)));
			return [choice("", h("span.thumb.thumb-small", { text: "Aa" }), "Initials"), pictures];
		},
		context.alive,
	);
	const element = h("fieldset", { dataset: { field: "primary_thumbnail_asset_id" } }, h("legend", { text: "Primary thumbnail" }), errorSlot(), choices);
	const read = () => {
		const checked = /** @type {HTMLInputElement | null} */ (element.querySelector("input:checked"));
		return checked ? checked.value || null : current;
	};
	return { element, read };
}

/** @param {PanelContext} context @param {import("../api/v1.js").FieldDef[]} definitions  scope `entity` */
function editForm(context, definitions) {
	const entity = context.entity;
	const name = textInput(entity.display_name);
	const aliases = chipsInput("Aliases", entity.aliases, "aliases");
	const tags = chipsInput("Tags", entity.tags, "tags");
	const typed = definitions.map((definition) => {
		const input = valueInput(definition, entity.fields[definition.field_key]);
		const hint = `${definition.field_type}${definition.regex ? `, matching ${definition.regex}` : ""}`;
		return { key: definition.field_key, input, element: field(definition.field_key, input.control, { field: `fields.${definition.field_key}`, required: definition.required, hint }) };
	});
	const known = new Set(definitions.map((definition) => definition.field_key));
	const others = Object.fromEntries(Object.entries(entity.fields).filter(([key]) => !known.has(key)));
	const other = valueInput(null, Object.keys(others).length ? others : null);
	const otherField = field("Other fields (JSON object)", other.control, { field: "fields", hint: "Fields without a definition. Define them on the Field definitions page to get typed inputs." });
	const externalIds = externalIdsEditor(entity.external_ids);
	const thumb = thumbnailChooser(context);

	/** All field values, or null when one could not be read (its message is shown). */
	const readFields = () => {
		const rest = readInto(() => {
			const value = other.read();
			if (value !== null && (typeof value !== "object" || Array.isArray(value))) throw new Error('Must be a JSON object, e.g. {"eye_color": "green"}.');
			return value || {};
		}, otherField);
		const values = typed.map((item) => ({ key: item.key, ...readInto(item.input.read, item.element) }));
		if (!rest.ok || values.some((item) => !item.ok)) return null;
		return { ...rest.value, ...Object.fromEntries(values.filter((item) => item.value !== null).map((item) => [item.key, item.value])) };
	};

	const form = actionForm(
		{ class: "card", "aria-label": "Edit entity" },
		async () => {
			const fields = readFields();
			if (fields === null) return;
			const body = { display_name: name.value, aliases: aliases.values(), tags: tags.values(), fields, external_ids: externalIds.read(), primary_thumbnail_asset_id: thumb.read() };
			context.entityChanged(await entities.update(entity.entity_id, body));
			showSuccess("Saved.");
		},
		[
			field("Display name", name, { field: "display_name", required: true }),
			h("div.form-grid", aliases.element, tags.element),
			typed.length ? h("h3", { text: "Fields" }) : null,
			h("div.form-grid", typed.map((item) => item.element)),
			otherField,
			externalIds.element,
			thumb.element,
			submitButton("Save changes"),
		],
	);
	const question = `Delete “${entity.display_name}” with its links, descriptors and relationships? Its files stay in Assets.`;
	const remove = dangerButton("Delete entity…", entity.display_name, question, async () => {
		await entities.remove(entity.entity_id);
		showSuccess(`Deleted “${entity.display_name}”.`);
		go("#/entities");
	});
	return [form, card("Export", exportForm([entity.entity_id], context.alive)), card("Delete", remove)];
}
