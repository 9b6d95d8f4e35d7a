"""Uploading from the Assets page in a real browser (tests/ui_support.py): the button and a drop
on the page, a link to a picked entity, a `_meta.json` sidecar, `derived_from`, and the
server's refusals shown to the person (and not retried)."""

import json
import re

from tests.ui_support import create_entity, expect, png_bytes, table_rows, upload

DROP_FILES = """([name, size]) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(size)], name));
    return data;
}"""


def drop_file(page, target, name: str, size: int) -> None:
    """Drop a file of `size` zero bytes onto `target` (a DataTransfer built in the page)."""
    data = page.evaluate_handle(DROP_FILES, [name, size])
    target.dispatch_event("drop", {"dataTransfer": data})


def pick_entity(page, name: str) -> None:
    picker = page.get_by_role("combobox", name="Link to entity (optional)")
    picker.fill(name[:3].lower())
    page.get_by_role("option", name=name).click()
    expect(picker).to_have_value(name)


def uploaded(server, filename: str) -> dict:
    """The asset as the API gives it (its full record, meta included)."""
    items = server.client.get("/v1/assets", query={"q": filename}).data["items"]
    assert [item["filename"] for item in items] == [filename]
    return server.client.get(f"/v1/assets/{items[0]['asset_id']}").data


def sidecar_data(asset: dict) -> list:
    """The Data of the asset's sidecar entries (ExifTool's entry may join them later). A tus
    upload carries the sidecar's text, not its file name."""
    entries = asset["meta"]["metadata"]
    return [entry["Data"] for entry in entries if entry["Source"] == "UserSidecar"]


def test_upload_with_the_button_and_by_a_drop_on_the_page_linking_one(ui, tmp_path):
    portrait = tmp_path / "portrait.png"
    portrait.write_bytes(png_bytes(320, 240))
    notes = tmp_path / "notes.txt"
    notes.write_text("Notes on the Analytical Engine\n" * 40, encoding="utf-8")
    ada = create_entity(ui.server, "Ada Lovelace")
    page = ui.visit("#/assets", "Assets")
    expect(page.locator("main .empty")).to_contain_text("No assets yet. Upload files above")

    page.get_by_label("Files to upload").set_input_files([str(portrait), str(notes)])
    expect(page.locator(".upload-item.done")).to_have_count(2)
    expect(table_rows(ui)).to_have_count(2)

    pick_entity(page, "Ada Lovelace")
    page.get_by_label("Role").fill("reference")
    ui.slow_uploads(512 * 1024)
    drop_file(page, page.get_by_role("heading", name="Assets"), "dropped.bin", 1024 * 1024)
    dropped = page.locator(".upload-item", has_text="dropped.bin")
    expect(dropped.locator(".status")).to_contain_text(" of 1.0 MB (")
    expect(dropped.locator(".status")).to_contain_text(" %) · ")
    expect(dropped).to_have_class(re.compile(r"\bdone\b"), timeout=30_000)
    expect(table_rows(ui)).to_have_count(3)
    page.get_by_label("Role").blur()
    ui.screenshot("ui-assets-upload.png")
    assert (ui.shots / "ui-assets-upload.png").stat().st_size > 10_000

    linked = ui.server.client.get(f"/v1/entities/{ada['entity_id']}/assets").data["items"]
    assert [(item["filename"], item["role"]) for item in linked] == [("dropped.bin", "reference")]
    ui.open(f"#/entities/{ada['entity_id']}?tab=attachments")
    row = page.get_by_role("region", name="Linked files").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("dropped.bin")
    expect(row).to_contain_text("reference")


def test_upload_a_derived_file_with_a_sidecar(ui, tmp_path):
    source = upload(ui.server, b"the original", filename="original.txt")
    sidecar = tmp_path / "edited_meta.json"
    sidecar.write_text(json.dumps({"prompt": "a lighthouse", "seed": 42}), encoding="utf-8")
    edited = tmp_path / "edited.txt"
    edited.write_text("the edited version", encoding="utf-8")
    page = ui.visit(f"#/assets/{source['asset_id']}", "original.txt")
    page.get_by_role("link", name="Upload a derived file…").click()
    ui.heading("Assets")
    expect(page.get_by_label("Derived from")).to_have_value(source["asset_id"])
    page.get_by_label("Sidecar (_meta.json)").set_input_files(str(sidecar))
    page.get_by_label("Files to upload").set_input_files(str(edited))
    expect(page.locator(".upload-item.done")).to_have_count(1)

    asset = uploaded(ui.server, "edited.txt")
    assert asset["derived_from_asset_id"] == source["asset_id"]
    assert sidecar_data(asset) == [{"prompt": "a lighthouse", "seed": 42}]
    page.get_by_role("link", name="edited.txt").click()
    ui.heading("edited.txt")
    expect(page.locator("main")).to_contain_text("UserSidecar")
    expect(page.locator("main")).to_contain_text("a lighthouse")


def test_the_attachments_tab_sends_a_sidecar_and_derived_from_too(ui, tmp_path):
    source = upload(ui.server, b"the original", filename="original.txt")
    sidecar = tmp_path / "crop_meta.json"
    sidecar.write_text('{"crop": [0, 0, 64, 64]}', encoding="utf-8")
    crop = tmp_path / "crop.png"
    crop.write_bytes(png_bytes(64, 64))
    ada = create_entity(ui.server, "Ada Lovelace")
    page = ui.visit(f"#/entities/{ada['entity_id']}?tab=attachments", "Ada Lovelace")
    page.get_by_label("Sidecar (_meta.json)").set_input_files(str(sidecar))
    page.get_by_label("Derived from").fill(source["asset_id"])
    page.get_by_label("Files to upload").set_input_files(str(crop))
    expect(page.get_by_role("region", name="Linked files")).to_contain_text("crop.png")

    asset = uploaded(ui.server, "crop.png")
    assert asset["derived_from_asset_id"] == source["asset_id"]
    assert sidecar_data(asset) == [{"crop": [0, 0, 64, 64]}]


def test_the_servers_refusals_are_shown_on_the_upload(ui, tmp_path):
    ui.allow(422, "POST", r"^/v1/uploads$")
    ui.allow(404, "POST", r"^/v1/uploads$")
    broken = tmp_path / "broken_meta.json"
    broken.write_text('{"prompt": ', encoding="utf-8")
    photo = tmp_path / "photo.txt"
    photo.write_text("a photo, say", encoding="utf-8")
    ghost = create_entity(ui.server, "Ghost")
    page = ui.visit("#/assets", "Assets")
    creations = []
    page.on("request", lambda request: creations.append(request.method == "POST"))
    page.get_by_label("Sidecar (_meta.json)").set_input_files(str(broken))
    page.get_by_label("Files to upload").set_input_files(str(photo))
    failed = page.locator(".upload-item.failed .status")
    expect(failed).to_contain_text("_meta.json must be valid JSON")

    page.get_by_label("Sidecar (_meta.json)").set_input_files([])
    pick_entity(page, "Ghost")
    ui.server.client.delete(f"/v1/entities/{ghost['entity_id']}")
    page.get_by_label("Files to upload").set_input_files(str(photo))
    expect(failed.nth(1)).to_contain_text("entity_id: no such entity")
    assert ui.server.client.get("/v1/assets").data["items"] == []
    assert creations.count(True) == 2  # a refusal is shown, not retried
