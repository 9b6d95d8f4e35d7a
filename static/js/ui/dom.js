/** DOM building and shared formatters. Server data goes in as text, never as HTML. */

/** @typedef {Node | string | number | null | undefined | false | any[]} Child  (arrays of children are flattened) */

/**
 * An element: `h("p.hint", props?, ...children)`; props (a plain object, may be left out): `class`,
 * `text`, `on` {event: handler}, `dataset`, `value`, properties given non-strings (`checked: true`),
 * other keys as attributes; null/undefined/false are skipped.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K | `${K}.${string}`} tag @param {Record<string, any> | Child} [props] @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
	if (Object.getPrototypeOf(props ?? 0) !== Object.prototype) {
		children.unshift(/** @type {Child} */ (props));
		props = {};
	}
	const [name, ...classes] = tag.split(".");
	const element = /** @type {HTMLElementTagNameMap[K]} */ (document.createElement(name));
	if (classes.length) element.className = classes.join(" ");
	for (const [key, value] of Object.entries(/** @type {Record<string, any>} */ (props))) {
		if (value === undefined || value === null || value === false) continue;
		if (key === "class") element.className = value;
		else if (key === "text") element.textContent = String(value);
		else if (key === "on") for (const [type, handler] of Object.entries(value)) element.addEventListener(type, handler);
		else if (key === "dataset") Object.assign(element.dataset, value);
		else if (key === "value" || (typeof value !== "string" && key in element)) /** @type {any} */ (element)[key] = value;
		else element.setAttribute(key, value === true ? "" : String(value));
	}
	append(element, children);
	return element;
}

/** @param {Element} parent @param {Child[]} children */
function append(parent, children) {
	for (const child of children) {
		if (child === null || child === undefined || child === false) continue;
		if (Array.isArray(child)) append(parent, child);
		else parent.append(child instanceof Node ? child : String(child));
	}
}

/** @param {Element} parent @param {...Child} children */
export function replace(parent, ...children) {
	parent.replaceChildren();
	append(parent, children);
}

let counter = 0;

/** An id unique in the page. */
export function uniqueId(prefix = "ff") {
	counter += 1;
	return `${prefix}-${counter}`;
}

/** Where a field's error message appears (see ui/form.js). */
export const errorSlot = () => h("p.field-error", { role: "alert", id: uniqueId("error"), hidden: true });

/**
 * A labelled control with a hint and an error slot; `field` is the API's path of the value
 * in validation errors (`fields.age`).
 * @param {string} label @param {HTMLElement} control @param {{hint?: string, field?: string, required?: boolean}} [options]
 */
export function field(label, control, options = {}) {
	control.id ||= uniqueId("field");
	const hint = options.hint ? h("p.hint", { id: uniqueId("hint"), text: options.hint }) : null;
	const error = errorSlot();
	control.setAttribute("aria-describedby", [hint?.id, error.id].filter(Boolean).join(" "));
	return h(
		"div.field",
		{ dataset: options.field === undefined ? undefined : { field: options.field } },
		h("label", { for: control.id }, label, options.required ? h("span.required", { "aria-hidden": "true", text: " *" }) : null),
		control,
		hint,
		error,
	);
}

/** @param {string} label @param {HTMLInputElement} box @param {string} [path] */
export function checkboxField(label, box, path) {
	box.id ||= uniqueId("check");
	return h("div.field.inline", { dataset: path ? { field: path } : undefined }, box, h("label", { for: box.id, text: label }), errorSlot());
}

/** @param {string} text @param {(event: Event) => void} onClick @param {Record<string, any>} [props] */
export const button = (text, onClick, props = {}) => h("button", { type: "button", text, ...props, on: { click: onClick } });

/** @param {string} text */
export const submitButton = (text) => h("button.primary", { type: "submit", text });

/** @param {any} [value] @param {Record<string, any>} [props] */
export const textInput = (value = "", props = {}) => h("input", { type: "text", autocomplete: "off", value: value ?? "", ...props });

/** @param {string} hash @param {string} text */
export const link = (hash, text) => h("a", { href: hash, text });

/** @param {string} text */
export const muted = (text) => h("span.muted", { text });

/** A row; cells not yet `<td>` are wrapped. @param {...Child} cells */
export const tr = (...cells) => h("tr", cells.map((cell) => (cell instanceof HTMLTableCellElement ? cell : h("td", cell))));

/** @param {string[]} headings @param {Child[]} rows */
export function table(headings, rows) {
	return h("table.table", h("thead", h("tr", headings.map((text) => h("th", { scope: "col", text })))), h("tbody", rows));
}

/** A section labelled by its heading. @param {string} title @param {...Child} children */
export function card(title, ...children) {
	const id = uniqueId("card");
	return h("section.card", { "aria-labelledby": id }, h("h2", { id, text: title }), ...children);
}

/** @param {[string, Child][]} rows */
export function facts(rows) {
	return h("dl.facts", rows.map(([term, value]) => [h("dt", { text: term }), h("dd", value)]));
}

export const loading = () => h("p.muted", { text: "Loading…" });

/** @param {string} text */
export const empty = (text) => h("p.empty", { text });

/** @param {number | null | undefined} bytes */
export function formatBytes(bytes) {
	if (bytes === null || bytes === undefined) return "—";
	const units = ["B", "KB", "MB", "GB", "TB"];
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit += 1;
	}
	return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Local time; the UTC value as tooltip. @param {string | null | undefined} timestamp */
export function timeElement(timestamp) {
	const date = new Date(timestamp || "");
	if (!timestamp || Number.isNaN(date.getTime())) return h("span.muted", { text: timestamp || "—" });
	return h("time", { datetime: timestamp, title: timestamp, text: date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) });
}

/** @param {string} name */
export function initials(name) {
	const words = name.trim().split(/\s+/).filter(Boolean);
	return words.slice(0, 2).map((word) => [...word][0].toUpperCase()).join("") || "?";
}

/** @template {(...args: any[]) => void} F @param {F} callback @param {number} wait ms @returns {F} */
export function debounce(callback, wait) {
	/** @type {number | undefined} */ let timer;
	return /** @type {F} */ ((...args) => {
		clearTimeout(timer);
		timer = window.setTimeout(() => callback(...args), wait);
	});
}

/** @param {string} id */
/** The last 12 characters: new ids start with their creation time (API.md §1), so their first ones repeat. */
export const shortId = (id) => h("code.id", { title: id, text: id.slice(-12) });

/** @param {number | null | undefined} percent @param {string} label */
export const progressBar = (percent, label) => h("progress", { max: 100, value: clampPercent(percent), "aria-label": label });

/** @param {number | null | undefined} percent */
export const clampPercent = (percent) => Math.max(0, Math.min(100, Number(percent) || 0));

/** @param {string} text @param {string} [tone] neutral, good, info, warn, bad */
export const badge = (text, tone = "neutral") => h("span", { class: `badge badge-${tone}`, text });

/** @param {any} value */
export function displayValue(value) {
	if (value === null || value === undefined) return "—";
	if (typeof value === "string") return value;
	if (typeof value === "boolean") return value ? "Yes" : "No";
	return JSON.stringify(value);
}
