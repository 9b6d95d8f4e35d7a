"""Thumbnails and media facts made by the real ffmpeg (API.md §10), over HTTP."""

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from faceforge.home import executable_name
from tests.assets_support import child_processes, events_of, upload
from tests.bulk_import_support import wait_for_end
from tests.conftest import require_tool
from tests.support import (
    Client,
    ServerProcess,
    faceforge_command,
    install_token,
    log_once_it_holds,
    wait_until,
    write_core_json,
)

IMMUTABLE = "private, max-age=31536000, immutable"


@pytest.fixture
def ffmpeg():
    require_tool("ffprobe")
    return require_tool("ffmpeg")


def made_with_ffmpeg(ffmpeg: str, target: Path, *arguments: str) -> bytes:
    """The bytes of `target`, written by ffmpeg from its own test sources."""
    subprocess.run([ffmpeg, "-v", "error", "-y", *arguments, str(target)], check=True, timeout=60)
    return target.read_bytes()


def picture(ffmpeg: str, folder: Path, size: str = "1600x900", name: str = "p.jpg") -> bytes:
    return made_with_ffmpeg(
        ffmpeg, folder / name, "-f", "lavfi", "-i", f"testsrc=size={size}", "-frames:v", "1"
    )


def video(ffmpeg: str, folder: Path) -> bytes:
    """10 s, 1600x900: black for the first half second, white after (so the frame about 10%
    in is white)."""
    graph = (
        "color=c=black:s=1600x900:d=0.5:r=10[a];color=c=white:s=1600x900:d=9.5:r=10[b];"
        "[a][b]concat=n=2:v=1:a=0"
    )
    return made_with_ffmpeg(
        ffmpeg, folder / "v.mp4", "-f", "lavfi", "-i", graph, "-pix_fmt", "yuv420p"
    )


def settled(client, asset_id: str) -> dict:
    """The asset once its thumbnails are no longer pending."""

    def done():
        asset = client.get(f"/v1/assets/{asset_id}").data
        return asset if asset["thumbnail_status"] != "pending" else None

    return wait_until(done, timeout=60)


def uploaded(client, data: bytes, filename: str) -> dict:
    return settled(client, upload(client, data, filename).data["asset_id"])


def image_facts(ffmpeg: str, data: bytes, folder: Path) -> tuple[str, int, int, float]:
    """(codec, width, height, mean brightness 0..255) of an image, as ffprobe and ffmpeg see
    it."""
    path = folder / "thumbnail.bin"
    path.write_bytes(data)
    probed = subprocess.run(
        [
            shutil.which("ffprobe"),
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,width,height",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    codec, width, height = probed.split(",")
    gray = subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return codec, int(width), int(height), sum(gray) / len(gray)


def thumbnail(client, asset_id: str, size: int, **options):
    return client.get(f"/v1/assets/{asset_id}/thumbnail", query={"size": size}, **options)


def test_a_picture_gets_both_sizes_long_edge_aspect_kept(server, ffmpeg, tmp_path):
    asset = uploaded(server.client, picture(ffmpeg, tmp_path), "p.jpg")
    assert asset["thumbnail_status"] == "done"
    assert asset["media"] == {"width": 1600, "height": 900, "duration_seconds": None}
    for size, expected in ((256, (256, 144)), (1024, (1024, 576))):
        reply = thumbnail(server.client, asset["asset_id"], size)
        assert reply.status == 200
        assert reply.headers["Content-Type"] == "image/webp"
        assert image_facts(ffmpeg, reply.body, tmp_path)[:3] == ("webp", *expected)


def test_made_thumbnails_write_one_update_event(server, ffmpeg, tmp_path):
    asset = uploaded(server.client, picture(ffmpeg, tmp_path), "p.jpg")
    updates = [
        data for kind, data in events_of(server, asset["asset_id"]) if kind == "asset.updated"
    ]
    assert [json.loads(data)["fields"] for data in updates if "thumbnail_status" in data] == [
        ["media", "thumbnail_status"]
    ]


def test_a_small_picture_is_never_upscaled(server, ffmpeg, tmp_path):
    asset = uploaded(server.client, picture(ffmpeg, tmp_path, "200x120", "small.png"), "s.png")
    for size in (256, 1024):
        body = thumbnail(server.client, asset["asset_id"], size).body
        assert image_facts(ffmpeg, body, tmp_path)[1:3] == (200, 120)


def test_exif_orientation_is_applied(server, ffmpeg, tmp_path):
    exiftool = require_tool("exiftool")
    picture(ffmpeg, tmp_path, name="turned.jpg")
    path = tmp_path / "turned.jpg"
    subprocess.run([exiftool, "-q", "-overwrite_original", "-Orientation=6", "-n", str(path)])
    asset = uploaded(server.client, path.read_bytes(), "turned.jpg")
    assert asset["media"] == {"width": 900, "height": 1600, "duration_seconds": None}
    body = thumbnail(server.client, asset["asset_id"], 256).body
    assert image_facts(ffmpeg, body, tmp_path)[1:3] == (144, 256)


def test_a_video_gets_a_frame_about_ten_percent_in(server, ffmpeg, tmp_path):
    asset = uploaded(server.client, video(ffmpeg, tmp_path), "v.mp4")
    assert asset["thumbnail_status"] == "done"
    assert asset["media"] == {"width": 1600, "height": 900, "duration_seconds": 10.0}
    codec, width, height, brightness = image_facts(
        ffmpeg, thumbnail(server.client, asset["asset_id"], 1024).body, tmp_path
    )
    assert (codec, width, height) == ("webp", 1024, 576)
    assert brightness > 200  # the white part, not the black first frame


def test_caching_headers_and_304(server, ffmpeg, tmp_path):
    asset = uploaded(server.client, picture(ffmpeg, tmp_path), "p.jpg")
    first = thumbnail(server.client, asset["asset_id"], 256)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["Cache-Control"] == IMMUTABLE
    assert first.headers["Content-Length"] == str(len(first.body))
    again = thumbnail(server.client, asset["asset_id"], 256, headers={"If-None-Match": etag})
    assert (again.status, again.body, again.headers["ETag"]) == (304, b"", etag)
    other = thumbnail(server.client, asset["asset_id"], 1024, headers={"If-None-Match": etag})
    assert other.status == 200


def test_no_thumbnail_is_404_and_another_size_is_422(server, ffmpeg, tmp_path):
    text = uploaded(server.client, b"just text", "notes.txt")
    assert (text["thumbnail_status"], text["media"]) == ("skipped", None)
    reply = thumbnail(server.client, text["asset_id"], 256)
    assert (reply.status, reply.error["code"]) == (404, "not_found")
    assert thumbnail(server.client, "0" * 64, 256).status == 404
    asset = uploaded(server.client, picture(ffmpeg, tmp_path), "p.jpg")
    refused = thumbnail(server.client, asset["asset_id"], 512)
    assert refused.status == 422
    assert refused.error["details"][0]["loc"] == ["query", "size"]
    default = server.client.get(f"/v1/assets/{asset['asset_id']}/thumbnail")
    assert default.body == thumbnail(server.client, asset["asset_id"], 256).body


def test_a_signed_download_url_opens_the_thumbnail_too(server, ffmpeg, tmp_path):
    asset = uploaded(server.client, picture(ffmpeg, tmp_path), "p.jpg")
    signed = server.client.post(f"/v1/assets/{asset['asset_id']}/download-url").data["url"]
    parts = urlsplit(signed)
    path = parts.path.replace("/download", "/thumbnail")
    reply = server.anonymous.get(f"{path}?{parts.query}&size=1024")
    assert reply.status == 200
    assert image_facts(ffmpeg, reply.body, tmp_path)[1:3] == (1024, 576)
    last = parts.query[-1]
    forged_query = parts.query[:-1] + ("1" if last == "0" else "0")
    forged = server.anonymous.get(f"{path}?{forged_query}&size=1024")
    assert forged.status == 401
    other = uploaded(server.client, picture(ffmpeg, tmp_path, "640x480"), "o.jpg")
    elsewhere = server.anonymous.get(f"/v1/assets/{other['asset_id']}/thumbnail?{parts.query}")
    assert elsewhere.status == 401


def test_rebuild_job_makes_them_again_after_thumbs_is_deleted(server, ffmpeg, tmp_path):
    picture_asset = uploaded(server.client, picture(ffmpeg, tmp_path), "p.jpg")
    video_asset = uploaded(server.client, video(ffmpeg, tmp_path), "v.mp4")
    uploaded(server.client, b"just text", "notes.txt")
    shutil.rmtree(server.config.home.thumbs_dir)
    assert thumbnail(server.client, picture_asset["asset_id"], 256).status == 404
    job = server.client.post("/v1/admin/thumbnails/rebuild", {"only_missing": True}).data
    assert job["job_type"] == "assets.thumbnails"
    ended = wait_for_end(server.client, job["job_id"])
    assert ended["status"] == "succeeded"
    assert ended["result"] == {"total": 2, "done": 2, "failed": 0}
    assert ended["progress_percent"] == 100
    for asset in (picture_asset, video_asset):
        assert thumbnail(server.client, asset["asset_id"], 1024).status == 200
    lines = server.client.get(f"/v1/jobs/{job['job_id']}/log").data["items"]
    made = {line["data"]["filename"] for line in lines if line["message"] == "Made thumbnails"}
    assert made == {"p.jpg", "v.mp4"}
    again = server.client.post("/v1/admin/thumbnails/rebuild").data
    assert wait_for_end(server.client, again["job_id"])["result"]["total"] == 0


def test_a_purge_removes_the_thumbnails_with_the_bytes(server, ffmpeg, tmp_path):
    asset = uploaded(server.client, picture(ffmpeg, tmp_path), "p.jpg")
    kept = uploaded(server.client, picture(ffmpeg, tmp_path, "640x480"), "kept.jpg")
    server.client.delete(f"/v1/assets/{asset['asset_id']}")
    assert server.client.post("/v1/admin/purge", {"older_than_days": 0}).data["count"] == 1
    names = sorted(path.name for path in server.config.home.thumbs_dir.rglob("*.*"))
    assert names == [f"{kept['asset_id']}-1024.webp", f"{kept['asset_id']}-256.webp"]


def test_rebuild_refuses_a_bad_only_missing(server):
    reply = server.client.post("/v1/admin/thumbnails/rebuild", {"only_missing": "maybe"})
    assert reply.status == 422
    assert reply.error["details"][0]["loc"] == ["body", "only_missing"]


def test_without_ffmpeg_status_is_unavailable(start_server, home, ffmpeg, tmp_path):
    write_core_json(home, {"tools": {"ffmpeg_path": str(home / "no-such-ffmpeg")}})
    server = start_server(home)
    asset = upload(server.client, picture(ffmpeg, tmp_path), "p.jpg").data
    assert (asset["thumbnail_status"], asset["media"]) == ("unavailable", None)
    assert thumbnail(server.client, asset["asset_id"], 256).status == 404
    job = server.client.post("/v1/admin/thumbnails/rebuild").data
    ended = wait_for_end(server.client, job["job_id"])
    assert (ended["status"], ended["error"]["code"]) == ("failed", "ffmpeg_missing")
    assert "apt install ffmpeg" in ended["error"]["message"]


def test_imageio_ffmpeg_is_used_when_no_other_is_found(home, ffmpeg, tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    empty_path = tmp_path / "no-tools"
    empty_path.mkdir()
    process = ServerProcess(faceforge_command("--port", "0"), home, {"PATH": str(empty_path)})
    try:
        client = Client("127.0.0.1", process.port, install_token(home))
        tool = client.get("/v1/system/info").data["tools"]["ffmpeg"]
        assert tool["path"] == imageio_ffmpeg.get_ffmpeg_exe()
        asset = uploaded(client, picture(ffmpeg, tmp_path), "p.jpg")
        log_text = (home / "logs" / "core.log").read_text(encoding="utf-8")
        said = [line for line in log_text.splitlines() if asset["asset_id"] in line]
        assert asset["thumbnail_status"] == "done", said
        assert asset["media"]["width"] == 1600, said
    finally:
        assert process.terminate() == 0


def test_disabled_thumbnails_are_unavailable(start_server, home, ffmpeg, tmp_path):
    write_core_json(home, {"tools": {"thumbnails_enabled": False}})
    server = start_server(home)
    asset = upload(server.client, picture(ffmpeg, tmp_path), "p.jpg").data
    assert asset["thumbnail_status"] == "unavailable"


def test_bad_files_fail_with_the_reason_in_the_log(server, ffmpeg, tmp_path):
    corrupt = uploaded(server.client, b"\xff\xd8\xff\xe0 not really a JPEG" * 50, "bad.jpg")
    assert (corrupt["thumbnail_status"], corrupt["media"]) == ("failed", None)
    log_once_it_holds(server, f"thumbnails failed for {corrupt['asset_id']} (bad.jpg): ")
    sound = made_with_ffmpeg(
        ffmpeg, tmp_path / "a.mp4", "-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac"
    )
    audio_only = uploaded(server.client, sound, "sound-only.mp4")
    assert audio_only["thumbnail_status"] == "failed"
    log_once_it_holds(server, f"thumbnails failed for {audio_only['asset_id']} (sound-only.mp4)")
    assert thumbnail(server.client, audio_only["asset_id"], 256).status == 404
    assert list(server.config.home.thumbs_dir.glob(".making-*")) == []


def test_an_empty_picture_is_refused_before_anything_runs(server):
    reply = upload(server.client, b"", "empty.jpg")
    assert reply.status == 422
    assert server.client.get("/v1/assets").data["items"] == []


def test_unfinished_work_folders_go_at_start(start_server, home):
    leftover = home / "thumbs" / ".making-died"
    leftover.mkdir(parents=True)
    (leftover / "256.webp").write_bytes(b"half")
    start_server(home)
    assert not leftover.exists()


def sleeping_ffmpeg(home: Path) -> Path:
    """An `ffmpeg` that answers -version and -encoders, then hangs on any real work."""
    tool = home / "tools" / executable_name("ffmpeg")
    tool.parent.mkdir(parents=True, exist_ok=True)
    tool.write_text(
        "#!/bin/sh\n"
        'case "$2" in -version) echo "ffmpeg version 0-hang"; exit 0;; -encoders) exit 0;; esac\n'
        "exec sleep 300\n"
    )
    tool.chmod(0o755)
    return tool


def test_ffmpeg_that_hangs_is_killed_after_the_timeout(start_server, home, ffmpeg, tmp_path):
    sleeping_ffmpeg(home)
    write_core_json(home, {"tools": {"ffmpeg_timeout_seconds": 1}})
    server = start_server(home)
    asset = uploaded(server.client, picture(ffmpeg, tmp_path), "p.jpg")
    assert asset["thumbnail_status"] == "failed"
    log_once_it_holds(server, "ffmpeg took longer than 1 s")
    assert child_processes(os.getpid(), b"sleep") == []


def test_rebuild_stops_at_the_next_file_when_canceled(start_server, home, ffmpeg, tmp_path):
    sleeping_ffmpeg(home)
    write_core_json(home, {"tools": {"ffmpeg_timeout_seconds": 2}})
    server = start_server(home)
    for number in range(3):
        size = f"{320 + number * 2}x240"
        uploaded(server.client, picture(ffmpeg, tmp_path, size), f"{number}.jpg")
    job = server.client.post("/v1/admin/thumbnails/rebuild").data
    wait_until(lambda: server.client.get(f"/v1/jobs/{job['job_id']}").data["status"] == "running")
    server.client.post(f"/v1/jobs/{job['job_id']}/cancel")
    ended = wait_for_end(server.client, job["job_id"])
    assert ended["status"] == "canceled"
    assert ended["result"]["failed"] < 3
    lines = server.client.get(f"/v1/jobs/{job['job_id']}/log").data["items"]
    failed = [line for line in lines if line["message"] == "Thumbnails failed"]
    assert len(failed) == ended["result"]["failed"]
    assert all("took longer than 2 s" in line["data"]["error"] for line in failed)


def test_shutdown_kills_a_running_ffmpeg_and_leaves_the_asset_pending(
    start_server, home, ffmpeg, tmp_path
):
    sleeping_ffmpeg(home)
    server = start_server(home)
    asset = upload(server.client, picture(ffmpeg, tmp_path), "p.jpg").data
    wait_until(lambda: child_processes(os.getpid(), b"sleep"))
    started = time.monotonic()
    server.close()
    assert time.monotonic() - started < 10
    assert child_processes(os.getpid(), b"sleep") == []
    assert list((home / "thumbs").glob(".making-*")) == []
    (home / "tools" / executable_name("ffmpeg")).unlink()
    again = start_server(home)
    assert settled(again.client, asset["asset_id"])["thumbnail_status"] == "done"


def test_system_info_reports_the_ffmpeg_in_use(server, ffmpeg):
    path = ffmpeg
    tool = server.client.get("/v1/system/info").data["tools"]["ffmpeg"]
    assert tool["path"] == path
    banner = subprocess.run([path, "-version"], capture_output=True, text=True).stdout
    assert banner.startswith(f"ffmpeg version {tool['version']} ")


def test_ffmpeg_in_home_tools_wins_over_path(start_server, home):
    bundled = home / "tools" / executable_name("ffmpeg")
    bundled.parent.mkdir(parents=True)
    bundled.write_text("#!/bin/sh\necho 'ffmpeg version 9.9-test Copyright'\n")
    bundled.chmod(0o755)
    server = start_server(home)
    tool = server.client.get("/v1/system/info").data["tools"]["ffmpeg"]
    assert tool == {"path": str(bundled), "version": "9.9-test"}


def test_a_configured_ffmpeg_that_is_not_there_reports_it_missing(start_server, home):
    write_core_json(home, {"tools": {"ffmpeg_path": str(home / "no-such-ffmpeg")}})
    server = start_server(home)
    tool = server.client.get("/v1/system/info").data["tools"]["ffmpeg"]
    assert tool == {"path": None, "version": None}


def test_disabled_thumbnails_report_no_ffmpeg(start_server, home):
    write_core_json(home, {"tools": {"thumbnails_enabled": False}})
    server = start_server(home)
    tool = server.client.get("/v1/system/info").data["tools"]["ffmpeg"]
    assert tool == {"path": None, "version": None}
