/** Inputs by field type; the page only converts text to JSON types, the server checks the rules. */

import { h, textInput } from "./dom.js";

const ALIASES = { integer: "int", float: "number", boolean: "bool", option: "enum", options: "enum", any: "json" };

/** @param {string} fieldType */
export const canonicalType = (fieldType) => /** @type {Record<string, string>} */ (ALIASES)[fieldType.toLowerCase()] || fieldType.toLowerCase();

/** The allowed values of an enum definition (`options.options`, or a bare list). @param {any} options */
export function enumOptions(options) {
	const list = Array.isArray(options) ? options : options?.options;
	return Array.isArray(list) ? list.map(String) : [];
}

/**
 * A `<select>` with an empty choice first ("(not set)" unless `labels[""]` says otherwise).
 * @param {string[]} choices @param {any} value
 * @param {Record<string, string>} [labels]  display text per choice
 */
export function choiceSelect(choices, value, labels = {}) {
	return h("select", h("option", { value: "", text: labels[""] ?? "(not set)" }), choices.map((choice) => h("option", { value: choice, text: labels[choice] ?? choice, selected: choice === value })));
}

/**
 * A number input; `read()` gives a number, undefined when empty, and throws on text that is not a number.
 * @param {any} value @param {boolean} integer
 */
export function numberInput(value, integer) {
	const control = h("input", { type: "number", step: integer ? "1" : "any", value: value ?? "" });
	const read = () => {
		if (control.value.trim() !== "") return Number(control.value);
		if (control.validity.badInput) throw new Error("Enter a number.");
		return undefined;
	};
	return { control, read };
}

/**
 * A JSON text area; `read()` gives the parsed value (undefined when empty) or throws.
 * @param {any} value @param {number} [rows]
 */
export function jsonInput(value, rows = 3) {
	const control = h("textarea", { rows, spellcheck: false, value: value === undefined || value === null ? "" : JSON.stringify(value, null, 2) });
	const read = () => {
		if (control.value.trim() === "") return undefined;
		try {
			return JSON.parse(control.value);
		} catch (error) {
			throw new Error(`Not valid JSON: ${/** @type {Error} */ (error).message}`);
		}
	};
	return { control, read };
}

/**
 * @param {import("../api/v1.js").FieldDef | null} definition  null: free JSON
 * @param {any} value  the current value
 * @returns {{control: HTMLElement, read: () => any}}  `read()` gives null for an empty control
 */
export function valueInput(definition, value) {
	const type = definition ? canonicalType(definition.field_type) : "json";
	/** @type {{control: HTMLElement, read: () => any}} */
	let input;
	if (type === "bool") {
		const control = choiceSelect(["true", "false"], value === undefined || value === null ? "" : String(value), { true: "Yes", false: "No" });
		input = { control, read: () => (control.value === "" ? undefined : control.value === "true") };
	} else if (type === "enum") {
		const control = choiceSelect(enumOptions(definition?.options), value);
		input = { control, read: () => control.value || undefined };
	} else if (type === "int" || type === "number") {
		input = numberInput(value, type === "int");
	} else if (type === "string") {
		const control = textInput(value);
		input = { control, read: () => control.value || undefined };
	} else {
		input = jsonInput(value);
	}
	return { control: input.control, read: () => input.read() ?? null };
}
