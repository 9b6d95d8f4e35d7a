/** An address that names no screen. */

import { h, link } from "../ui/dom.js";
import { Scene } from "./scene.js";

export class NotFoundScene extends Scene {
	show(/** @type {HTMLElement} */ root) {
		super.show(root);
		this.setTitle("Not found");
		root.append(
			h("h1", { text: "Nothing here" }),
			h("p", `The address “${this.route.path}” does not name a screen. `, link("#/entities", "Go to the entities"), "."),
		);
	}
}
