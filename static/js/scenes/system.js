/** What this server is: version, folders, storage, ExifTool, counts and the latest events; purging deleted assets; backups. */

import { admin, assets, entities, events, jobs, plugins, system } from "../api/v1.js";
import { dangerButton } from "../ui/dialog.js";
import { badge, button, card, facts, field, formatBytes, h, replace, shortId, table, timeElement } from "../ui/dom.js";
import { jsonView } from "../ui/json_view.js";
import { showError } from "../ui/notices.js";
import { numberInput } from "../ui/value_input.js";
import { Scene } from "./scene.js";

const RECENT_EVENTS = 25;
const BACKUP_POLL_MS = 1000;

const code = (text) => h("code", { text });

export class SystemScene extends Scene {
	show(/** @type {HTMLElement} */ root) {
		super.show(root);
		this.setTitle("System");
		const body = h("div.stack");
		root.append(h("h1", { text: "System" }), body);
		this.fill(body, "Loading the system information", async () => {
			const info = await system.info();
			const { exiftool } = info.tools;
			const counts = h("div");
			const recent = h("div");
			this.fill(counts, "Counting", () => this.counts());
			this.fill(recent, "Loading the events", () => this.recentEvents(info.events.last_event_id));
			return [
				card("Server", facts([["Version", info.version], ["Home folder", code(info.faceforge_home)], ["Address", code(location.origin)]])),
				card("Folders", facts(Object.entries(info.paths).map(([name, path]) => [name, code(String(path))]))),
				card(
					"Storage and tools",
					facts([
						["Storage providers", info.storage.providers.join(", ")],
						["S3", info.storage.s3_available ? badge("available", "good") : badge("not available")],
						["ExifTool", exiftool.path ? [code(exiftool.path), " ", badge(`version ${exiftool.version ?? "unknown"}`, "good")] : badge("not found: no metadata extraction", "warn")],
					]),
				),
				card("Contents", counts),
				card("Deleted assets", this.purge()),
				card("Backups", this.backups()),
				card("Recent events", recent),
			];
		});
	}

	/** `POST /v1/admin/purge`: a deleted asset keeps its file until purged. */
	purge() {
		const days = numberInput(30, true);
		const report = h("p", { role: "status" });
		const run = async () => {
			const done = await admin.purge(days.read() ?? 30);
			report.textContent = `Purged ${done.count} assets, ${formatBytes(done.bytes_freed)}${done.failed.length ? `; ${done.failed.length} failed` : ""}.`;
		};
		const hint = "Their files are removed for good, unless something still refers to them. 0: all.";
		return h("div.stack", field("Deleted more than this many days ago", days.control, { hint }), h("div", dangerButton("Purge…", "deleted assets", "Remove these files for good?", run)), report);
	}

	/** The complete backups (`GET /v1/admin/backups`) and "Back up now", which queues a backup job, links to it and lists the backup once it is done. */
	backups() {
		const list = h("div");
		const report = h("p", { role: "status" });
		const load = () =>
			this.fill(list, "Loading the backups", async () => {
				const { items } = await admin.backups();
				if (!items.length) return h("p.muted", { text: "No backups yet." });
				return table(
					["Backup", "Taken", "Size", "Entities", "Files"],
					items.map((item) => h("tr", h("td", code(item.name)), h("td", timeElement(item.created_at)), h("td", formatBytes(item.byte_size)), h("td", String(item.counts.entities)), h("td", String(item.counts.files)))),
				);
			});
		const backUp = async () => {
			let job;
			try {
				job = await admin.backUp();
			} catch (error) {
				showError(error, "Starting a backup");
				return;
			}
			const jobLink = () => h("a", { href: `#/jobs/${job.job_id}` }, "job ", shortId(job.job_id));
			replace(report, "Backup queued as ", jobLink(), ".");
			this.poll(async () => {
				const { status } = await jobs.get(job.job_id);
				if (status === "queued" || status === "running") return true;
				replace(report, `Backup ${status}: see `, jobLink(), ".");
				load();
				return false;
			}, BACKUP_POLL_MS);
		};
		load();
		return h("div.stack", list, h("div", button("Back up now", backUp)), report);
	}

	async counts() {
		const [entityPage, assetPage, jobPage, pluginList] = await Promise.all([entities.list({ limit: 1 }), assets.list({ limit: 1 }), jobs.list({ limit: 1 }), plugins.list()]);
		const enabled = pluginList.items.filter((plugin) => plugin.enabled).length;
		return facts([
			["Entities", String(entityPage.total ?? "—")],
			["Assets", String(assetPage.total ?? "—")],
			["Jobs", String(jobPage.total ?? "—")],
			["Plugins", `${pluginList.items.length} (${enabled} enabled)`],
		]);
	}

	/** The newest events, newest first. @param {number} last  the newest event's id */
	async recentEvents(last) {
		const items = (await events.list({ after_id: Math.max(0, last - RECENT_EVENTS), limit: RECENT_EVENTS })).items.reverse();
		if (!items.length) return h("p.muted", { text: "No events yet." });
		return table(
			["When", "Type", "Subject", "Data"],
			items.map((event) =>
				h("tr", h("td", timeElement(event.ts)), h("td", code(event.type)), h("td", `${event.subject_type} `, shortId(String(event.subject_id))), h("td", jsonView(event.data))),
			),
		);
	}
}
