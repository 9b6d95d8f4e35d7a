"""The web UI's screens in a real browser (tests/ui_support.py: headless Chromium driven by
Playwright, a real server with a temp home, every unexpected error response or console error
fails the test)."""

import json
import os
import re
import struct
from pathlib import Path

from tests.plugin_support import enabled_plugin
from tests.support import REPO_ROOT, wait_until
from tests.ui_support import (
    Ui,
    create_entity,
    expect,
    png_bytes,
    screenshot_folder,
    table_rows,
    upload,
)

# Raised from 160 000 for the tus client, thumbnails everywhere, plugin pages, API keys and
# runners (docs/ui.md says what each took).
SHELL_BUDGET_BYTES = 185_000
MAIN_SCREENS = ["#/entities", "#/assets", "#/jobs", "#/plugins", "#/field-defs", "#/system"]


def search_for(ui, text: str, expected_rows: int) -> None:
    ui.page.get_by_label("Search").fill(text)
    expect(table_rows(ui)).to_have_count(expected_rows)


# --- the shell ---------------------------------------------------------------------------------


def test_shell_is_public_small_and_fenced_in(server):
    reply = server.anonymous.get("/ui/")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    policy = reply.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert server.anonymous.get("/ui/js/main.js").status == 200
    static = REPO_ROOT / "static"
    total = sum(path.stat().st_size for path in static.rglob("*") if path.is_file())
    assert total < SHELL_BUDGET_BYTES, f"the shell is {total} bytes"
    index = (static / "index.html").read_text(encoding="utf-8")
    assert 'rel="icon" href="data:' in index  # no /favicon.ico request (it would be a 401)
    assert not re.search(r"(src|href)=\"(https?:)?//", index)


def test_login_with_the_token_then_logout(ui):
    ui.allow(401, "GET", r"^/v1/system/info$")
    ui.allow(401, "POST", r"^/ui/login$")
    ui.open("#/system")
    page = ui.page
    ui.heading("Log in")
    page.get_by_label("Install token").fill("not-the-token")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".login")).to_contain_text("Invalid token")
    page.get_by_label("Install token").fill(ui.server.token)
    page.get_by_role("button", name="Log in").click()
    ui.heading("System")  # the address asked for before logging in
    expect(page.locator("main")).to_contain_text(str(ui.server.home))
    expect(page.locator("main")).to_contain_text("Entities")
    page.get_by_role("button", name="Log out").click()
    ui.heading("Log in")
    assert ui.server.anonymous.get("/v1/ping").status == 401
    ui.reload()
    ui.heading("Log in")


def test_log_out_after_the_token_changed_still_shows_the_login(ui):
    """The session may have ended behind the page's back (a replaced token): the logout's
    401 then means logged out, not an error."""
    ui.allow(401, "POST", r"^/ui/logout$")
    ui.allow(401, "GET", r"^/v1/system/info$")
    ui.visit("#/entities", "Entities")
    ui.context.add_cookies(
        [{"name": "ff_token", "value": "no-longer-the-token", "url": ui.server.url}]
    )
    ui.page.get_by_role("button", name="Log out").click()
    ui.heading("Log in")
    expect(ui.page.locator(".notice-error")).to_have_count(0)


def test_a_one_time_login_link_opens_the_ui_logged_in_once(ui):
    ui.allow(401, "GET", r"^/ui/login-link\?code=")
    ui.allow(401, "GET", r"^/v1/system/info$")
    link = ui.server.client.post("/v1/ui/login-link").data["url"]
    page = ui.page
    page.goto(link)
    ui.heading("Entities")
    assert page.url == f"{ui.server.url}/ui/#/entities"
    page.get_by_role("button", name="Log out").click()
    ui.heading("Log in")
    page.goto(link)  # used up: the server refuses it, the UI stays logged out
    ui.open()
    ui.heading("Log in")


def test_a_401_sends_to_login_and_back_to_the_same_address(ui):
    ui.allow(401, "GET", r"^/v1/")
    entity = create_entity(ui.server, "Grace Hopper")
    ui.login()
    address = f"#/entities/{entity['entity_id']}?tab=relationships"
    ui.open(address)
    page = ui.page
    ui.heading("Grace Hopper")
    expect(page.get_by_role("tab", name="Relationships")).to_have_attribute("aria-selected", "true")
    ui.reload()
    expect(page.get_by_role("tab", name="Relationships")).to_have_attribute("aria-selected", "true")
    ui.context.clear_cookies()
    page.get_by_role("tab", name="Descriptors").click()
    ui.heading("Log in")
    page.get_by_label("Install token").fill(ui.server.token)
    page.keyboard.press("Enter")
    ui.heading("Grace Hopper")
    expect(page.get_by_role("tab", name="Descriptors")).to_have_attribute("aria-selected", "true")
    assert page.url.endswith(f"/ui/#/entities/{entity['entity_id']}?tab=descriptors")


def wav_bytes(seconds: int = 1, rate: int = 8000) -> bytes:
    """A real WAV file (silence), so the audio player appears."""
    frames = b"\x00\x00" * rate * seconds
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    data = b"data" + struct.pack("<I", len(frames)) + frames
    return b"RIFF" + struct.pack("<I", 36 + len(frames)) + b"WAVEfmt " + fmt + data


PEOPLE = [
    ("Ada Lovelace", ["math", "poet"], ["Countess of Lovelace"], 220),
    ("Charles Babbage", ["engine", "math"], [], 90),
    ("Alan Turing", ["logic", "computing"], [], 20),
    ("Grace Hopper", ["navy", "computing"], ["Amazing Grace"], 140),
    ("Kurt Gödel", ["logic"], [], None),
    ("Hedy Lamarr", ["film", "radio"], [], 250),
]


def no_thumbnail_pending(client) -> bool:
    items = client.get("/v1/assets", query={"limit": 200}).data["items"]
    return all(asset["thumbnail_status"] != "pending" for asset in items)


def populate(server, tmp_path) -> dict:
    """Something on every screen: people with pictures, files, definitions, descriptors, a
    relationship, a configured plugin and a finished import. Returns ids and every address."""
    client = server.client
    people = {}
    for name, tags, aliases, blue in PEOPLE:
        entity = create_entity(server, name, tags=tags, aliases=aliases)
        people[name] = entity["entity_id"]
        if blue is not None:
            filename = name.split()[0].lower() + ".png"
            upload(
                server,
                png_bytes(160, 120, blue),
                filename=filename,
                kind="image",
                entity_id=entity["entity_id"],
                role="portrait",
            )
    ada = people["Ada Lovelace"]
    picture = client.get(f"/v1/entities/{ada}/assets").data["items"][0]
    upload(server, wav_bytes(), filename="voice.wav", kind="audio", entity_id=ada)
    upload(
        server,
        b"Notes on the Analytical Engine\n" * 40,
        filename="notes.txt",
        kind="document",
        entity_id=ada,
        role="notes",
    )
    client.post(
        "/v1/admin/field-defs",
        {"scope": "entity", "field_key": "born", "field_type": "int", "options": {"min": 0}},
    )
    eyes = {"options": ["blue", "green", "brown"]}
    client.post(
        "/v1/admin/field-defs",
        {"scope": "descriptor", "field_key": "eye_color", "field_type": "enum", "options": eyes},
    )
    client.patch(f"/v1/entities/{ada}", {"fields": {"born": 1815}})
    client.post(f"/v1/entities/{ada}/descriptors", {"field_key": "eye_color", "value": "green"})
    relationship = {"src_entity_id": ada, "dst_entity_id": people["Charles Babbage"]}
    client.post("/v1/relationships", {**relationship, "relationship_type": "coworker"})
    write_plugin(server.home)
    client.post("/v1/plugins/greeter/enable")
    client.put("/v1/plugins/greeter/config", {"config": {"greeting": "Hello", "times": 2}})
    folder = tmp_path / "navy-archive"
    folder.mkdir()
    for index in range(6):
        (folder / f"log-{index}.txt").write_text(f"entry {index}\n" * 50, encoding="utf-8")
    body = {"path": str(folder), "kind": "document", "entity_id": people["Grace Hopper"]}
    job = client.post("/v1/assets/bulk-import", body).data
    wait_until(lambda: client.get(f"/v1/jobs/{job['job_id']}").data["status"] == "succeeded")
    wait_until(lambda: no_thumbnail_pending(client), timeout=60)  # the screens show them
    tabs = ["overview", "descriptors", "attachments", "relationships", "plugins"]
    return {
        "ada": ada,
        "picture": picture["asset_id"],
        "job": job["job_id"],
        "addresses": [
            *MAIN_SCREENS,
            *(f"#/entities/{ada}?tab={tab}" for tab in tabs),
            f"#/assets/{picture['asset_id']}",
            f"#/jobs/{job['job_id']}",
            "#/plugin-pages/greeter",
        ],
    }


def test_screenshots_of_every_main_screen_for_the_user_guide(browser, server, tmp_path):
    data = populate(server, tmp_path)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = Ui(context, server, screenshot_folder(tmp_path))
    tab.allow(401, "GET", r"^/v1/system/info$")
    tab.open()
    tab.heading("Log in")
    tab.screenshot("ui-login.png")
    tab.page.get_by_label("Install token").fill(server.token)
    tab.page.keyboard.press("Enter")
    tab.heading("Entities")
    expect(tab.page.locator("#version-line")).to_have_text(re.compile(r"^Core "))
    shots = [
        ("ui-entities.png", "#/entities", "Entities"),
        ("ui-entity-detail.png", f"#/entities/{data['ada']}?tab=attachments", "Ada Lovelace"),
        ("ui-assets.png", "#/assets", "Assets"),
        ("ui-jobs.png", "#/jobs", "Jobs"),
        ("ui-job-detail.png", f"#/jobs/{data['job']}", "assets.bulk-import succeeded"),
        ("ui-plugins.png", "#/plugins", "Plugins"),
        ("ui-field-definitions.png", "#/field-defs", "Field definitions"),
        ("ui-system.png", "#/system", "System"),
    ]
    for name, address, heading in shots:
        tab.open(address)
        tab.heading(heading)
        if name == "ui-plugins.png":
            tab.page.locator("summary", has_text="Settings").click()
        tab.screenshot(name)
        assert (tab.shots / name).stat().st_size > 10_000
    problems = tab.unexpected()
    context.close()
    assert problems == []


def test_every_screen_loads_cleanly_is_labelled_fits_1024_px_and_follows_the_color_scheme(
    browser, server, tmp_path
):
    addresses = populate(server, tmp_path)["addresses"]
    for scheme, dark in (("light", False), ("dark", True)):
        context = browser.new_context(viewport={"width": 1024, "height": 700}, color_scheme=scheme)
        tab = Ui(context, server, tmp_path)
        tab.login()
        for address in addresses:
            tab.open(address)
            tab.settle()
            unlabelled = tab.page.evaluate(
                """() => [...document.querySelectorAll('input, select, textarea, button')]
                    .filter((el) => !el.hidden && el.offsetParent !== null)
                    .filter((el) => !(el.labels && el.labels.length)
                        && !el.getAttribute('aria-label')
                        && !el.getAttribute('aria-labelledby') && !el.textContent.trim())
                    .map((el) => el.outerHTML)"""
            )
            assert unlabelled == [], address
            width = tab.page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1024, f"{address} is {width} px wide"
            background = tab.page.evaluate("getComputedStyle(document.body).backgroundImage")
            assert ("rgb(18, 21, 27)" in background) == dark, (address, background)
        problems = tab.unexpected()
        context.close()
        assert problems == [], scheme


def test_keyboard_focus_is_visible(ui):
    ui.login()
    ui.open("#/entities")
    ui.heading("Entities")
    page = ui.page
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")  # the skip link moves focus to the content
    assert page.evaluate("document.activeElement.id") == "view"


# --- entities ----------------------------------------------------------------------------------


def test_create_edit_search_and_delete_an_entity(ui):
    ui.allow(422, "POST", r"^/v1/entities$")
    create_entity(ui.server, "Charles Babbage", tags=["engine"])
    page = ui.visit("#/entities", "Entities")
    dialog = ui.dialog_from("New entity")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.locator("[data-field=display_name] .field-error")).not_to_be_empty()
    dialog.get_by_label("Display name").fill("Ada Lovelace")
    dialog.get_by_label("Tags").fill("math, poet")
    dialog.get_by_role("button", name="Create").click()
    ui.heading("Ada Lovelace")
    entity_id = page.url.rsplit("/", 1)[1]
    stored = ui.server.client.get(f"/v1/entities/{entity_id}").data
    assert stored["tags"] == ["math", "poet"]

    page.get_by_label("Display name").fill("Ada King")
    page.get_by_label("Aliases").fill("Countess of Lovelace")
    page.get_by_label("Aliases").press("Enter")
    page.get_by_role("button", name="Save changes").click()
    ui.heading("Ada King")
    stored = ui.server.client.get(f"/v1/entities/{entity_id}").data
    assert stored["display_name"] == "Ada King"
    assert stored["aliases"] == ["Countess of Lovelace"]

    page.get_by_role("link", name="← All entities").click()
    ui.heading("Entities")
    rows = table_rows(ui)
    expect(rows).to_have_count(2)
    search_for(ui, "countess", 1)
    expect(rows.first).to_contain_text("Ada King")
    assert "q=countess" in page.url
    ui.reload()
    expect(page.get_by_label("Search")).to_have_value("countess")
    expect(rows).to_have_count(1)

    rows.first.get_by_role("link", name="Ada King").click()
    page.get_by_role("button", name="Delete entity Ada King").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete entity").click()
    ui.heading("Entities")
    assert ui.server.client.get(f"/v1/entities/{entity_id}").status == 404


def test_a_search_that_finds_nothing_names_it_and_clears_it(ui):
    page = ui.visit("#/entities", "Entities")
    empty = page.locator("main .empty")
    expect(empty).to_have_text("No entities yet. Create the first one with “New entity”.")
    create_entity(ui.server, "Ada Lovelace", tags=["math"])
    ui.open("#/entities?q=zebra")
    expect(empty).to_contain_text("No entity matches “zebra”.")
    expect(empty).not_to_contain_text("No entities yet")
    ui.open("#/entities?q=zebra&tag=math")
    expect(empty).to_contain_text("No entity matches “zebra” and the tag “math”.")
    empty.get_by_role("button", name="Clear search").click()
    expect(table_rows(ui)).to_have_count(1)
    expect(page.get_by_label("Search")).to_have_value("")
    assert page.url.endswith("/ui/#/entities")


def test_gallery_bulk_tag_and_bulk_delete(ui):
    for name in ("Alan Turing", "Kurt Gödel", "John von Neumann"):
        create_entity(ui.server, name)
    page = ui.visit("#/entities?view=gallery")
    expect(page.locator(".gallery-card")).to_have_count(3)
    expect(page.locator(".gallery-card .thumb").first).to_have_text(re.compile(r"^[A-Z]{1,2}$"))
    page.get_by_label("Select Alan Turing").check()
    page.get_by_label("Select Kurt Gödel").check()
    page.get_by_label("Tag for the selected entities").fill("logic")
    page.get_by_role("button", name="Add tag").click()
    ui.notice("Tagging 2 entities: done.")
    page.get_by_role("button", name="logic", exact=True).first.click()
    expect(page.locator(".gallery-card")).to_have_count(2)
    assert "tag=logic" in page.url
    page.get_by_label("Select Kurt Gödel").check()
    page.get_by_label("Tag for the selected entities").fill("logic")
    page.get_by_role("button", name="Remove tag", exact=True).click()
    ui.notice("Untagging 1 entities: done.")
    expect(page.locator(".gallery-card")).to_have_count(1)
    page.get_by_role("button", name="Remove tag filter logic").click()
    expect(page.locator(".gallery-card")).to_have_count(3)
    page.get_by_label("Select Alan Turing").check()
    page.get_by_label("Select Kurt Gödel").check()
    page.get_by_role("button", name="Delete 2 entities").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    ui.notice("Deleting 2 entities: done.")
    listed = ui.server.client.get("/v1/entities").data
    assert [entity["display_name"] for entity in listed["items"]] == ["John von Neumann"]


def test_descriptor_validation_error_then_a_valid_one(ui):
    ui.allow(422, "POST", r"^/v1/entities/[0-9a-f]{64}/descriptors$")
    client = ui.server.client
    client.post(
        "/v1/admin/field-defs",
        {"scope": "descriptor", "field_key": "code", "field_type": "string", "regex": "^[0-9]+$"},
    )
    entity = create_entity(ui.server, "Ada Lovelace")
    page = ui.visit(f"#/entities/{entity['entity_id']}?tab=descriptors")
    page.get_by_label("Value").fill("abc")
    page.get_by_role("button", name="Add descriptor").click()
    error = page.locator("[data-field=value] .field-error")
    expect(error).to_be_visible()
    expect(page.get_by_label("Value")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Value").fill("1815")
    page.get_by_role("button", name="Add descriptor").click()
    expect(table_rows(ui)).to_contain_text("1815")
    descriptors = client.get(f"/v1/entities/{entity['entity_id']}/descriptors").data["items"]
    assert [(item["field_key"], item["value"]) for item in descriptors] == [("code", "1815")]


def test_add_a_relationship_with_the_picker(ui):
    ada = create_entity(ui.server, "Ada Lovelace")
    babbage = create_entity(ui.server, "Charles Babbage")
    page = ui.visit(f"#/entities/{ada['entity_id']}?tab=relationships")
    page.get_by_label("Relationship type").fill("coworker")
    picker = page.get_by_role("combobox", name="Other entity")
    picker.fill("babb")
    expect(page.get_by_role("option", name="Charles Babbage")).to_be_visible()
    picker.press("ArrowDown")
    picker.press("Enter")
    expect(picker).to_have_value("Charles Babbage")
    page.get_by_role("button", name="Add relationship").click()
    row = table_rows(ui)
    expect(row).to_contain_text("coworker")
    expect(row.get_by_role("link", name="Charles Babbage")).to_be_visible()
    items = ui.server.client.get("/v1/relationships", query={"entity_id": ada["entity_id"]}).data
    assert [
        (r["src_entity_id"], r["dst_entity_id"], r["relationship_type"]) for r in items["items"]
    ] == [(ada["entity_id"], babbage["entity_id"], "coworker")]
    ui.open(f"#/entities/{babbage['entity_id']}?tab=relationships")
    expect(table_rows(ui)).to_contain_text("Ada Lovelace")


def test_field_definitions_page(ui):
    ui.allow(422, "POST", r"^/v1/admin/field-defs$")
    ui.visit("#/field-defs", "Field definitions")
    dialog = ui.dialog_from("New field definition")
    dialog.get_by_label("Field key").fill("eye_color")
    dialog.get_by_label("Type").select_option("enum")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.locator(".field-error:visible, .form-error:visible").first).to_be_visible()
    dialog.get_by_label("Allowed values").fill("blue, green, brown")
    dialog.get_by_role("button", name="Create").click()
    expect(table_rows(ui)).to_contain_text("one of blue, green, brown")
    ui.dialog_from("New field definition")
    dialog.get_by_label("Scope").fill("entity")
    dialog.get_by_label("Field key").fill("born")
    dialog.get_by_label("Type").select_option("int")
    dialog.get_by_label("Minimum", exact=True).fill("0")
    dialog.get_by_role("button", name="Create").click()
    expect(table_rows(ui)).to_have_count(2)
    definitions = ui.server.client.get("/v1/admin/field-defs").data["items"]
    assert {(d["scope"], d["field_key"], d["field_type"]) for d in definitions} == {
        ("descriptor", "eye_color", "enum"),
        ("entity", "born", "int"),
    }


# --- assets ------------------------------------------------------------------------------------


def test_upload_two_files_with_progress_then_download_one(ui, tmp_path):
    first = tmp_path / "portrait.png"
    second = tmp_path / "voice.bin"
    first.write_bytes(png_bytes(1200, 900))
    second.write_bytes(os.urandom(2 * 1024 * 1024))
    entity = create_entity(ui.server, "Ada Lovelace")
    page = ui.visit(f"#/entities/{entity['entity_id']}?tab=attachments")
    page.get_by_label("Role").first.fill("reference")
    page.get_by_label("Files to upload").set_input_files([str(first), str(second)])
    uploads = page.locator(".upload-item")
    expect(uploads).to_have_count(2)
    expect(page.locator(".upload-item.done")).to_have_count(2, timeout=30_000)
    for index in range(2):
        expect(uploads.nth(index).locator(".status")).to_contain_text("MB/s")
        assert uploads.nth(index).locator("progress").evaluate("bar => bar.value") == 100
    linked = page.get_by_role("region", name="Linked files").locator("tbody tr")
    expect(linked).to_have_count(2)
    expect(linked.filter(has_text="portrait.png")).to_contain_text("reference")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download voice.bin").click()
    assert Path(download.value.path()).read_bytes() == second.read_bytes()
    assert download.value.suggested_filename == "voice.bin"


def test_cancel_an_upload_in_flight(ui, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(8 * 1024 * 1024))
    entity = create_entity(ui.server, "Ada Lovelace")
    page = ui.visit(f"#/entities/{entity['entity_id']}?tab=attachments")
    ui.slow_uploads(256 * 1024)
    ui.aborts_allowed = True  # the canceled upload is an aborted request, on purpose
    page.get_by_label("Files to upload").set_input_files(str(big))
    status = page.locator(".upload-item .status")
    expect(status).to_contain_text("MB/s")
    page.get_by_role("button", name="Cancel upload of big.bin").click()
    expect(status).to_have_text("Upload canceled.")
    expect(page.locator(".upload-item.failed")).to_have_count(1)
    assert ui.server.client.get("/v1/assets").data["items"] == []


def test_assets_page_search_detail_and_signed_url(ui, tmp_path):
    for name in ("alpha.txt", "beta.txt"):
        upload(ui.server, name.encode() * 10, filename=name, kind="document")
    page = ui.visit("#/assets", "Assets")
    expect(table_rows(ui)).to_have_count(2)
    search_for(ui, "bet", 1)
    page.get_by_role("link", name="beta.txt").click()
    ui.heading("beta.txt")
    expect(page.locator("main")).to_contain_text("document")
    page.get_by_role("button", name="Copy signed download URL").click()
    url = page.get_by_label("Signed download URL").input_value()
    assert url.startswith(ui.server.url + "/v1/assets/")
    signed = ui.server.anonymous.get(url[len(ui.server.url) :])
    assert signed.status == 200 and signed.body == b"beta.txt" * 10


# --- jobs and plugins --------------------------------------------------------------------------


def test_bulk_import_runs_to_100_percent_live(ui, tmp_path):
    ui.allow(422, "POST", r"^/v1/assets/bulk-import$")
    ada = create_entity(ui.server, "Ada Lovelace")
    folder = tmp_path / "shoot"
    (folder / "day2").mkdir(parents=True)
    for index in range(12):
        (folder / ("day2" if index % 2 else "") / f"frame{index:02}.bin").write_bytes(
            os.urandom(1024) + bytes([index])
        )
    page = ui.visit("#/jobs", "Jobs")
    dialog = ui.dialog_from("Import a folder…")
    dialog.get_by_label("Folder on the server").fill(str(tmp_path / "missing"))
    dialog.get_by_role("button", name="Start import").click()
    expect(dialog.locator("[data-field=path] .field-error")).to_contain_text("missing")
    dialog.get_by_label("Folder on the server").fill(str(folder))
    picker = dialog.get_by_role("combobox", name="Link to entity (optional)")
    picker.fill("ada")
    dialog.get_by_role("option", name="Ada Lovelace").click()
    dialog.get_by_label("Role").fill("frame")
    dialog.get_by_role("button", name="Start import").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("assets.bulk-import")
    expect(page.locator(".job-percent")).to_have_text("100 %", timeout=30_000)
    expect(page.get_by_role("heading", level=1)).to_contain_text("succeeded")
    expect(page.get_by_role("log")).to_contain_text("frame11.bin")
    job_id = page.url.rsplit("/", 1)[1]
    assert ui.server.client.get(f"/v1/jobs/{job_id}").data["result"]["imported"] == 12
    linked = ui.server.client.get(f"/v1/entities/{ada['entity_id']}/assets").data["items"]
    assert sorted((asset["filename"], asset["role"]) for asset in linked) == [
        (f"frame{index:02}.bin", "frame") for index in range(12)
    ]
    page.get_by_role("link", name="← All jobs").click()
    ui.heading("Jobs")
    expect(table_rows(ui)).to_contain_text("succeeded")


def test_a_running_job_page_waits_for_its_next_log_line(ui):
    enabled_plugin(ui.server, "tailer", ["tailer.work"])
    client = ui.server.client
    job_id = client.post("/v1/jobs", {"job_type": "tailer.work"}).data["job_id"]
    lease_token = client.post("/v1/jobs/claim", {"job_types": ["tailer.work"]}).data["lease_token"]
    log_reads = []
    ui.page.on(
        "request", lambda request: log_reads.append(request.url) if "/log?" in request.url else None
    )
    page = ui.visit(f"#/jobs/{job_id}")
    expect(page.get_by_role("log")).to_contain_text("Job started")
    page.wait_for_timeout(1_500)  # the second round's read is under way, waiting
    assert any("wait=5" in url for url in log_reads)
    reads_before = len(log_reads)
    client.post(f"/v1/jobs/{job_id}/log", {"lease_token": lease_token, "message": "halfway"})
    expect(page.get_by_role("log")).to_contain_text("halfway", timeout=2_000)
    client.post(f"/v1/jobs/{job_id}/complete", {"lease_token": lease_token})
    expect(page.get_by_role("heading", level=1)).to_contain_text("succeeded")
    # A quiet job is asked once per wait, not once a second.
    assert len(log_reads) - reads_before <= 3


def write_plugin(home: Path) -> None:
    folder = home / "plugins" / "greeter"
    folder.mkdir(parents=True)
    manifest = {
        "id": "greeter",
        "name": "Greeter",
        "version": "1.0.0",
        "capabilities": ["jobs"],
        "job_types": ["greeter.greet"],
        "entrypoints": {"runner": "python runner.py", "ui": "page.html"},
        "config_schema": {
            "type": "object",
            "required": ["greeting"],
            "properties": {
                "greeting": {"type": "string", "minLength": 2, "description": "What to say"},
                "times": {"type": "integer", "minimum": 1, "maximum": 5, "default": 1},
                "loud": {"type": "boolean"},
            },
        },
    }
    (folder / "plugin.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "page.html").write_text("<!doctype html><title>Greeter</title>", encoding="utf-8")


def test_queue_a_plugin_job_from_the_jobs_page(ui):
    write_plugin(ui.server.home)
    ui.server.client.post("/v1/plugins/greeter/enable")
    page = ui.visit("#/jobs", "Jobs")
    dialog = ui.dialog_from("New job…")
    expect(dialog.get_by_label("Job type")).to_have_value("greeter.greet")
    dialog.get_by_label("Input (JSON)").fill('{"name": ')
    dialog.get_by_role("button", name="Queue job").click()
    expect(dialog.locator("[data-field=input] .field-error")).to_contain_text("Not valid JSON")
    dialog.get_by_label("Input (JSON)").fill('{"name": "Ada"}')
    dialog.get_by_role("button", name="Queue job").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("greeter.greet")
    job_id = page.url.rsplit("/", 1)[1]
    job = ui.server.client.get(f"/v1/jobs/{job_id}").data
    assert (job["job_type"], job["status"], job["input"]) == (
        "greeter.greet",
        "queued",
        {"name": "Ada"},
    )


def test_purge_deleted_assets_from_the_system_page(ui):
    kept = upload(ui.server, b"still wanted", filename="kept.txt")
    gone = upload(ui.server, b"deleted, then purged", filename="gone.txt")
    ui.server.client.delete(f"/v1/assets/{gone['asset_id']}")
    page = ui.visit("#/system", "System")
    page.get_by_label("Deleted more than this many days ago").fill("0")
    page.get_by_role("button", name="Purge deleted assets").click()
    page.get_by_role("dialog").get_by_role("button", name="Purge").click()
    expect(page.get_by_role("status").filter(has_text="Purged")).to_have_text(
        "Purged 1 assets, 20 B."
    )
    assert not (ui.server.config.home.assets_dir / gone["storage_key"]).exists()
    assert (ui.server.config.home.assets_dir / kept["storage_key"]).exists()


def test_enable_a_plugin_and_save_an_invalid_then_a_valid_config(ui):
    ui.allow(422, "PUT", r"^/v1/plugins/greeter/config$")
    write_plugin(ui.server.home)
    page = ui.visit("#/plugins", "Plugins")
    card = page.locator("article[data-plugin=greeter]")
    expect(card).to_contain_text("disabled")
    card.get_by_role("button", name="Enable Greeter").click()
    expect(card.get_by_role("button", name="Disable Greeter")).to_be_visible()
    expect(page.get_by_role("navigation").get_by_role("link", name="Greeter")).to_have_attribute(
        "href", "#/plugin-pages/greeter"
    )
    card.locator("summary", has_text="Settings").click()
    card.get_by_label("greeting").fill("x")
    card.get_by_label("times").fill("9")
    card.get_by_role("button", name="Save settings").click()
    expect(card.locator("[data-field=greeting] .field-error")).not_to_be_empty()
    expect(card.locator("[data-field=times] .field-error")).not_to_be_empty()
    card.get_by_label("greeting").fill("hello")
    card.get_by_label("times").fill("3")
    card.get_by_label("loud").check()
    card.get_by_role("button", name="Save settings").click()
    ui.notice("Settings of Greeter saved.")
    config = ui.server.client.get("/v1/plugins/greeter/config").data["config"]
    assert config == {"greeting": "hello", "times": 3, "loud": True}
    wait_until(lambda: ui.server.client.get("/v1/plugins").data["items"][0]["enabled"])
