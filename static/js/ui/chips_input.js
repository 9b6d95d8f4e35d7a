/** Short strings (tags, aliases) as chips: Enter or comma adds, × or Backspace removes. */

import { errorSlot, h, textInput, uniqueId } from "./dom.js";

/**
 * @param {string} label @param {string[]} initial @param {string} path  `data-field` for validation errors
 * @param {string} [hint] @returns {{element: HTMLElement, values: () => string[]}}
 */
export function chipsInput(label, initial, path, hint = "Press Enter or comma to add.") {
	const values = [...initial];
	const input = textInput("", { id: uniqueId("chips") });
	const list = h("span.chips");
	const error = errorSlot();
	input.setAttribute("aria-describedby", error.id);
	const render = () =>
		list.replaceChildren(
			...values.map((value, index) => {
				const remove = () => {
					values.splice(index, 1);
					render();
					input.focus();
				};
				return h("span.chip", value, h("button", { type: "button", class: "icon-button", "aria-label": `Remove ${value} from ${label.toLowerCase()}`, text: "×", on: { click: remove } }));
			}),
		);
	const addPending = () => {
		for (const value of input.value.split(",").map((part) => part.trim())) if (value && !values.includes(value)) values.push(value);
		input.value = "";
		render();
	};
	input.addEventListener("keydown", (event) => {
		if (event.key === "Enter" || event.key === ",") {
			event.preventDefault();
			addPending();
		} else if (event.key === "Backspace" && !input.value && values.length) {
			values.pop();
			render();
		}
	});
	input.addEventListener("blur", addPending);
	render();
	const element = h(
		"div.field",
		{ dataset: { field: path } },
		h("label", { for: input.id, text: label }),
		h("div.chips-input", { on: { click: () => input.focus() } }, list, input),
		h("p.hint", { text: hint }),
		error,
	);
	return {
		element,
		values: () => {
			addPending();
			return [...values];
		},
	};
}
