/** The export form (`POST /v1/admin/exports`, docs/export.md): a destination folder; the job followed below it. */

import { admin } from "../api/v1.js";
import { field, h, submitButton, textInput } from "./dom.js";
import { followJob } from "./follow_job.js";
import { actionForm } from "./form.js";

const HINT = "An absolute path to a new or empty folder outside the home; one folder per entity, readable without FaceForge.";

/** @param {string[] | null} entityIds  null: the whole library @param {() => boolean} alive */
export function exportForm(entityIds, alive) {
	const destination = textInput("", { name: "destination" });
	const report = h("p", { role: "status" });
	const label = entityIds ? "Export this entity" : "Export";
	const done = (r) => `Exported ${r.entities} entities and ${r.files} files to ${r.destination}${r.errors ? ` (${r.errors} left out)` : ""}.`;
	const run = async () => followJob(report, await admin.exportTo({ destination: destination.value, entity_ids: entityIds }), "Export", done, alive);
	return actionForm({ "aria-label": label }, run, [field("Destination folder", destination, { field: "destination", required: true, hint: HINT }), h("div", submitButton(label)), report]);
}
