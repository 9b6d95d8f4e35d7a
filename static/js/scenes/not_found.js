/** An address that names no screen. */

import { h } from "../ui/dom.js";
import { Scene } from "./scene.js";

export class NotFoundScene extends Scene {
  /** @param {HTMLElement} root */
  show(root) {
    super.show(root);
    this.setTitle("Not found");
    root.append(
      h("h1", { text: "Nothing here" }),
      h("p", {}, `The address “${this.route.path}” does not name a screen. `, h("a", { href: "#/entities", text: "Go to the entities" }), "."),
    );
  }
}
