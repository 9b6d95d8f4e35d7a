/** What this server is: version, folders, storage, ExifTool, ffmpeg, counts and the latest events; rebuilding thumbnails, purging deleted assets; backups and export; API keys. */

import { admin, assets, entities, events, jobs, plugins, system } from "../api/v1.js";
import { dangerButton } from "../ui/dialog.js";
import { badge, button, card, checkboxField, facts, field, formatBytes, h, link, replace, shortId, submitButton, table, textInput, timeElement } from "../ui/dom.js";
import { actionForm } from "../ui/form.js";
import { jsonView } from "../ui/json_view.js";
import { exportForm } from "../ui/export_form.js";
import { followJob } from "../ui/follow_job.js";
import { copyInput, showError, showSuccess } from "../ui/notices.js";
import { numberInput } from "../ui/value_input.js";
import { Scene } from "./scene.js";

const RECENT_EVENTS = 25;
const KEY_SCOPES = ["read", "write", "admin"];
const RESTORE_HINT = "A running server cannot restore into its own home, so restore is a command-line step: run this on the server's computer, then start FaceForge on the new home.";

const code = (text) => h("code", { text });

/**
 * `restore` of `backup` into `home`, run as this server is (`command`), words quoted where needed: Windows double
 * quotes when its paths are Windows ones, else POSIX single quotes.
 * @param {string[]} command @param {string} backup @param {string} home
 */
const restoreCommand = (command, backup, home) => {
	const windows = /^([A-Za-z]:)?\\/.test(backup);
	const plain = windows ? /^[\w@%+=:,./\\-]+$/ : /^[\w@%+=:,./-]+$/;
	const quote = (word) => (windows ? `"${word}"` : `'${word.replaceAll("'", "'\\''")}'`);
	return [...command, "restore", backup, "--home", home].map((word) => (plain.test(word) ? word : quote(word))).join(" ");
};

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
				card("Backups", this.backups(info.faceforge_home, info.command)),
				card("Export", exportForm(null, () => this.active)),
				card("API keys", this.apiKeys()),
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

	/**
	 * The complete backups (`GET /v1/admin/backups`), each with Verify (the job `system.backup_verify`) and Restore (the command: a running
	 * server cannot restore into its own home), and "Back up now", which queues a backup job, links to it and lists the backup once it is done.
	 * @param {string} home  this server's home folder
	 * @param {string[]} program  how this server runs (system info)
	 */
	backups(home, program) {
		const list = h("div");
		const report = h("div", { role: "status" });
		const alive = () => this.active;
		const verify = async (name) => {
			const done = (r) => (r.ok ? `Backup ${name} is whole: ${r.files_checked} files checked.` : `Backup ${name} has ${r.problems.length} problem(s): ${r.problems.join("; ")}.`);
			await followJob(report, await admin.verifyBackup(name), `Verifying ${name}`, done, alive);
		};
		const restore = (item) => {
			const command = textInput(restoreCommand(program, item.path, `${home}-restored`), { readOnly: true, "aria-label": "Restore command" });
			replace(report, h("p", { text: RESTORE_HINT }), command, h("p.row", button("Copy", () => copyInput(command, "Command"))));
		};
		const load = () =>
			this.fill(list, "Loading the backups", async () => {
				const { items } = await admin.backups();
				if (!items.length) return h("p.muted", { text: "No backups yet." });
				const actions = (item) => h("td", h("div.row", button("Verify", () => verify(item.name).catch((e) => showError(e, "Verifying"))), button("Restore…", () => restore(item))));
				return table(
					["Backup", "Taken", "Size", "Entities", "Files", ""],
					items.map((item) => h("tr", h("td", code(item.name)), h("td", timeElement(item.created_at)), h("td", formatBytes(item.byte_size)), h("td", String(item.counts.entities)), h("td", String(item.counts.files)), actions(item))),
				);
			});
		const backUp = async () => {
			try {
				const done = () => {
					load();
					return "Backup succeeded.";
				};
				await followJob(report, await admin.backUp(), "Backup", done, alive);
			} catch (error) {
				showError(error, "Starting a backup");
			}
		};
		load();
		return h("div.stack", list, h("div", button("Back up now", backUp)), report);
	}

	/** API keys (`/v1/admin/tokens`): create one with a name and scopes, its secret shown once with Copy; list and revoke. */
	apiKeys() {
		const list = h("div");
		const secret = h("div", { role: "status" });
		const load = () =>
			this.fill(list, "Loading the API keys", async () => {
				const { items } = await admin.tokens();
				if (!items.length) return h("p.muted", { text: "No API keys yet." });
				const revoke = (key) => dangerButton("Revoke…", `key ${key.name}`, "Requests with this key are refused from now on.", async () => {
					await admin.deleteToken(key.token_id);
					showSuccess(`Revoked ${key.name}.`);
					load();
				});
				return table(
					["Name", "Scopes", "Created", "Last used", "Expires", ""],
					items.map((key) => h("tr", h("td", key.name), h("td", key.scopes.join(", ")), h("td", timeElement(key.created_at)), h("td", key.last_used_at ? timeElement(key.last_used_at) : "never"), h("td", key.expires_at ? timeElement(key.expires_at) : "never"), h("td", revoke(key)))),
				);
			});
		const name = textInput("", { name: "name" });
		const boxes = KEY_SCOPES.map((scope) => h("input", { type: "checkbox", value: scope, checked: scope === "read" }));
		const create = async () => {
			const key = await admin.createToken({ name: name.value, scopes: boxes.filter((box) => box.checked).map((box) => box.value) });
			const shown = textInput(key.token, { readOnly: true, "aria-label": "New key" });
			replace(secret, h("p", { text: `The key ${key.name}: copy it now, it is not shown again.` }), shown, h("p.row", button("Copy", () => copyInput(shown, "Key"))));
			name.value = "";
			load();
		};
		const form = actionForm({ "aria-label": "New API key" }, create, [
			field("Name", name, { field: "name", required: true }),
			h("fieldset.field", { dataset: { field: "scopes" } }, h("legend", { text: "Scopes" }), boxes.map((box) => checkboxField(box.value, box))),
			h("div", submitButton("Create key")),
		]);
		load();
		return h("div.stack", list, form, secret);
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
