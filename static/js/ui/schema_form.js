/**
 * A form from a plugin's `config_schema` (Core's JSON Schema subset): string, enum, number, integer, boolean,
 * array of strings, nested objects; anything else as JSON. `data-field` = the path in the config.
 */

import { checkboxField, field, h, textInput } from "./dom.js";
import { readInto } from "./form.js";
import { choiceSelect, jsonInput, numberInput } from "./value_input.js";

/** Thrown by `read()` after the unreadable fields got their messages. */
const INVALID = new Error("Some values could not be read.");

/** @typedef {object} Control @property {HTMLElement} element @property {() => any} read  undefined = leave the key out; throws INVALID */

/** @param {any} schema @param {any} value  the current config @returns {{element: HTMLElement, read: () => {ok: boolean, value: any}}} */
export function schemaForm(schema, value) {
	const isObject = schema && typeof schema === "object" && (schema.type === "object" || schema.properties);
	const control = isObject ? objectControl("", schema, value ?? {}, "", false) : jsonControl("", schema || {}, value, "Settings (JSON)", false);
	const read = () => {
		try {
			return { ok: true, value: control.read() ?? {} };
		} catch (error) {
			if (error !== INVALID) throw error;
			return { ok: false, value: undefined };
		}
	};
	return { element: control.element, read };
}

/**
 * A control whose `read` puts a conversion problem under its own field.
 * @param {HTMLElement} element @param {() => any} raw @returns {Control}
 */
function leaf(element, raw) {
	return {
		element,
		read: () => {
			const result = readInto(raw, element);
			if (!result.ok) throw INVALID;
			return result.value;
		},
	};
}

/** The hint under a control: description and the limits the schema states. @param {any} schema */
function hintFor(schema) {
	const limits = [
		schema.minimum !== undefined && `at least ${schema.minimum}`,
		schema.maximum !== undefined && `at most ${schema.maximum}`,
		schema.minLength !== undefined && `at least ${schema.minLength} characters`,
		schema.maxLength !== undefined && `at most ${schema.maxLength} characters`,
		schema.pattern && `matching ${schema.pattern}`,
	].filter(Boolean);
	return [schema.description, limits.join(", ")].filter(Boolean).join(" — ") || undefined;
}

/**
 * @param {string} path  dotted path in the config ("" for the root) @param {any} schema @param {any} value
 * @param {string} label @param {boolean} required @returns {Control}
 */
function controlFor(path, schema, value, label, required) {
	const current = value === undefined ? schema.default : value;
	const type = Array.isArray(schema.type) ? schema.type.find((/** @type {string} */ item) => item !== "null") : schema.type;
	const options = { field: path, required, hint: hintFor(schema) };
	if (type === "object" && schema.properties) return objectControl(path, schema, current ?? {}, label, required);
	if (Array.isArray(schema.enum) && schema.enum.every((/** @type {any} */ item) => typeof item === "string")) {
		const select = choiceSelect(schema.enum, current);
		return leaf(field(label, select, options), () => select.value || undefined);
	}
	if (type === "string") {
		const input = (schema.maxLength ?? 0) > 200 ? h("textarea", { rows: 3, value: current ?? "" }) : textInput(current);
		return leaf(field(label, input, options), () => input.value || undefined);
	}
	if (type === "number" || type === "integer") {
		const input = numberInput(current, type === "integer");
		return leaf(field(label, input.control, options), input.read);
	}
	if (type === "boolean") {
		const box = h("input", { type: "checkbox", checked: current === true });
		return leaf(checkboxField(label, box, path), () => box.checked);
	}
	if (type === "array" && schema.items?.type === "string" && !schema.items.enum) {
		const area = h("textarea", { rows: 3, value: Array.isArray(current) ? current.join("\n") : "" });
		const element = field(label, area, { ...options, hint: [options.hint, "One per line."].filter(Boolean).join(" ") });
		return leaf(element, () => {
			const lines = area.value.split("\n").map((line) => line.trim()).filter(Boolean);
			return lines.length || required ? lines : undefined;
		});
	}
	return jsonControl(path, schema, current, label, required);
}

/** @param {string} path @param {any} schema @param {any} value @param {string} label @param {boolean} required @returns {Control} */
function jsonControl(path, schema, value, label, required) {
	const input = jsonInput(value, 5);
	return leaf(field(label, input.control, { field: path, required, hint: [schema.description, "JSON."].filter(Boolean).join(" ") }), input.read);
}

/**
 * A fieldset of the object's properties; keys the schema does not name are kept as they were.
 * @param {string} path @param {any} schema @param {Record<string, any>} value @param {string} label @param {boolean} required
 * @returns {Control}
 */
function objectControl(path, schema, value, label, required) {
	const requiredKeys = new Set(schema.required || []);
	const children = Object.entries(schema.properties || {}).map(([key, child]) => ({
		key,
		control: controlFor(path ? `${path}.${key}` : key, child, value?.[key], child.title || key, requiredKeys.has(key)),
	}));
	const known = new Set(children.map((child) => child.key));
	const extra = Object.fromEntries(Object.entries(value || {}).filter(([key]) => !known.has(key)));
	// The root is the form itself; nested objects are fieldsets named by their key or title.
	const element = h(
		path ? "fieldset" : "div",
		{ dataset: { field: path } },
		path && h("legend", label, required ? h("span.required", { "aria-hidden": "true", text: " *" }) : null),
		schema.description ? h("p.hint", { text: schema.description }) : null,
		h("p.field-error", { role: "alert", hidden: true }),
		children.length ? children.map((child) => child.control.element) : h("p.muted", { text: "Nothing to set." }),
	);
	const read = () => {
		/** @type {Record<string, any>} */ const result = { ...extra };
		let failed = false;
		for (const child of children) {
			try {
				const childValue = child.control.read();
				if (childValue !== undefined) result[child.key] = childValue;
			} catch (error) {
				if (error !== INVALID) throw error;
				failed = true;
			}
		}
		if (failed) throw INVALID;
		return result;
	};
	return { element, read };
}
