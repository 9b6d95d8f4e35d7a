"""Plugin pages in a real browser (API.md §12): an enabled plugin's `entrypoints.ui` opens from
the navigation inside the app, its `entrypoints.entity_panel` loads in each entity's Plugins tab
with `?entity_id=`, and both read the API with the signed-in session (the cookie)."""

import shutil

from tests.plugin_support import EXAMPLE, minimal_manifest, write_plugin
from tests.ui_support import create_entity, expect

# The page and the panel read the API with the session cookie alone (fetch sends it to the
# same origin), as a real plugin's pages do.
PAGE_HTML = """<!doctype html><meta charset="utf-8"><title>Viewer</title>
<p id="out">loading</p><script src="page.js"></script>"""
PAGE_JS = """fetch("/v1/system/info").then((r) => r.json()).then((reply) => {
  document.getElementById("out").textContent = "Core " + reply.data.version;
});"""
PANEL_HTML = """<!doctype html><meta charset="utf-8"><title>Panel</title>
<p id="out">loading</p><script src="panel.js"></script>"""
PANEL_JS = """const id = new URLSearchParams(location.search).get("entity_id");
fetch("/v1/entities/" + id).then((r) => r.json()).then((reply) => {
  document.getElementById("out").textContent = "Panel of " + reply.data.display_name;
});"""


def install_viewer(server) -> None:
    folder = server.home / "plugins" / "viewer"
    (folder / "ui").mkdir(parents=True)
    for name, text in {
        "ui/index.html": PAGE_HTML,
        "ui/page.js": PAGE_JS,
        "ui/panel.html": PANEL_HTML,
        "ui/panel.js": PANEL_JS,
    }.items():
        (folder / name).write_text(text, encoding="utf-8")
    entrypoints = {"ui": "ui/index.html", "entity_panel": "ui/panel.html"}
    manifest = minimal_manifest("viewer", name="Viewer", entrypoints=entrypoints)
    write_plugin(server.home, "viewer", manifest)
    assert server.client.post("/v1/plugins/viewer/enable").status == 200


def test_the_navigation_link_opens_the_plugin_page_inside_the_app(ui):
    install_viewer(ui.server)
    page = ui.visit("#/entities", "Entities")
    link = page.get_by_role("navigation").get_by_role("link", name="Viewer")
    link.click()
    ui.heading("Viewer")
    expect(link).to_have_attribute("aria-current", "page")
    frame = page.frame_locator("iframe[data-plugin=viewer]")
    version = ui.server.client.get("/v1/system/info").data["version"]
    expect(frame.locator("#out")).to_have_text(f"Core {version}")
    assert page.locator("iframe[data-plugin=viewer]").get_attribute("src") == (
        "/ui/plugins/viewer/ui/index.html"
    )


def test_the_entity_tab_loads_the_panel_with_the_entity_id(ui):
    install_viewer(ui.server)
    entity = create_entity(ui.server, "Ada Lovelace")
    page = ui.visit(f"#/entities/{entity['entity_id']}", "Ada Lovelace")
    page.get_by_role("tab", name="Plugins").click()
    panel = page.locator("iframe[data-plugin=viewer]")
    expect(panel).to_have_attribute(
        "src", f"/ui/plugins/viewer/ui/panel.html?entity_id={entity['entity_id']}"
    )
    expect(panel).to_have_attribute("title", "Viewer panel for Ada Lovelace")
    expect(page.frame_locator("iframe[data-plugin=viewer]").locator("#out")).to_have_text(
        "Panel of Ada Lovelace"
    )


def test_without_an_enabled_plugin_the_tab_and_the_page_say_so(ui):
    entity = create_entity(ui.server, "Grace Hopper")
    page = ui.visit(f"#/entities/{entity['entity_id']}?tab=plugins", "Grace Hopper")
    expect(page.get_by_role("tabpanel")).to_contain_text("No enabled plugin has an entity panel.")
    ui.open("#/plugin-pages/viewer")
    ui.heading("No such plugin page")


def test_the_example_plugin_panel_queues_a_greeting_its_page_lists(ui):
    shutil.copytree(EXAMPLE, ui.server.home / "plugins" / "example")
    assert ui.server.client.post("/v1/plugins/example/enable").status == 200
    entity = create_entity(ui.server, "Ada Lovelace")
    page = ui.visit(f"#/entities/{entity['entity_id']}?tab=plugins", "Ada Lovelace")
    panel = page.frame_locator("iframe[data-plugin=example]")
    panel.get_by_role("button", name="Greet Ada Lovelace").click()
    expect(panel.locator("#status")).to_contain_text("the runner will greet Ada Lovelace")
    [job] = ui.server.client.get("/v1/jobs", query={"job_type": "example.greet"}).data["items"]
    assert (job["status"], job["input"]) == ("queued", {"name": "Ada Lovelace"})
    page.get_by_role("navigation").get_by_role("link", name="Example greeter").click()
    greetings = page.frame_locator("iframe[data-plugin=example]").locator("#greetings")
    expect(greetings).to_have_text("Ada Lovelace: queued")
