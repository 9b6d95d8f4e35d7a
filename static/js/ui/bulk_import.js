/** The "Import a folder" dialog (`POST /v1/assets/bulk-import`); it lands on the live job page. */

import { assets } from "../api/v1.js";
import { go } from "../router.js";
import { openDialog } from "./dialog.js";
import { checkboxField, field, h, textInput } from "./dom.js";
import { entityPicker } from "./picker.js";

export const KINDS = ["file", "image", "audio", "video", "lora", "document"];

/** @param {{entity_id: string, display_name: string}} [entity]  link everything imported to it (else pick one, or none) */
export function openBulkImportDialog(entity) {
	const path = textInput("", { spellcheck: false, placeholder: "/home/me/Pictures/shoot-01" });
	const recursive = h("input", { type: "checkbox", checked: true });
	const kind = h("select", KINDS.map((value) => h("option", { value, text: value })));
	const role = textInput("", { placeholder: "optional" });
	const choice = entity ? null : entityPicker("Link to entity (optional)", "entity_id");
	openDialog({
		title: "Import a folder",
		submitLabel: "Start import",
		body: [
			field("Folder on the server", path, { field: "path", required: true, hint: "A folder on the machine running FaceForge. Files are copied; the originals stay." }),
			checkboxField("Include subfolders", recursive, "recursive"),
			h("div.form-grid", field("Kind", kind, { field: "kind" }), choice?.element, field("Role", role, { field: "role" })),
			entity && h("p.hint", { text: `Everything imported is linked to “${entity.display_name}”.` }),
		],
		onSubmit: async () => {
			const linked = entity || choice?.selected();
			const body = { path: path.value.trim(), recursive: recursive.checked, kind: kind.value, entity_id: linked?.entity_id, role: (linked && role.value.trim()) || undefined };
			go(`#/jobs/${(await assets.bulkImport(body)).job_id}`);
		},
	});
	path.focus();
}
