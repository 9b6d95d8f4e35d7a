/** The "New job" dialog (`POST /v1/jobs`) for the job types enabled plugins declare; it lands on the job page. */

import { jobs, plugins } from "../api/v1.js";
import { go } from "../router.js";
import { openDialog } from "./dialog.js";
import { field, h } from "./dom.js";
import { readInto } from "./form.js";
import { jsonInput } from "./value_input.js";

export async function openNewJobDialog() {
	const types = (await plugins.list()).items.filter((plugin) => plugin.enabled).flatMap((plugin) => plugin.job_types);
	if (!types.length) return openDialog({ title: "New job", body: [h("p", { text: "No enabled plugin has a job type." })] });
	const jobType = h("select", types.map((value) => h("option", { value, text: value })));
	const input = jsonInput({}, 6);
	const inputField = field("Input (JSON)", input.control, { field: "input" });
	openDialog({
		title: "New job",
		submitLabel: "Queue job",
		body: [field("Job type", jobType, { field: "job_type", required: true }), inputField],
		onSubmit: async () => {
			const value = readInto(input.read, inputField);
			if (!value.ok) return false;
			go(`#/jobs/${(await jobs.create({ job_type: jobType.value, input: value.value ?? {} })).job_id}`);
		},
	});
}
