/** Field definitions of entity fields and descriptors: type, required, enum options, limits, regex. */

import { fieldDefs } from "../api/v1.js";
import { setParams } from "../router.js";
import { chipsInput } from "../ui/chips_input.js";
import { dangerButton, openDialog } from "../ui/dialog.js";
import { badge, button, checkboxField, empty, errorSlot, field, h, table, textInput } from "../ui/dom.js";
import { showSuccess } from "../ui/notices.js";
import { canonicalType, choiceSelect, enumOptions, numberInput } from "../ui/value_input.js";
import { Scene } from "./scene.js";

/** @typedef {import("../api/v1.js").FieldDef} FieldDef */

const FIELD_TYPES = ["string", "int", "number", "bool", "enum", "json"];
const LIMITS = [
	{ key: "min", label: "Minimum", types: ["int", "number"] },
	{ key: "max", label: "Maximum", types: ["int", "number"] },
	{ key: "min_length", label: "Minimum length", types: ["string"] },
	{ key: "max_length", label: "Maximum length", types: ["string"] },
];

/** Options, limits and regex as short text. @param {FieldDef} definition */
function constraints(definition) {
	const choices = enumOptions(definition.options);
	const parts = [
		choices.length && `one of ${choices.join(", ")}`,
		...LIMITS.map((limit) => definition.options?.[limit.key] != null && `${limit.label.toLowerCase()} ${definition.options[limit.key]}`),
		definition.regex && `regex ${definition.regex}`,
	];
	return parts.filter(Boolean).join("; ") || "—";
}

/**
 * The create/edit dialog; the constraint inputs follow the chosen type.
 * @param {FieldDef | null} existing @param {() => void} reload
 */
function openDefinitionDialog(existing, reload) {
	const scope = textInput(existing?.scope ?? "descriptor", { list: "field-scopes" });
	const key = textInput(existing?.field_key);
	const type = h("select", FIELD_TYPES.map((value) => h("option", { value, text: value, selected: value === canonicalType(existing?.field_type ?? "string") })));
	const required = h("input", { type: "checkbox", checked: Boolean(existing?.required) });
	const choices = chipsInput("Allowed values", enumOptions(existing?.options), "options.options", "Press Enter or comma after each value.");
	const regex = textInput(existing?.regex, { class: "mono", spellcheck: false });
	const regexField = field("Regex", regex, { field: "regex", hint: "The whole value must match (Python syntax). Empty: no regex." });
	const limits = LIMITS.map((limit) => {
		const input = numberInput(existing?.options?.[limit.key], false);
		return { ...limit, input, element: field(limit.label, input.control, { field: `options.${limit.key}` }) };
	});
	const showTypeInputs = () => {
		choices.element.hidden = type.value !== "enum";
		regexField.hidden = type.value !== "string";
		limits.forEach((limit) => (limit.element.hidden = !limit.types.includes(type.value)));
	};
	type.addEventListener("change", showTypeInputs);
	showTypeInputs();
	openDialog({
		title: existing ? `Edit ${existing.field_key}` : "New field definition",
		submitLabel: existing ? "Save" : "Create",
		wide: true,
		body: [
			h(
				"div.form-grid",
				field("Scope", scope, { field: "scope", required: true, hint: "“entity” for entity fields, “descriptor” for descriptors." }),
				field("Field key", key, { field: "field_key", required: true }),
				field("Type", type, { field: "field_type" }),
			),
			h("datalist", { id: "field-scopes" }, h("option", { value: "entity" }), h("option", { value: "descriptor" })),
			checkboxField("Required", required, "required"),
			h("fieldset", { dataset: { field: "options" } }, h("legend", { text: "Constraints" }), errorSlot(), choices.element, h("div.form-grid", limits.map((limit) => limit.element)), regexField),
		],
		onSubmit: async () => {
			/** @type {Record<string, any>} */
			const options = type.value === "enum" ? { options: choices.values() } : {};
			for (const limit of limits.filter((item) => !item.element.hidden)) {
				const value = limit.input.read();
				if (value !== undefined) options[limit.key] = value;
			}
			const body = { scope: scope.value, field_key: key.value, field_type: type.value, required: required.checked, options, regex: type.value === "string" && regex.value.trim() ? regex.value : null };
			if (existing) await fieldDefs.update(existing.field_def_id, body);
			else await fieldDefs.create(body);
			showSuccess(`${existing ? "Saved" : "Created"} ${body.field_key.trim()}.`);
			reload();
		},
	});
	(existing ? type : key).focus();
}

export class FieldDefsScene extends Scene {
	list = h("div");

	show(/** @type {HTMLElement} */ root) {
		super.show(root);
		this.setTitle("Field definitions");
		const scope = choiceSelect(["entity", "descriptor"], this.route.params.get("scope") || "", { "": "All scopes" });
		scope.addEventListener("change", () => {
			setParams({ scope: scope.value });
			this.load(scope.value);
		});
		const create = () => openDefinitionDialog(null, () => this.load(scope.value));
		root.append(
			h("div.page-head", h("h1", { text: "Field definitions" }), h("div.actions", button("New field definition", create, { class: "primary" }))),
			h("p.hint", { text: "Definitions give entity fields and descriptors a type and rules that the server checks on every save." }),
			h("div.toolbar", field("Scope", scope)),
			this.list,
		);
		this.load(scope.value);
	}

	/** @param {string} scope  "" for all */
	load(scope) {
		const reload = () => this.load(scope);
		this.fill(this.list, "Loading the field definitions", async () => {
			const { items } = await fieldDefs.list(scope || undefined);
			if (!items.length) return empty("No field definitions yet.");
			return table(
				["Scope", "Key", "Type", "Required", "Constraints", ""],
				items.map((definition) => {
					const name = definition.field_key;
					const edit = button("Edit", () => openDefinitionDialog(definition, reload), { "aria-label": `Edit ${name}` });
					const remove = dangerButton("Delete", name, `Delete the field definition “${name}” (scope ${definition.scope})?`, async () => {
						await fieldDefs.remove(definition.field_def_id);
						reload();
					});
					return h(
						"tr",
						h("td", { text: definition.scope }),
						h("td", h("code", { text: name })),
						h("td", { text: definition.field_type }),
						h("td", definition.required ? badge("required", "info") : h("span.muted", { text: "no" })),
						h("td.muted", { text: constraints(definition) }),
						h("td", h("div.row", edit, remove)),
					);
				}),
			);
		});
	}
}
