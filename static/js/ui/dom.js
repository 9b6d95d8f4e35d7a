/**
 * Building DOM without a framework, plus the small helpers and formatters every screen shares.
 * Server data is always inserted as text, never as HTML, so a name like `<img onerror=…>`
 * stays a harmless string.
 */

/** @typedef {Node | string | number | null | undefined | false | Child[]} Child */

/**
 * Create an element. `props`: `class`, `text`, `on` (event → handler), `dataset`, element
 * properties given non-string values (`checked: true`, `max: 100`), `value`, and any other
 * key as an attribute (`aria-label`, `for`, `href`). null/undefined/false props are skipped.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
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

/** Replace everything inside `parent`. @param {Element} parent @param {...Child} children */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

let counter = 0;

/** An id unique in this page, for label/for and aria pairs. */
export function uniqueId(prefix = "ff") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** The slot where a field's error message appears (see ui/form.js). */
export const errorSlot = () => h("p", { class: "field-error", role: "alert", id: uniqueId("error"), hidden: true });

/**
 * A labelled control with an optional hint and an error slot. `field` is the path the API
 * uses for this value in validation errors (`display_name`, `fields.age`).
 * @param {string} label
 * @param {HTMLElement} control
 * @param {{hint?: string, field?: string, required?: boolean}} [options]
 */
export function field(label, control, options = {}) {
  control.id ||= uniqueId("field");
  const hint = options.hint ? h("p", { class: "hint", id: uniqueId("hint"), text: options.hint }) : null;
  const error = errorSlot();
  control.setAttribute("aria-describedby", [hint?.id, error.id].filter(Boolean).join(" "));
  return h(
    "div",
    { class: "field", dataset: options.field === undefined ? undefined : { field: options.field } },
    h("label", { for: control.id }, label, options.required ? h("span", { class: "required", "aria-hidden": "true", text: " *" }) : null),
    control,
    hint,
    error,
  );
}

/** A checkbox with its label to the right. @param {string} label @param {HTMLInputElement} box @param {string} [path] */
export function checkboxField(label, box, path) {
  box.id ||= uniqueId("check");
  return h("div", { class: "field inline", dataset: path ? { field: path } : undefined }, box, h("label", { for: box.id, text: label }), errorSlot());
}

/** A button that is not a submit button. @param {string} text @param {(event: Event) => void} onClick @param {Record<string, any>} [props] */
export const button = (text, onClick, props = {}) => h("button", { type: "button", text, ...props, on: { click: onClick } });

/** A link to a screen of this UI. @param {string} hash  e.g. `#/entities/…` @param {string} text */
export const link = (hash, text) => h("a", { href: hash, text });

/** Grey text. @param {string} text */
export const muted = (text) => h("span", { class: "muted", text });

/** A table row; cells that are not `<td>` yet are wrapped in one. @param {...Child} cells */
export const tr = (...cells) => h("tr", {}, cells.map((cell) => (cell instanceof HTMLTableCellElement ? cell : h("td", {}, cell))));

/**
 * A table with column headings.
 * @param {string[]} headings
 * @param {Child[]} rows  `<tr>` elements
 */
export function table(headings, rows) {
  return h("table", { class: "table" }, h("thead", {}, h("tr", {}, headings.map((text) => h("th", { scope: "col", text })))), h("tbody", {}, rows));
}

/** A titled section, labelled by its heading. @param {string} title @param {...Child} children */
export function card(title, ...children) {
  const id = uniqueId("card");
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id, text: title }), ...children);
}

/** `<dl>` of term → value pairs. @param {[string, Child][]} rows */
export function facts(rows) {
  return h("dl", { class: "facts" }, rows.map(([term, value]) => [h("dt", { text: term }), h("dd", {}, value)]));
}

export const loading = () => h("p", { class: "muted", text: "Loading…" });

/** @param {string} text */
export const empty = (text) => h("p", { class: "empty", text });

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

/** A `<time>`: local time, with the exact UTC value as tooltip. @param {string | null | undefined} timestamp */
export function timeElement(timestamp) {
  const date = new Date(timestamp || "");
  if (!timestamp || Number.isNaN(date.getTime())) return h("span", { class: "muted", text: timestamp || "—" });
  return h("time", { datetime: timestamp, title: timestamp, text: date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) });
}

/** Up to two initials of a name, for picture-less entities. @param {string} name */
export function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  return words.slice(0, 2).map((word) => [...word][0].toUpperCase()).join("") || "?";
}

/**
 * @template {(...args: any[]) => void} F
 * @param {F} callback
 * @param {number} wait  milliseconds
 * @returns {F}
 */
export function debounce(callback, wait) {
  /** @type {number | undefined} */ let timer;
  return /** @type {F} */ ((...args) => {
    clearTimeout(timer);
    timer = window.setTimeout(() => callback(...args), wait);
  });
}

/** The first 12 characters of a 64-hex id (the full id in the tooltip). @param {string} id */
export const shortId = (id) => h("code", { class: "id", title: id, text: id.slice(0, 12) });

/** A `<progress>` bar, so assistive technology reads its value. @param {number | null | undefined} percent @param {string} label */
export const progressBar = (percent, label) => h("progress", { max: 100, value: clampPercent(percent), "aria-label": label });

/** @param {number | null | undefined} percent */
export const clampPercent = (percent) => Math.max(0, Math.min(100, Number(percent) || 0));

/** A small coloured label. @param {string} text @param {string} [tone] neutral, good, info, warn, bad */
export const badge = (text, tone = "neutral") => h("span", { class: `badge badge-${tone}`, text });

/** A value as short text for tables. @param {any} value */
export function displayValue(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "Yes" : "No";
  return JSON.stringify(value);
}
