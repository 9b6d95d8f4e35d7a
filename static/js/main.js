/** Start-up: check the session, route to the screen the address names; a 401 shows the login screen. */

import { ApiError, onUnauthorized } from "./api/client.js";
import { plugins, session, system } from "./api/v1.js";
import { parseHash, resolve } from "./router.js";
import { AssetDetailScene } from "./scenes/asset_detail.js";
import { AssetsScene } from "./scenes/assets.js";
import { EntitiesScene } from "./scenes/entities.js";
import { EntityDetailScene } from "./scenes/entity_detail.js";
import { FieldDefsScene } from "./scenes/field_defs.js";
import { JobDetailScene } from "./scenes/job_detail.js";
import { JobsScene } from "./scenes/jobs.js";
import { LoginScene } from "./scenes/login.js";
import { NotFoundScene } from "./scenes/not_found.js";
import { PluginPageScene } from "./scenes/plugin_page.js";
import { PluginsScene } from "./scenes/plugins.js";
import { SystemScene } from "./scenes/system.js";
import { h, replace } from "./ui/dom.js";
import { clearNotices, errorBlock, showError } from "./ui/notices.js";
import { pluginNavLinks } from "./ui/plugin_pages.js";

/** @type {import("./router.js").RouteEntry[]} */
const ROUTES = [
	{ pattern: "/entities", nav: "entities", scene: EntitiesScene },
	{ pattern: "/entities/:id", nav: "entities", scene: EntityDetailScene },
	{ pattern: "/assets", nav: "assets", scene: AssetsScene },
	{ pattern: "/assets/:id", nav: "assets", scene: AssetDetailScene },
	{ pattern: "/jobs", nav: "jobs", scene: JobsScene },
	{ pattern: "/jobs/:id", nav: "jobs", scene: JobDetailScene },
	{ pattern: "/plugins", nav: "plugins", scene: PluginsScene },
	{ pattern: "/plugin-pages/:id", nav: "plugin-pages/:id", scene: PluginPageScene },
	{ pattern: "/field-defs", nav: "field-defs", scene: FieldDefsScene },
	{ pattern: "/system", nav: "system", scene: SystemScene },
];

const view = /** @type {HTMLElement} */ (document.getElementById("view"));
/** @type {import("./scenes/scene.js").Scene | null} */
let current = null;
let currentKey = "";
let loggedIn = false;

function leave() {
	current?.hide();
	current = null;
	currentKey = "";
}

/** @param {string} name  the `data-nav` of the current section ("" for none) */
function highlightNav(name) {
	for (const link of document.querySelectorAll("[data-nav]")) {
		if (/** @type {HTMLElement} */ (link).dataset.nav === name) link.setAttribute("aria-current", "page");
		else link.removeAttribute("aria-current");
	}
}

/** Show the screen the address names, or update it in place when only its query changed. */
function route() {
	if (!loggedIn) return;
	if (["", "#", "#/"].includes(location.hash)) return location.replace("#/entities");
	const target = parseHash(location.hash);
	const found = resolve(ROUTES, target.path);
	const key = found ? `${found.entry.pattern} ${JSON.stringify(found.match)}` : "";
	if (current && key && key === currentKey && current.update(target)) return;
	const moveFocus = current !== null;
	leave();
	view.replaceChildren();
	highlightNav(found ? found.entry.nav.replace(/:(\w+)/g, (_, name) => found.match[name]) : "");
	current = found ? new found.entry.scene(target, found.match) : new NotFoundScene(target, {});
	currentKey = key;
	current.show(view);
	window.scrollTo(0, 0);
	// Keyboard and screen reader users land at the start of the new screen.
	if (moveFocus) view.focus({ preventScroll: true });
}

function showLogin() {
	loggedIn = false;
	leave();
	clearNotices();
	view.replaceChildren();
	document.body.className = "logged-out";
	const login = new LoginScene(parseHash(location.hash), {});
	login.onLoggedIn = () => enterApp(null);
	current = login;
	current.show(view);
}

/** Re-draw the navigation entries of enabled plugins. @param {import("./api/v1.js").Plugin[]} items */
function refreshPluginNav(items) {
	const links = pluginNavLinks(items);
	replace(/** @type {HTMLElement} */ (document.getElementById("plugin-nav")), links.map((link) => h("li", link)));
	/** @type {HTMLElement} */ (document.getElementById("plugin-nav-heading")).hidden = !links.length;
}

/** @param {any} info  the system info, when already fetched */
async function enterApp(info) {
	loggedIn = true;
	leave();
	clearNotices();
	document.body.className = "";
	route();
	try {
		replace(/** @type {HTMLElement} */ (document.getElementById("version-line")), `Core ${(info || (await system.info())).version}`);
		refreshPluginNav((await plugins.list()).items);
	} catch (error) {
		showError(error, "Loading the navigation");
	}
}

/** A 401 means the session had already ended (say the token was replaced): logged out all the same. */
async function logout() {
	try {
		await session.logout();
		showLogin();
	} catch (error) {
		if (error instanceof ApiError && error.status === 401) showLogin();
		else showError(error, "Logging out");
	}
}

onUnauthorized(() => loggedIn && showLogin());
window.addEventListener("hashchange", route);
window.addEventListener("ff:plugins-changed", (event) => refreshPluginNav(/** @type {CustomEvent} */ (event).detail));
document.getElementById("skip-link")?.addEventListener("click", () => view.focus());
document.getElementById("logout-button")?.addEventListener("click", logout);
system.info().then(enterApp, (error) => {
	if (error.status === 401) return showLogin();
	document.body.className = "";
	view.replaceChildren(errorBlock(error, "Connecting to the FaceForge server"));
});
