/** The login screen: the token goes to `POST /ui/login`, which sets an HttpOnly cookie; the page never keeps it. */

import { session } from "../api/v1.js";
import { field, h, submitButton } from "../ui/dom.js";
import { actionForm } from "../ui/form.js";
import { Scene } from "./scene.js";

export class LoginScene extends Scene {
	/** Called after a successful login. */
	onLoggedIn = () => {};

	show(/** @type {HTMLElement} */ root) {
		super.show(root);
		this.setTitle("Log in");
		const token = h("input", { type: "password", name: "token", autocomplete: "current-password", spellcheck: false });
		const hint = "On the machine running FaceForge, `python faceforge.py token` prints it; `python faceforge.py open` opens this page already logged in.";
		const form = actionForm(
			{ class: "login-form" },
			async () => {
				try {
					await session.login(token.value.trim());
				} catch (error) {
					token.select();
					throw error;
				}
				if (this.active) this.onLoggedIn();
			},
			[field("Install token", token, { field: "token", hint }), submitButton("Log in")],
		);
		root.append(h("section.login.card", { "aria-labelledby": "login-title" }, h("p.brand", h("span.brand-mark", { "aria-hidden": "true", text: "F" }), " FaceForge"), h("h1", { id: "login-title", text: "Log in" }), form));
		token.focus();
	}
}
