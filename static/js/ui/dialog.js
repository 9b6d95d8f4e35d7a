/** Modal dialogs on `<dialog>`, which traps focus, closes on Escape and returns focus to the opener. */

import { h, submitButton, uniqueId } from "./dom.js";
import { clearErrors, showFormError } from "./form.js";

/**
 * @param {{title: string, body: import("./dom.js").Child[], submitLabel?: string, wide?: boolean, onSubmit?: (form: HTMLFormElement) => Promise<boolean | void>}} options `onSubmit` returns false to keep the dialog open; an error it throws is shown in the dialog, next to the fields it names, and keeps it open too.
 */
export function openDialog(options) {
	const titleId = uniqueId("dialog");
	const submit = options.submitLabel ? submitButton(options.submitLabel) : null;
	const close = () => {
		dialog.close();
		dialog.remove();
	};
	const form = h(
		"form",
		{ method: "dialog", novalidate: true },
		h("h2", { id: titleId, text: options.title }),
		h("div.dialog-body", ...options.body),
		h("div.dialog-actions", h("button", { type: "button", text: submit ? "Cancel" : "Close", on: { click: close } }), submit),
	);
	const dialog = h("dialog", { "aria-labelledby": titleId, class: options.wide ? "wide" : undefined }, form);
	form.addEventListener("submit", async (event) => {
		event.preventDefault();
		if (!options.onSubmit || !submit) return close();
		submit.disabled = true;
		clearErrors(form);
		try {
			if ((await options.onSubmit(form)) !== false) close();
		} catch (error) {
			showFormError(form, error);
		} finally {
			submit.disabled = false;
		}
	});
	dialog.addEventListener("cancel", (event) => {
		event.preventDefault();
		close();
	});
	document.body.append(dialog);
	dialog.showModal();
}

/**
 * A red button that asks before doing something that cannot be undone.
 * @param {string} label  the button text, e.g. "Delete"
 * @param {string} name  what it acts on, for screen readers ("Delete tags")
 * @param {string} question  the dialog's text @param {() => Promise<any>} action
 */
export function dangerButton(label, name, question, action) {
	const verb = label.replace(/…$/, "");
	const ask = () => openDialog({ title: `${verb} ${name}`, body: [h("p", { text: question })], submitLabel: verb, onSubmit: async () => { await action(); } });
	return h("button", { type: "button", class: "danger", text: label, "aria-label": `${verb} ${name}`, on: { click: ask } });
}
