/** What this server is: version, folders, storage, ExifTool, counts and the latest events. */

import { assets, entities, events, jobs, plugins, system } from "../api/v1.js";
import { badge, card, facts, h, shortId, table, timeElement } from "../ui/dom.js";
import { jsonView } from "../ui/json_view.js";
import { Scene } from "./scene.js";

const RECENT_EVENTS = 25;

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
			this.fill(recent, "Loading the events", () => this.recentEvents());
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
				card("Recent events", recent),
			];
		});
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

	/**
	 * The newest events, newest first. The feed reads forward only (`after_id`, oldest first),
	 * so the newest id is found first: `after_id` doubles until nothing comes back, then the gap
	 * is halved; about 2·log2(events) one-row requests, cheap at any size.
	 */
	async recentEvents() {
		const newerThan = async (/** @type {number} */ id) => (await events.list({ after_id: id, limit: 1 })).items.length > 0;
		let [low, high] = [0, 1];
		while (await newerThan(high)) [low, high] = [high, high * 2];
		while (high - low > 1) {
			const middle = Math.floor((low + high) / 2);
			if (await newerThan(middle)) low = middle;
			else high = middle;
		}
		const items = (await events.list({ after_id: Math.max(0, high - RECENT_EVENTS), limit: RECENT_EVENTS })).items.reverse();
		if (!items.length) return h("p.muted", { text: "No events yet." });
		return table(
			["When", "Type", "Subject", "Data"],
			items.map((event) =>
				h("tr", h("td", timeElement(event.ts)), h("td", code(event.type)), h("td", `${event.subject_type} `, shortId(String(event.subject_id))), h("td", jsonView(event.data))),
			),
		);
	}
}
