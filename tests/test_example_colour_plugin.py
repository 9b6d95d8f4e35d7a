"""The dominant-colour plugin of docs/examples/, installed as docs/plugins.md tells a user and
run for real (API.md §12): Core starts its runner with a read+write key, its triggers queue a
job for each image uploaded, linked or unlinked, and the runner records each PNG's dominant
colour on the entities the image is linked to, where its entity panel shows it."""

import shutil
import subprocess
import sys

import pytest

from tests.conftest import require_tool
from tests.plugin_support import COLOUR_EXAMPLE, alive
from tests.support import wait_until
from tests.ui_support import create_entity, expect, upload

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="/proc: Linux")

PLUGIN_ID = "dominant_colour"
RED_MOSTLY = ["xc:#c81e1e", "-fill", "#1e64c8", "-draw", "rectangle 0,0 19,19"]  # 3/4 red
BLUE = ["xc:#1e64c8"]


def picture(image_format: str, drawing: list[str]) -> bytes:
    """A 40x40 picture made by ImageMagick (`drawing` after its size), in `image_format`."""
    command = [require_tool("convert"), "-size", "40x40", *drawing, f"{image_format}:-"]
    return subprocess.run(command, capture_output=True, check=True).stdout


def install(server) -> dict:
    """Copy the plugin into plugins/ and enable it; returns its runner once it runs."""
    shutil.copytree(COLOUR_EXAMPLE, server.home / "plugins" / PLUGIN_ID)
    assert server.client.post(f"/v1/plugins/{PLUGIN_ID}/enable").data["error"] is None

    def running():
        runner = server.client.get("/v1/plugins").data["items"][0]["runner"]
        return runner if runner["state"] == "running" else None

    return wait_until(running, 30)


def recorded_images(server, entity_id: str) -> dict:
    plugin_data = server.client.get(f"/v1/entities/{entity_id}").data["plugin_data"]
    return plugin_data.get(PLUGIN_ID, {}).get("images", {})


def finished_job(server, asset_id: str, event_type: str) -> dict:
    """The plugin's job for the event `event_type` of the asset, once it has ended."""

    def finished():
        jobs = server.client.get("/v1/jobs", query={"job_type": f"{PLUGIN_ID}.analyse"})
        for job in jobs.data["items"]:
            event = job["input"]["event"]
            if (event["subject_id"], event["type"]) == (asset_id, event_type):
                return job if job["status"] not in ("queued", "running") else None
        return None

    return wait_until(finished, 60)


def test_a_png_uploaded_for_an_entity_gets_its_colour_a_jpeg_is_skipped(server):
    runner = install(server)
    [key] = server.client.get("/v1/admin/tokens").data["items"]
    assert key["scopes"] == ["read", "write", "runner:dominant_colour"]
    ada = create_entity(server, "Ada")["entity_id"]
    red = upload(server, picture("png", RED_MOSTLY), filename="red.png", entity_id=ada)
    expected = {red["asset_id"]: {"colour": "#c81e1e", "filename": "red.png"}}
    wait_until(lambda: recorded_images(server, ada) == expected, 60)

    photo = upload(server, picture("jpeg", BLUE), filename="photo.jpg", entity_id=ada)
    job = finished_job(server, photo["asset_id"], "asset.created")
    outcome = "skipped: image/jpeg is not a PNG (the standard library reads PNG only)"
    assert (job["status"], job["result"]) == ("succeeded", {"outcome": outcome})
    log = server.client.get(f"/v1/jobs/{job['job_id']}/log").data["items"]
    assert outcome in [line["message"] for line in log]
    linked = finished_job(server, photo["asset_id"], "asset.linked")
    assert (linked["status"], linked["result"]) == ("succeeded", {"outcome": outcome})
    assert recorded_images(server, ada) == expected

    cut_short = picture("png", ["xc:#1e64c8", "-strip"])[:-20]  # in its image data (IDAT)
    broken = upload(server, cut_short, filename="broken.png", entity_id=ada)
    failed = finished_job(server, broken["asset_id"], "asset.created")
    message = "the PNG ends inside its b'IDAT' chunk"
    assert (failed["status"], failed["error"]) == (
        "failed",
        {"code": "dominant_colour_failed", "message": message},
    )
    assert recorded_images(server, ada) == expected

    assert server.client.post(f"/v1/plugins/{PLUGIN_ID}/disable").data["runner"] is None
    assert not alive(runner["pid"])
    assert server.client.get("/v1/admin/tokens").data["items"] == []
    log = server.client.get(f"/v1/plugins/{PLUGIN_ID}/runner/log", query={"lines": 50}).data
    assert log["lines"][-2:] == [
        "dominant_colour runner stopped",
        "[faceforge] exited with code 0",
    ]


def test_an_image_linked_later_gets_its_colour_and_loses_it_when_unlinked(server):
    install(server)
    blue = upload(server, picture("png", BLUE), filename="sky.png")
    job = finished_job(server, blue["asset_id"], "asset.created")
    outcome = "sky.png: #1e64c8, recorded on no entity yet"
    assert (job["status"], job["result"]) == ("succeeded", {"outcome": outcome})

    grace = create_entity(server, "Grace")["entity_id"]
    link = f"/v1/entities/{grace}/assets/{blue['asset_id']}"
    assert server.client.post(link).data == {"linked": True}
    expected = {blue["asset_id"]: {"colour": "#1e64c8", "filename": "sky.png"}}
    wait_until(lambda: recorded_images(server, grace) == expected, 60)
    assert server.client.delete(link).data == {"linked": True}
    wait_until(lambda: recorded_images(server, grace) == {}, 60)
    unlinked = finished_job(server, blue["asset_id"], "asset.unlinked")
    assert unlinked["result"] == {"outcome": f"removed from entity {grace[-12:]}"}


def test_the_entity_panel_shows_each_png_with_its_colour_swatch(ui):
    install(ui.server)
    ada = create_entity(ui.server, "Ada")["entity_id"]
    red = upload(ui.server, picture("png", RED_MOSTLY), filename="red.png", entity_id=ada)
    wait_until(lambda: recorded_images(ui.server, ada), 60)
    page = ui.visit(f"#/entities/{ada}?tab=plugins", "Ada")
    panel = page.frame_locator(f"iframe[data-plugin={PLUGIN_ID}]")
    expect(panel.locator("#status")).to_have_text("Dominant colours of Ada's PNG images:")
    item = panel.locator(f"li[data-asset-id='{red['asset_id']}']")
    expect(item).to_have_text("red.png#c81e1e")
    expect(item.locator(".swatch")).to_have_css("background-color", "rgb(200, 30, 30)")
