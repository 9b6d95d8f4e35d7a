"""Browsing a big library in the web UI (API.md §10), in real Chromium against a real server:
thumbnails instead of originals, placeholders while there are none, video posters, a model
file's metadata readably, the entities an asset belongs to, and rebuilding thumbnails."""

import json
import re
import struct
import subprocess

import pytest

from tests.conftest import require_tool
from tests.support import wait_until, write_core_json
from tests.ui_support import create_entity, expect, png_bytes, ui_on, upload

THUMBNAILS_MADE = 60  # seconds: a few pictures and a video on a busy two-core machine


def safetensors_bytes(metadata: dict, tensor_count: int) -> bytes:
    """A real .safetensors file: 8-byte little-endian header length, the JSON header (tensors
    and `__metadata__`, whose values are strings as kohya writes them), then the tensor bytes."""
    tensors = {
        f"lora_unet_block_{index}.alpha": {
            "dtype": "F32",
            "shape": [1],
            "data_offsets": [4 * index, 4 * index + 4],
        }
        for index in range(tensor_count)
    }
    header = json.dumps({"__metadata__": metadata, **tensors}).encode()
    return struct.pack("<Q", len(header)) + header + b"\0\0\x80\x3f" * tensor_count


KOHYA_METADATA = {
    "ss_network_module": "networks.lora",
    "ss_base_model_version": "sdxl_base_v1-0",
    "ss_sd_model_name": "sd_xl_base_1.0.safetensors",
    "ss_tag_frequency": json.dumps(
        {"10_ada": {"ada lovelace": 40, "victorian dress": 25, "portrait": 12, "smile": 3}}
    ),
}


def video_bytes(tmp_path) -> bytes:
    """Two seconds of ffmpeg's own test picture as an MP4."""
    path = tmp_path / "clip.mp4"
    source = "testsrc=duration=2:size=320x240:rate=10"
    command = [require_tool("ffmpeg"), "-v", "error", "-f", "lavfi", "-i", source]
    subprocess.run([*command, "-pix_fmt", "yuv420p", str(path)], check=True, timeout=60)
    return path.read_bytes()


def record_requests(ui) -> list[str]:
    """The paths (with query) of every request the tab makes from now on."""
    paths: list[str] = []
    ui.page.on("request", lambda request: paths.append(request.url[len(ui.server.url) :]))
    return paths


def originals(paths: list[str]) -> list[str]:
    return [path for path in paths if path.endswith("/download")]


def thumbnails_made(server) -> bool:
    items = server.client.get("/v1/assets", query={"limit": 200}).data["items"]
    return all(asset.get("thumbnail_status") == "done" for asset in items)


def people_with_pictures(server, video: bytes | None = None) -> dict:
    """Ada (a primary thumbnail), Grace (a linked picture only) and Hedy (a linked video, or
    a second picture); returns each one's entity and asset."""
    people = {}
    for name, blue in (("Ada Lovelace", 220), ("Grace Hopper", 140), ("Hedy Lamarr", 40)):
        entity = create_entity(server, name)
        first = name.split()[0].lower()
        body, filename, kind = png_bytes(1200, 800, blue), f"{first}.png", "image"
        if video is not None and first == "hedy":
            body, filename, kind = video, "hedy.mp4", "video"
        link = {"entity_id": entity["entity_id"], "role": "portrait"}
        asset = upload(server, body, filename=filename, kind=kind, **link)
        people[first] = {"entity": entity, "asset": asset}
    ada = people["ada"]
    primary = {"primary_thumbnail_asset_id": ada["asset"]["asset_id"]}
    server.client.patch(f"/v1/entities/{ada['entity']['entity_id']}", primary)
    return people


def loaded_images(ui, selector: str) -> list[str]:
    """The address each decoded image under `selector` was loaded from."""
    return ui.page.locator(selector).evaluate_all(
        "images => images.filter((i) => i.complete && i.naturalWidth > 0)"
        ".map((i) => new URL(i.currentSrc).pathname + new URL(i.currentSrc).search)"
    )


# --- thumbnails, with ffmpeg ------------------------------------------------------------------


def test_the_gallery_tables_and_pickers_load_thumbnails_and_never_an_original(ui, tmp_path):
    server = ui.server
    people = people_with_pictures(server, video_bytes(tmp_path))
    wait_until(lambda: thumbnails_made(server), timeout=THUMBNAILS_MADE)
    requested = record_requests(ui)
    page = ui.visit("#/entities?view=gallery", "Entities")
    expect(page.locator(".gallery-card .thumb img")).to_have_count(3)
    ui.settle()
    pictures = loaded_images(ui, ".gallery-card .thumb img")
    assert len(pictures) == 3 and all(path.endswith("/thumbnail?size=256") for path in pictures)
    srcset = page.locator(".gallery-card .thumb img").first.get_attribute("srcset")
    assert "size=256 1x" in srcset and "size=1024 2x" in srcset
    assert page.locator(".gallery-card .thumb img").first.get_attribute("loading") == "lazy"
    ui.screenshot("ui-gallery-thumbnails.png")

    ui.open("#/entities")
    expect(page.locator("main table .thumb img")).to_have_count(3)
    ui.open("#/assets")
    expect(page.locator("main table .picture img")).to_have_count(3)
    expect(page.locator("main table .picture.poster img")).to_have_count(1)  # the play mark
    ui.settle()
    assert len(loaded_images(ui, "main table .picture img")) == 3
    hedy = people["hedy"]
    ui.open(f"#/entities/{hedy['entity']['entity_id']}?tab=attachments")
    expect(page.locator("main table .picture.poster img")).to_have_count(1)
    page.get_by_label("Asset", exact=True).fill("ada")
    expect(page.get_by_role("option", name="ada.png")).to_be_visible()
    expect(page.get_by_role("option", name="ada.png").locator(".picture img")).to_have_count(1)
    ui.settle()
    assert originals(requested) == []

    ui.open(f"#/assets/{hedy['asset']['asset_id']}")
    ui.heading("hedy.mp4")
    expect(page.locator(".preview .picture.poster img")).to_have_count(1)
    ui.settle()
    assert loaded_images(ui, ".preview img")[0].endswith("/thumbnail?size=1024")
    assert originals(requested) == []
    page.get_by_role("button", name="Play hedy.mp4").click()  # opening it fetches the original
    expect(page.locator(".preview video")).to_have_attribute("src", re.compile(r"/download$"))


# --- no thumbnails: placeholders, and still no original -----------------------------------------


@pytest.fixture
def ui_without_thumbnails(browser, start_server, tmp_path):
    home = tmp_path / "no-thumbnails"
    write_core_json(home, {"tools": {"thumbnails_enabled": False}})
    with ui_on(browser, start_server(home), tmp_path) as tab:
        yield tab


def test_without_thumbnails_placeholders_show_and_only_opening_fetches_an_original(
    ui_without_thumbnails,
):
    ui = ui_without_thumbnails
    ui.allow(404, "GET", r"^/v1/assets/[0-9a-f]{64}/thumbnail\?size=256$")  # Ada's primary one
    server = ui.server
    people = people_with_pictures(server)
    model = safetensors_bytes(KOHYA_METADATA, 3)
    upload(server, model, filename="ada.safetensors", kind="lora")
    requested = record_requests(ui)
    page = ui.visit("#/entities?view=gallery", "Entities")
    expect(page.locator(".gallery-card .thumb")).to_have_text([re.compile(r"^[A-Z]{2}$")] * 3)
    ui.open("#/assets")
    expect(page.locator("main table tbody tr")).to_have_count(4)
    expect(page.locator("main table .picture .placeholder")).to_have_count(4)
    expect(page.locator("main table .picture img")).to_have_count(0)
    ui.settle()
    assert originals(requested) == []

    ada = people["ada"]["asset"]
    ui.open(f"#/assets/{ada['asset_id']}")
    ui.heading("ada.png")
    expect(page.locator(".preview .placeholder")).to_have_count(1)
    assert originals(requested) == []
    page.get_by_role("button", name="Show the original of ada.png").click()
    expect(page.locator(".preview img")).to_have_attribute("src", re.compile(r"/download$"))
    ui.settle()
    assert originals(requested) == [f"/v1/assets/{ada['asset_id']}/download"]

    ui.open("#/system")
    tools = page.get_by_role("region", name="Storage and tools")
    expect(tools).to_contain_text("ffmpegnot found: no thumbnails or video posters")
    expect(tools).to_contain_text("sudo apt install ffmpeg")
    expect(tools).to_contain_text("pip install imageio-ffmpeg")


# --- model metadata and the asset's entities ----------------------------------------------------


def test_the_asset_page_shows_model_metadata_readably_and_lists_its_entities(ui):
    server = ui.server
    ada = create_entity(server, "Ada Lovelace")
    grace = create_entity(server, "Grace Hopper")
    model = safetensors_bytes(KOHYA_METADATA, 3)
    asset = upload(
        server, model, filename="ada-lora.safetensors", kind="lora", entity_id=ada["entity_id"]
    )
    server.client.post(
        f"/v1/entities/{grace['entity_id']}/assets/{asset['asset_id']}", {"role": "style"}
    )
    entry = next(
        entry
        for entry in server.client.get(f"/v1/assets/{asset['asset_id']}").data["meta"]["metadata"]
        if entry["Source"] == "Safetensors"
    )
    summary = entry["Data"]["summary"]
    assert summary["trigger_words"][:2] == ["ada lovelace", "victorian dress"]

    page = ui.visit(f"#/assets/{asset['asset_id']}", "ada-lora.safetensors")
    model_card = page.get_by_role("region", name="Model")
    expect(model_card.locator(".chip")).to_have_text(summary["trigger_words"])
    expect(model_card).to_contain_text(f"Architecture{summary['architecture']}")
    expect(model_card).to_contain_text(f"Base model{summary['base_model']}")
    expect(model_card).to_contain_text(f"Tensors{summary['tensor_count']}")
    entities = page.get_by_role("region", name="Entities")
    linked = server.client.get(f"/v1/assets/{asset['asset_id']}/entities").data["items"]
    assert sorted(item["display_name"] for item in linked) == ["Ada Lovelace", "Grace Hopper"]
    expect(entities.get_by_role("link")).to_have_text([item["display_name"] for item in linked])
    expect(entities).to_contain_text("Grace Hopper · style")
    ui.screenshot("ui-asset-model.png")
    entities.get_by_role("link", name="Grace Hopper").click()
    ui.heading("Grace Hopper")


# --- the System page ----------------------------------------------------------------------------


def test_the_system_page_shows_ffmpeg_and_rebuilds_thumbnails_as_a_job(ui):
    page = ui.visit("#/system", "System")
    tools = ui.server.client.get("/v1/system/info").data["tools"]
    facts = page.get_by_role("region", name="Storage and tools")
    expect(facts).to_contain_text(
        f"ffmpeg{tools['ffmpeg']['path']} version {tools['ffmpeg']['version']}"
    )
    expect(facts).not_to_contain_text("apt install")
    page.get_by_role("button", name="Rebuild thumbnails").click()
    page.get_by_role("link", name="follow the job").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("assets.thumbnails")
