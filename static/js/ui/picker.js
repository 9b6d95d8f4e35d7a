/** Search-as-you-type picking (ARIA combobox + listbox): type, arrow keys, Enter or click. */

import { entities } from "../api/v1.js";
import { debounce, field, h, textInput, uniqueId } from "./dom.js";
import { showError } from "./notices.js";
import { thumbnail } from "./preview.js";

/**
 * @template T
 * @param {{label: string, path: string, hint: string, search: (text: string) => Promise<T[]>, describe: (item: T) => string, picture: (item: T) => Node}} options `describe` gives an option's text (and the input's once picked), `picture` its thumbnail; `path` is the `data-field` for validation errors.
 */
export function picker(options) {
	const listId = uniqueId("listbox");
	const input = textInput("", { role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": listId });
	const list = h("ul", { role: "listbox", id: listId, hidden: true, "aria-label": `${options.label} suggestions` });
	/** @type {T[]} */ let results = [];
	/** @type {T | null} */ let picked = null;
	let active = -1;
	let searchNumber = 0;

	const close = () => {
		list.hidden = true;
		input.setAttribute("aria-expanded", "false");
		input.removeAttribute("aria-activedescendant");
		active = -1;
	};
	/** @param {number} index */
	const highlight = (index) => {
		active = index;
		list.querySelectorAll("[role=option]").forEach((option, position) => {
			option.setAttribute("aria-selected", String(position === index));
			if (position !== index) return;
			input.setAttribute("aria-activedescendant", option.id);
			option.scrollIntoView({ block: "nearest" });
		});
	};
	/** @param {T} item */
	const choose = (item) => {
		picked = item;
		input.value = options.describe(item);
		close();
	};
	const search = debounce(async () => {
		const number = ++searchNumber;
		try {
			const found = await options.search(input.value.trim());
			if (number !== searchNumber || document.activeElement !== input) return;
			results = found;
		} catch (error) {
			return showError(error, "Searching");
		}
		const choices = results.map((item, index) =>
			h("li", { role: "option", id: `${listId}-${index}`, "aria-selected": "false", on: { mousedown: (/** @type {Event} */ event) => (event.preventDefault(), choose(item)) } }, options.picture(item), options.describe(item)),
		);
		list.replaceChildren(...(choices.length ? choices : [h("li.muted", { text: "No matches" })]));
		list.hidden = false;
		input.setAttribute("aria-expanded", "true");
		active = -1;
	}, 200);

	input.addEventListener("input", () => {
		picked = null;
		search();
	});
	input.addEventListener("focus", search);
	input.addEventListener("blur", () => setTimeout(close, 100));
	input.addEventListener("keydown", (event) => {
		if (event.key === "ArrowDown" || event.key === "ArrowUp") {
			event.preventDefault();
			if (list.hidden) return search();
			highlight(Math.max(0, Math.min(results.length - 1, active + (event.key === "ArrowDown" ? 1 : -1))));
		} else if (event.key === "Enter" && !list.hidden && active >= 0) {
			event.preventDefault();
			choose(results[active]);
		} else if (event.key === "Escape" && !list.hidden) {
			event.preventDefault();
			close();
		}
	});
	const element = field(options.label, input, { field: options.path, hint: options.hint });
	const box = h("div.picker");
	input.replaceWith(box);
	box.append(input, list);
	return {
		element,
		/** The picked item; null when nothing was picked or the text changed since. */
		selected: () => picked,
		clear: () => {
			picked = null;
			input.value = "";
		},
	};
}

/**
 * A picker of entities by name; `keep` leaves some out.
 * @param {string} label @param {string} path @param {(entity: import("../api/v1.js").Entity) => boolean} [keep]
 */
export const entityPicker = (label, path, keep = () => true) =>
	picker({
		label,
		path,
		hint: "Type part of a name.",
		search: async (text) => (await entities.list({ q: text, limit: 10 })).items.filter(keep),
		describe: (entity) => entity.display_name,
		picture: (entity) => thumbnail(entity.display_name, entity.primary_thumbnail_asset_id),
	});
