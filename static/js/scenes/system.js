/** What this server is: version, folders, storage, ExifTool, ffmpeg, counts and the latest events; rebuilding thumbnails, purging deleted assets; backups. */

import { admin, assets, entities, events, jobs, plugins, system } from "../api/v1.js";
import { dangerButton } from "../ui/dialog.js";
import { badge, button, card, checkboxField, facts, field, formatBytes, h, link, replace, shortId, table, timeElement } from "../ui/dom.js";
import { jsonView } from "../ui/json_view.js";
import { showError } from "../ui/notices.js";
import { numberInput } from "../ui/value_input.js";
import { Scene } from "./scene.js";

const RECENT_EVENTS = 25;
const BACKUP_POLL_MS = 1000;

const code = (text) => h("code", { text });

/**
 * A tool's path and version, or that it is missing and what that costs.
 * @param {{path: string | null, version: string | null}} tool @param {string} loss
 */
const toolStatus = (tool, loss) => (tool.path ? [code(tool.path), " ", badge(`version ${tool.version ?? "unknown"}`, "good")] : badge(`not found: ${loss}`, "warn"));

/** How to get ffmpeg (also shown when thumbnails are turned off: the server reports no ffmpeg then). @param {string} toolsDir */
const ffmpegHint = (toolsDir) =>
	h("p.hint", "Install it (Debian or Ubuntu: ", code("sudo apt install ffmpeg"), ", macOS: ", code("brew install ffmpeg"), "), put it in ", code(toolsDir), ", or ", code("pip install imageio-ffmpeg"), "; then restart Core and rebuild the thumbnails below.");

export class SystemScene extends Scene {
	show(/** @type {HTMLElement} */ root) {
		super.show(root);
		this.setTitle("System");
		const body = h("div.stack");
		root.append(h("h1", { text: "System" }), body);
		this.fill(body, "Loading the system information", async () => {
			const info = await system.info();
			const { exiftool, ffmpeg } = info.tools;
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
						["ExifTool", toolStatus(exiftool, "no metadata extraction")],
						["ffmpeg", [toolStatus(ffmpeg, "no thumbnails or video posters"), !ffmpeg.path && ffmpegHint(info.paths.tools_dir)]],
					]),
				),
				card("Thumbnails", this.rebuildThumbnails()),
				card("Contents", counts),
				card("Deleted assets", this.purge()),
				card("Backups", this.backups()),
				card("Recent events", recent),
			];
		});
	}

	/** `POST /v1/admin/thumbnails/rebuild` → the job `assets.thumbnails`, linked. */
	rebuildThumbnails() {
		const onlyMissing = h("input", { type: "checkbox", checked: true });
		const report = h("p", { role: "status" });
		const run = async () => {
			try {
				const job = await admin.rebuildThumbnails(onlyMissing.checked);
				replace(report, "Rebuilding: ", link(`#/jobs/${job.job_id}`, "follow the job"), ".");
			} catch (error) {
				showError(error, "Rebuilding thumbnails");
			}
		};
		return h(
			"div.stack",
			h("p.hint", { text: "Thumbnails and video posters are made after each upload. Rebuild them for files added before ffmpeg was installed." }),
			checkboxField("Only assets without thumbnails", onlyMissing),
			h("div", button("Rebuild thumbnails", run)),
			report,
		);
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
