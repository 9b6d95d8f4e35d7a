/** Plugins: state badges, enable/disable, the supervised runner (state, log tail, Restart), and a settings form built from `config_schema`. */

import { plugins } from "../api/v1.js";
import { badge, button, empty, facts, h, submitButton } from "../ui/dom.js";
import { actionForm } from "../ui/form.js";
import { showError, showSuccess } from "../ui/notices.js";
import { schemaForm } from "../ui/schema_form.js";
import { Scene } from "./scene.js";

/** @typedef {import("../api/v1.js").Plugin} Plugin */

/** @param {string[] | undefined} values */
const codeList = (values) => (values?.length ? h("span.chips", values.map((text) => h("code.chip", { text }))) : "—");

const titleOf = (plugin) => plugin.name || plugin.plugin_id;

const RUNNER_TONES = { running: "good", starting: "info", backoff: "warn", failed: "bad" };

/** The settings form of a plugin. @param {Plugin} plugin */
function settingsForm(plugin) {
	const settings = schemaForm(plugin.config_schema, plugin.config);
	return actionForm(
		{ "aria-label": `Settings of ${titleOf(plugin)}` },
		async () => {
			const read = settings.read();
			if (!read.ok) return;
			await plugins.saveConfig(plugin.plugin_id, read.value);
			showSuccess(`Settings of ${titleOf(plugin)} saved.`);
		},
		[settings.element, submitButton("Save settings")],
		"config",
	);
}

export class PluginsScene extends Scene {
	list = h("div.stack");

	show(/** @type {HTMLElement} */ root) {
		super.show(root);
		this.setTitle("Plugins");
		root.append(h("h1", { text: "Plugins" }), h("p.hint", { text: "Plugins live in folders under plugins/ in the FaceForge home, each with a plugin.json manifest." }), this.list);
		this.load();
	}

	load() {
		return this.fill(this.list, "Loading the plugins", async () => {
			const { items } = await plugins.list();
			window.dispatchEvent(new CustomEvent("ff:plugins-changed", { detail: items }));
			return items.length ? items.map((plugin) => this.card(plugin)) : empty("No plugins found. Put a plugin's folder in plugins/ and reload.");
		});
	}

	/** The runner Core supervises for an enabled plugin: its state, Restart, and the tail of its log. @param {Plugin} plugin */
	runner(plugin) {
		const { runner } = plugin;
		const log = h("pre.runner-log", { "aria-label": `Log of ${titleOf(plugin)}` });
		const showLog = () => this.fill(log, "Loading the log", async () => (await plugins.runnerLog(plugin.plugin_id)).lines.join("\n") || "(nothing logged yet)");
		const restart = async () => {
			try {
				await plugins.restart(plugin.plugin_id);
				showSuccess(`${titleOf(plugin)} restarted.`);
				this.load();
			} catch (error) {
				showError(error, `Restarting ${titleOf(plugin)}`);
			}
		};
		const runnerFacts = facts([
			["Runner", badge(runner.state, RUNNER_TONES[runner.state])],
			["Process", runner.pid ? String(runner.pid) : "—"],
			["Restarts", String(runner.restarts)],
			["Last exit code", runner.last_exit_code === null ? "—" : String(runner.last_exit_code)],
		]);
		const actions = h("div.row", button("Restart", restart, { "aria-label": `Restart ${titleOf(plugin)}` }), button("Refresh log", showLog));
		showLog();
		return h("section.stack", { "aria-label": `Runner of ${titleOf(plugin)}` }, runnerFacts, actions, log);
	}

	card(plugin) {
		const verb = plugin.enabled ? "Disable" : "Enable";
		const toggle = h("button", { type: "button", class: plugin.enabled ? undefined : "primary", text: verb, "aria-label": `${verb} ${titleOf(plugin)}` });
		toggle.addEventListener("click", async () => {
			toggle.disabled = true;
			try {
				await (plugin.enabled ? plugins.disable(plugin.plugin_id) : plugins.enable(plugin.plugin_id));
				showSuccess(`${titleOf(plugin)} ${plugin.enabled ? "disabled" : "enabled"}.`);
				this.load();
			} catch (error) {
				toggle.disabled = false;
				showError(error, `${verb} ${titleOf(plugin)}`);
			}
		});
		const headingId = `plugin-${plugin.plugin_id}`;
		return h(
			"article.card.plugin-card",
			{ "aria-labelledby": headingId, dataset: { plugin: plugin.plugin_id } },
			h(
				"header.page-head",
				h("h2", { id: headingId, text: titleOf(plugin) }),
				h("span.muted", { text: plugin.version || "" }),
				plugin.enabled ? badge("enabled", "good") : badge("disabled"),
				plugin.discovered ? badge("discovered", "info") : badge("missing", "warn"),
				plugin.error && badge("error", "bad"),
				h("div.actions", toggle),
			),
			plugin.error && h("p.error-block", { text: `Manifest problem: ${plugin.error}` }),
			facts([
				["Id", h("code", { text: plugin.plugin_id })],
				["Capabilities", codeList(plugin.capabilities)],
				["Job types", codeList(plugin.job_types)],
				["Permissions", codeList(plugin.permissions)],
			]),
			plugin.runner && this.runner(plugin),
			h("details", h("summary", { text: "Settings" }), plugin.discovered && !plugin.error ? settingsForm(plugin) : h("p.muted", { text: "Settings need the plugin's folder and a valid manifest." })),
		);
	}
}
