/** One job, live: status, progress, a log tailed with `after_id`; cancel and retry. */

import { jobs } from "../api/v1.js";
import { go } from "../router.js";
import { button, card, facts, h, link, replace, shortId, timeElement } from "../ui/dom.js";
import { jsonView } from "../ui/json_view.js";
import { errorBlock, showError, showSuccess } from "../ui/notices.js";
import { isActive, liveProgress, statusBadge } from "./jobs.js";
import { Scene } from "./scene.js";

/** @typedef {import("../api/v1.js").Job} Job */

const REFRESH_MS = 1000;
const LOG_PAGE = 200;
// While the job runs, the log is read with `wait`: a busy job answers at once, a quiet one
// when its next line is written (or after this many seconds), not with a request a second.
const LOG_WAIT_S = 5;

export class JobDetailScene extends Scene {
	/** @type {number | null} */ afterId = null;
	renderedKey = "";
	summary = h("div.stack");
	progress = liveProgress("Job progress");
	step = h("p.muted");
	log = h("div.log", { role: "log", "aria-label": "Job log", tabindex: "0" });
	noLog = h("p.muted", { text: "No log lines yet." });

	show(/** @type {HTMLElement} */ root) {
		super.show(root);
		this.setTitle("Job");
		root.append(h("p", link("#/jobs", "← All jobs")), this.summary, card("Log", this.noLog, this.log));
		this.poll(() => this.refresh(), REFRESH_MS);
	}

	/** One round: the job, then its new log lines (waited for while it runs). Returns whether to go on polling. */
	async refresh() {
		let job;
		try {
			job = await jobs.get(this.match.id);
		} catch (error) {
			replace(this.summary, errorBlock(error, "Loading the job"));
			return false;
		}
		this.renderSummary(job);
		const fullPage = await this.readLog(isActive(job) && this.afterId !== null ? LOG_WAIT_S : 0);
		return isActive(job) || fullPage;
	}

	/** Append the lines after the last one shown; true when a full page came (more may wait). */
	async readLog(/** @type {number} */ wait) {
		const page = await jobs.log(this.match.id, this.afterId, wait);
		const box = this.log;
		const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
		for (const line of page.items) {
			const data = line.data && Object.keys(line.data).length ? ` ${JSON.stringify(line.data)}` : "";
			box.append(h("div", { class: `log-line level-${line.level}` }, timeElement(line.ts), h("span", { text: line.level }), h("span", { text: line.message + data })));
		}
		if (page.items.length) {
			this.afterId = page.next_after_id ?? page.items[page.items.length - 1].job_log_id;
			this.noLog.hidden = true;
			if (atBottom) box.scrollTop = box.scrollHeight;
		}
		return page.items.length >= LOG_PAGE;
	}

	/**
	 * Progress updates in place; a new status (or a cancel request) redraws the summary.
	 * Buttons that stay in place keep keyboard focus.
	 * @param {Job} job
	 */
	renderSummary(job) {
		this.progress.set(job);
		this.step.textContent = job.progress_step || "";
		const key = `${job.status}|${job.cancel_requested_at}`;
		if (key === this.renderedKey) return;
		this.renderedKey = key;
		this.setTitle(`${job.job_type} job`);
		const actions = h("div.actions");
		if (isActive(job)) {
			const requested = Boolean(job.cancel_requested_at);
			actions.append(h("button", { type: "button", class: "danger", text: requested ? "Cancel requested…" : "Cancel job", disabled: requested, on: { click: () => this.cancel(job) } }));
		} else if (job.status === "failed" || job.status === "canceled") {
			actions.append(button("Retry", () => this.retry(job), { class: "primary" }));
		}
		const result = job.result === null || job.result === undefined ? h("p.muted", { text: isActive(job) ? "Not finished yet." : "No result." }) : jsonView(job.result);
		replace(
			this.summary,
			h("div.page-head", h("h1", job.job_type, " ", statusBadge(job.status)), actions),
			card(
				"Progress",
				this.progress.element,
				this.step,
				job.error && h("p.error-block", { text: `${job.error.code}: ${job.error.message}` }),
				facts([
					["Job id", shortId(job.job_id)],
					["Created", timeElement(job.created_at)],
					["Started", timeElement(job.started_at)],
					["Finished", timeElement(job.finished_at)],
				]),
			),
			h("div.two-columns", card("Input", jsonView(job.input)), card("Result", result)),
		);
	}

	async cancel(job) {
		try {
			await jobs.cancel(job.job_id);
			showSuccess("Cancel requested.");
		} catch (error) {
			showError(error, "Canceling the job");
		}
	}

	/** A new job with the same type and input (the old one stays as it was). @param {Job} job */
	async retry(job) {
		try {
			const again = await jobs.retry(job.job_id);
			showSuccess("Submitted again.");
			go(`#/jobs/${again.job_id}`);
		} catch (error) {
			showError(error, "Retrying the job");
		}
	}
}
