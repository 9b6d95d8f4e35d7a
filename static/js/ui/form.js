/** Errors inside forms: each validation issue under the control whose `data-field` is its location. */

import { ApiError, describeError, fieldPath } from "../api/client.js";
import { h } from "./dom.js";

/** Hide every error in the form. @param {HTMLElement} form */
export function clearErrors(form) {
	for (const slot of /** @type {NodeListOf<HTMLElement>} */ (form.querySelectorAll(".field-error, .form-error"))) {
		slot.textContent = "";
		slot.hidden = true;
	}
	for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

/**
 * The field a validation path belongs to: the exact `data-field`, else the closest parent path
 * (`config.servers.0` → `config.servers` → `config`), else the root (`data-field=""`).
 * @param {HTMLElement} form @param {string} path @returns {HTMLElement | null}
 */
export function findField(form, path) {
	const parts = path.split(".");
	for (let length = parts.length; length >= 0; length -= 1) {
		const found = form.querySelector(`[data-field="${CSS.escape(parts.slice(0, length).join("."))}"]`);
		if (found) return /** @type {HTMLElement} */ (found);
	}
	return null;
}

/**
 * Show `message` under a field (also for checks made in the page, e.g. JSON that does not parse).
 * @param {HTMLElement} fieldElement  the element carrying `data-field` @param {string} message
 */
export function setFieldError(fieldElement, message) {
	const slot = /** @type {HTMLElement} */ (fieldElement.querySelector(".field-error"));
	slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
	slot.hidden = false;
	fieldElement.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
}

/**
 * Show an error in the form and focus the first invalid control. Returns false, so `return showFormError(…)`
 * keeps a dialog open.
 * @param {HTMLElement} form @param {unknown} error
 * @param {string} [prefix]  a path prefix the form's fields leave out (e.g. `config`)
 */
export function showFormError(form, error, prefix = "") {
	clearErrors(form);
	const issues = error instanceof ApiError ? error.issues : [];
	const unplaced = [];
	for (const issue of issues) {
		let path = fieldPath(issue.loc);
		if (prefix && (path === prefix || path.startsWith(`${prefix}.`))) path = path.slice(prefix.length + 1);
		const target = findField(form, path);
		if (target) setFieldError(target, issue.msg);
		else unplaced.push(`${path || "request"}: ${issue.msg}`);
	}
	if (!issues.length || unplaced.length) {
		let line = /** @type {HTMLElement | null} */ (form.querySelector(".form-error"));
		if (!line) {
			line = h("p.form-error", { role: "alert" });
			(form.querySelector(".dialog-body") || form).prepend(line);
		}
		const plain = error instanceof Error && !(error instanceof ApiError);
		line.textContent = issues.length ? `${/** @type {Error} */ (error).message} — ${unplaced.join("; ")}` : plain ? error.message : describeError(error);
		line.hidden = false;
	}
	/** @type {HTMLElement | null} */ (form.querySelector("[aria-invalid=true]"))?.focus();
	return false;
}

/**
 * Read a value from a control, showing a conversion problem (bad JSON, not a number) under its field. Returns
 * `{ok: false}` then.
 * @param {() => any} read @param {HTMLElement} fieldElement
 */
export function readInto(read, fieldElement) {
	try {
		return { ok: true, value: read() };
	} catch (error) {
		setFieldError(fieldElement, /** @type {Error} */ (error).message);
		return { ok: false, value: undefined };
	}
}

/**
 * A form whose submit runs `action`: errors it throws appear in the form (next to the fields they name), and
 * submit buttons are disabled while it runs.
 * @param {Record<string, any>} props  attributes of the `<form>` (class, aria-label …)
 * @param {() => Promise<any>} action @param {import("./dom.js").Child[]} children
 * @param {string} [prefix]  see showFormError
 */
export function actionForm(props, action, children, prefix) {
	const form = h("form", { novalidate: true, ...props }, ...children);
	form.addEventListener("submit", async (event) => {
		event.preventDefault();
		clearErrors(form);
		const buttons = /** @type {NodeListOf<HTMLButtonElement>} */ (form.querySelectorAll("button[type=submit]"));
		buttons.forEach((button) => (button.disabled = true));
		try {
			await action();
		} catch (error) {
			showFormError(form, error, prefix);
		} finally {
			buttons.forEach((button) => (button.disabled = false));
		}
	});
	return form;
}
