/**
 * Start-up: check the session, then let the router show the screen the address names.
 * A 401 at any time shows the login screen; logging in returns to the same address.
 */

import { onUnauthorized } from "./api/client.js";
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
import { PluginsScene } from "./scenes/plugins.js";
import { SystemScene } from "./scenes/system.js";
import { h, replace } from "./ui/dom.js";
import { clearNotices, errorBlock, showError } from "./ui/notices.js";
import { pluginNavLinks } from "./ui/plugin_nav.js";

/** @type {import("./router.js").RouteEntry[]} */
const ROUTES = [
  { pattern: "/entities", nav: "entities", scene: EntitiesScene },
  { pattern: "/entities/:id", nav: "entities", scene: EntityDetailScene },
  { pattern: "/assets", nav: "assets", scene: AssetsScene },
  { pattern: "/assets/:id", nav: "assets", scene: AssetDetailScene },
  { pattern: "/jobs", nav: "jobs", scene: JobsScene },
  { pattern: "/jobs/:id", nav: "jobs", scene: JobDetailScene },
  { pattern: "/plugins", nav: "plugins", scene: PluginsScene },
  { pattern: "/field-defs", nav: "field-defs", scene: FieldDefsScene },
  { pattern: "/system", nav: "system", scene: SystemScene },
];
const HOME = "#/entities";

const view = /** @type {HTMLElement} */ (document.getElementById("view"));
/** @type {import("./scenes/scene.js").Scene | null} */
let current = null;
/** @type {string | null} */
let currentKey = null;
let loggedIn = false;

function leaveCurrent() {
  current?.hide();
  current = null;
  currentKey = null;
}

function highlightNav(/** @type {string | null} */ name) {
  for (const link of document.querySelectorAll(".sidebar a[data-nav]")) {
    if (/** @type {HTMLElement} */ (link).dataset.nav === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

/** Show the screen the address names (or update it in place when only its query changed). */
function route() {
  if (!loggedIn) return;
  if (!location.hash || location.hash === "#" || location.hash === "#/") {
    location.replace(HOME);
    return;
  }
  const target = parseHash(location.hash);
  const found = resolve(ROUTES, target.path);
  const key = found ? `${found.entry.pattern}|${JSON.stringify(found.match)}` : null;
  if (current && key === currentKey && current.update(target)) return;
  const moveFocus = current !== null;
  leaveCurrent();
  view.replaceChildren();
  highlightNav(found ? found.entry.nav : null);
  const SceneClass = found ? found.entry.scene : NotFoundScene;
  current = new SceneClass(target, found ? found.match : {});
  currentKey = key;
  current.show(view);
  if (moveFocus) view.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

function showLogin() {
  loggedIn = false;
  leaveCurrent();
  document.body.classList.remove("booting");
  document.body.classList.add("logged-out");
  highlightNav(null);
  current = new LoginScene(parseHash(location.hash), {});
  /** @type {LoginScene} */ (current).onLoggedIn = () => enterApp();
  current.show(view);
}

/** @param {any} [knownInfo]  the system info already fetched at start-up */
async function loadSidebar(knownInfo) {
  try {
    const info = knownInfo || (await system.info());
    replace(/** @type {HTMLElement} */ (document.getElementById("version-line")), `Core ${info.version}`);
    const { items } = await plugins.list();
    refreshPluginNav(items);
  } catch (error) {
    showError(error, "Loading the navigation");
  }
}

/** Re-draw the plugin entries of the navigation (also after enabling or disabling a plugin). */
export function refreshPluginNav(/** @type {import("./api/v1.js").Plugin[]} */ items) {
  const links = pluginNavLinks(items);
  replace(/** @type {HTMLElement} */ (document.getElementById("plugin-nav")), links.map((link) => h("li", {}, link)));
  /** @type {HTMLElement} */ (document.getElementById("plugin-nav-heading")).hidden = links.length === 0;
}

function enterApp(/** @type {any} */ knownInfo) {
  loggedIn = true;
  clearNotices();
  leaveCurrent();
  document.body.classList.remove("booting", "logged-out");
  loadSidebar(knownInfo);
  route();
}

async function start() {
  onUnauthorized(() => {
    if (loggedIn || current === null) showLogin();
  });
  window.addEventListener("hashchange", route);
  window.addEventListener("ff:plugins-changed", (event) => refreshPluginNav(/** @type {CustomEvent} */ (event).detail));
  document.getElementById("skip-link")?.addEventListener("click", () => view.focus());
  document.getElementById("logout-button")?.addEventListener("click", async () => {
    try {
      await session.logout();
    } catch (error) {
      showError(error, "Logging out");
      return;
    }
    clearNotices();
    showLogin();
  });
  let info;
  try {
    info = await system.info();
  } catch (error) {
    if (/** @type {any} */ (error).status === 401) return; // the listener shows the login screen
    document.body.classList.remove("booting");
    view.replaceChildren(errorBlock(error, "Connecting to the FaceForge server"));
    return;
  }
  enterApp(info);
}

start();
