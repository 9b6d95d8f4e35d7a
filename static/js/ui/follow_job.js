/** A built-in job followed in a status line: queued, then how it ended, linked to the job. */

import { jobs } from "../api/v1.js";
import { h, replace, shortId } from "./dom.js";
import { showError } from "./notices.js";

const POLL_MS = 1000;

/**
 * Show `job` in `report` and poll it while `alive()`; once it ends, `succeeded(result)` says what it did, else the job's error is shown.
 * @param {HTMLElement} report @param {{job_id: string}} job @param {string} what  e.g. "Backup"
 * @param {(result: any) => string} succeeded @param {() => boolean} alive
 */
export function followJob(report, job, what, succeeded, alive) {
	const jobLink = () => h("a", { href: `#/jobs/${job.job_id}` }, "job ", shortId(job.job_id));
	replace(report, `${what} queued as `, jobLink(), ".");
	const check = async () => {
		const { status, result, error } = await jobs.get(job.job_id);
		if (!alive()) return;
		if (status === "queued" || status === "running") return void setTimeout(() => check().catch((e) => showError(e, "Refreshing")), POLL_MS);
		replace(report, status === "succeeded" ? succeeded(result) : `${what} ${status}: ${error?.message ?? ""}`, " See ", jobLink(), ".");
	};
	return check();
}
