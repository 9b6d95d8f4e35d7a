/** The job list, refreshed every two seconds (rows update in place, keeping focus); import a folder, queue a plugin job. */

import { jobs } from "../api/v1.js";
import { setParams } from "../router.js";
import { openBulkImportDialog } from "../ui/bulk_import.js";
import { openNewJobDialog } from "../ui/new_job.js";
import { showError } from "../ui/notices.js";
import { badge, button, clampPercent, empty, field, h, link, progressBar, replace, table, textInput, timeElement } from "../ui/dom.js";
import { choiceSelect } from "../ui/value_input.js";
import { Scene } from "./scene.js";

/** @typedef {import("../api/v1.js").Job} Job */

const STATUS_TONES = { queued: "info", running: "info", succeeded: "good", failed: "bad" };
const REFRESH_MS = 2000;
const PAGE = 50;

export const statusBadge = (status) => badge(status, /** @type {Record<string, string>} */ (STATUS_TONES)[status]);

export const isActive = (job) => job.status === "queued" || job.status === "running";

/** Progress bar and percentage, updatable in place. @param {string} label */
export function liveProgress(label) {
	const bar = progressBar(0, label);
	const percent = h("span.job-percent");
	return {
		element: h("div.row", bar, percent),
		set: (job) => {
			bar.value = clampPercent(job.progress_percent);
			percent.textContent = `${Math.round(bar.value)} %`;
		},
	};
}

export class JobsScene extends Scene {
	limit = PAGE;
	generation = 0;
	renderedIds = "";
	filters = { status: "", job_type: "" };
	/** @type {Map<string, (job: Job) => void>} */ rows = new Map();
	list = h("div");
	summary = h("span", { role: "status" });
	more = h("button", { type: "button", text: "Load more", hidden: true, on: { click: () => ((this.limit += PAGE), this.refresh()) } });

	show(/** @type {HTMLElement} */ root) {
		super.show(root);
		this.setTitle("Jobs");
		const params = this.route.params;
		this.filters = { status: params.get("status") || "", job_type: params.get("job_type") || "" };
		const status = choiceSelect(["queued", "running", "succeeded", "failed", "canceled"], this.filters.status, { "": "Any status" });
		status.addEventListener("change", () => this.change({ status: status.value }));
		const jobType = textInput(this.filters.job_type, { placeholder: "any" });
		jobType.addEventListener("change", () => this.change({ job_type: jobType.value.trim() }));
		root.append(
			h("div.page-head", h("h1", { text: "Jobs" }), h("div.actions", button("New job…", () => openNewJobDialog().catch((error) => showError(error, "Loading the job types"))), button("Import a folder…", () => openBulkImportDialog(), { class: "primary" }))),
			h("div.toolbar", field("Status", status), field("Job type", jobType)),
			this.list,
			h("div.list-footer", this.summary, this.more),
		);
		this.refresh();
	}

	/** @param {Partial<JobsScene["filters"]>} change */
	change(change) {
		setParams(Object.assign(this.filters, change));
		this.limit = PAGE;
		this.refresh();
	}

	/** Fetch now, then keep refreshing (a newer call replaces the older polling). */
	refresh() {
		this.stopPolling();
		const generation = ++this.generation;
		this.poll(async () => {
			const page = await jobs.list({ ...this.filters, limit: Math.min(this.limit, 200), offset: 0 });
			if (generation !== this.generation) return false;
			this.render(page);
			return true;
		}, REFRESH_MS);
	}

	/** @param {import("../api/v1.js").Page<Job>} page */
	render(page) {
		const total = page.total ?? page.items.length;
		const summary = page.items.length ? `Showing ${page.items.length} of ${total} jobs` : "";
		if (this.summary.textContent !== summary) this.summary.textContent = summary;
		this.more.hidden = page.items.length >= total || this.limit >= 200;
		const ids = page.items.map((job) => job.job_id).join();
		if (ids === this.renderedIds && ids) return page.items.forEach((job) => this.rows.get(job.job_id)?.(job));
		this.renderedIds = ids;
		this.rows.clear();
		if (!page.items.length) return replace(this.list, empty(this.filters.status || this.filters.job_type ? "No job matches these filters." : "No jobs yet. Import a folder to start one."));
		replace(this.list, table(["Job", "Status", "Progress", "Step", "Created", "Finished"], page.items.map((job) => this.row(job))));
	}

	/** A row whose live cells refresh in place. @param {Job} job */
	row(job) {
		const [status, step, finished] = [h("td"), h("td.muted"), h("td")];
		const progress = liveProgress(`Progress of ${job.job_type}`);
		const refresh = (latest) => {
			replace(status, statusBadge(latest.status));
			progress.set(latest);
			step.textContent = latest.progress_step || "";
			replace(finished, timeElement(latest.finished_at));
		};
		refresh(job);
		this.rows.set(job.job_id, refresh);
		return h("tr", h("td", link(`#/jobs/${job.job_id}`, job.job_type)), status, h("td", progress.element), step, h("td", timeElement(job.created_at)), finished);
	}
}
