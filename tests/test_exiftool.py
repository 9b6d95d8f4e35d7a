"""API.md §5.2 with the real ExifTool: the argument file, skip rules, removed keys, the entry
it becomes, metadata_status, timeouts and failures, and the reused -stay_open process."""

import json
import os
import signal
import struct
import subprocess
import time
import zlib
from pathlib import Path

import pytest

from faceforge.assets import exiftool
from faceforge.assets.extraction import WORKERS
from faceforge.home import executable_name
from tests.assets_support import child_processes, settled, upload
from tests.conftest import require_tool
from tests.support import (
    Client,
    ServerProcess,
    faceforge_command,
    install_token,
    wait_until,
    write_core_json,
)


def segment(marker: int, payload: bytes) -> bytes:
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def tiny_jpeg() -> bytes:
    """An 8x8 grey baseline JPEG: one block, DC category 0 then end-of-block."""
    return (
        b"\xff\xd8"
        + segment(0xDB, b"\x00" + bytes([1] * 64))
        + segment(0xC0, b"\x08" + struct.pack(">HH", 8, 8) + b"\x01\x01\x11\x00")
        + segment(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00")
        + segment(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + b"\x3f\xff\xd9"
    )


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    pixels = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def with_exif(tmp_path: Path, name: str, data: bytes) -> bytes:
    """The image with EXIF and XMP tags written by the real ExifTool."""
    path = tmp_path / name
    path.write_bytes(data)
    subprocess.run(
        [
            require_tool("exiftool"),
            "-q",
            "-overwrite_original",
            "-EXIF:Artist=Ann Example",
            "-EXIF:Make=FaceCam",
            "-XMP-dc:Title=Tïtle",
            str(path),
        ],
        check=True,
    )
    return path.read_bytes()


def exiftool_entry(asset: dict) -> dict:
    [entry] = [e for e in asset["meta"]["metadata"] if e["Source"] == "ExifTool"]
    return entry


@pytest.mark.parametrize(("name", "make"), [("photo.jpg", tiny_jpeg), ("photo.png", tiny_png)])
def test_exif_is_extracted_from_a_generated_image(server, tmp_path, name, make):
    data = with_exif(tmp_path, name, make())
    asset = settled(server, upload(server.client, data, name).data["asset_id"])
    assert asset["metadata_status"] == "done"
    entry = exiftool_entry(asset)
    assert {k: v for k, v in entry.items() if k != "Data"} == {
        "Source": "ExifTool",
        "Type": "JsonMetadata",
        "Name": None,
        "NameHashes": None,
    }
    [document] = entry["Data"]
    assert document["IFD0:Artist"] == "Ann Example"
    assert document["IFD0:Make"] == "FaceCam"
    assert document["XMP-dc:Title"] == "Tïtle"
    assert document["File:MIMEType"] == ("image/jpeg" if name.endswith("jpg") else "image/png")
    assert not set(document) & exiftool.REMOVED_KEYS
    assert "System:FileSize" in document


def test_extraction_writes_an_update_event(server, tmp_path):
    asset_id = upload(server.client, with_exif(tmp_path, "e.png", tiny_png()), "e.png").data[
        "asset_id"
    ]
    settled(server, asset_id)
    with server.services.db.read() as connection:
        rows = connection.execute(
            "SELECT data_json FROM events WHERE subject_id = ? AND type = 'asset.updated'",
            (asset_id,),
        ).fetchall()
    extraction_events = [
        json.loads(row[0]) for row in rows if "metadata_status" in json.loads(row[0])["fields"]
    ]
    assert extraction_events == [{"fields": ["meta", "metadata_status"], "metadata_status": "done"}]


def test_argument_file_is_one_argument_per_line():
    lines = exiftool.argument_file(["/data/files/ab/abc"], 7).decode().splitlines()
    contract = (
        "-quiet -extractEmbedded3 -scanForXMP -unknown2 -json -G3:1 -struct -b -ignoreMinorErrors"
        " -charset filename=utf8 -api requestall=3 -api largefilesupport=1"
    )
    assert lines == [*contract.split(), "/data/files/ab/abc", "-execute7"]


@pytest.mark.parametrize(
    ("filename", "skipped"),
    [
        ("photo_meta.json", True),
        ("Album_DirectoryMeta.JSON", True),
        ("cover.thumb", True),
        ("x.THUMBNAIL", True),
        ("a.thumbs", True),
        ("thumbs.db", True),
        ("Thumbnail.db", True),
        ("table.csv", True),
        ("page.htm", True),
        ("page.html", True),
        ("data.json", True),
        ("list.tsv", True),
        ("feed.XML", True),
        ("photo.jpg", False),
        ("meta.json.jpg", False),
        ("my_thumbs.db.png", False),
        ("model.safetensors", False),
    ],
)
def test_skip_rules(filename, skipped):
    assert exiftool.is_skipped(filename) is skipped


def test_skipped_names_are_marked_skipped(server):
    asset = upload(server.client, b'{"a": 1}', "photo_meta.json").data
    assert asset["metadata_status"] == "skipped"
    assert asset["meta"]["metadata"] == []


def test_removed_keys_go_at_every_depth():
    output = [
        {"SourceFile": "/x", "A": {"System:FileName": "x", "B": [{"ExifTool:NewGUID": 1, "C": 2}]}}
    ]
    assert exiftool.without_removed_keys(output) == [{"A": {"B": [{"C": 2}]}}]


def test_disabled_exiftool_skips_and_reports_no_tool(start_server, home):
    write_core_json(home, {"tools": {"exiftool_enabled": False}})
    server = start_server(home)
    assert upload(server.client, b"img", "x.jpg").data["metadata_status"] == "skipped"
    tool = server.client.get("/v1/system/info").data["tools"]["exiftool"]
    assert tool == {"path": None, "version": None}


def test_system_info_reports_the_exiftool_in_use(server):
    path = require_tool("exiftool")
    tool = server.client.get("/v1/system/info").data["tools"]["exiftool"]
    assert tool["path"] == path
    version = subprocess.run([path, "-ver"], capture_output=True, text=True).stdout.strip()
    assert tool["version"] == version


@pytest.mark.parametrize("folder", ["exiftool", "."], ids=["in-its-folder", "in-tools"])
def test_bundled_exiftool_in_home_tools_wins_over_path(start_server, home, folder):
    tools = home / "tools" / folder
    tools.mkdir(parents=True, exist_ok=True)
    bundled = tools / executable_name("exiftool")
    bundled.write_text("#!/bin/sh\necho 99.99\n")
    bundled.chmod(0o755)
    server = start_server(home)
    assert server.client.get("/v1/system/info").data["tools"]["exiftool"]["path"] == str(bundled)


@pytest.mark.parametrize(
    ("platform", "file_name"), [("win32", "weed.exe"), ("linux", "weed"), ("darwin", "weed")]
)
def test_tools_are_exe_files_on_windows(platform, file_name):
    assert executable_name("weed", platform) == file_name


def stay_open_processes() -> list[int]:
    return child_processes(os.getpid(), b"-stay_open")


def test_one_stay_open_process_serves_many_files(server, tmp_path):
    ids = [
        upload(
            server.client, with_exif(tmp_path, f"{n}.png", tiny_png()) + bytes([n]), f"{n}.png"
        ).data["asset_id"]
        for n in range(6)
    ]
    for asset_id in ids:
        assert settled(server, asset_id)["metadata_status"] == "done"
    assert 1 <= len(stay_open_processes()) <= WORKERS
    server.services.metadata.close()
    assert stay_open_processes() == []


def test_pending_extractions_resume_after_a_restart(start_server, home):
    write_core_json(home, {"tools": {"exiftool_enabled": False}})
    first = start_server(home)
    asset_id = upload(first.client, tiny_png(), "late.png").data["asset_id"]
    with first.services.db.write() as connection:
        connection.execute("UPDATE assets SET metadata_status = 'pending'")
    first.close()
    write_core_json(home, {"tools": {"exiftool_enabled": True}})
    second = start_server(home)
    assert settled(second, asset_id)["metadata_status"] == "done"


def test_exiftool_left_running_by_a_killed_server_is_stopped_at_the_next_start(
    start_server, home, tmp_path
):
    """ExifTool does not end when its stdin closes: a server killed with -9 leaves its idle
    -stay_open processes behind, polling the closed pipe every 10 ms for ever, and the next
    start stops them (and only them)."""
    require_tool("exiftool")
    process = ServerProcess(faceforge_command("--port", "0"), home)
    try:
        token = install_token(home)
        client = Client("127.0.0.1", process.port, token)
        asset_id = upload(client, with_exif(tmp_path, "k.png", tiny_png()), "k.png").data[
            "asset_id"
        ]
        # Idle, not busy: a busy one dies of SIGPIPE when it writes its answer.
        wait_until(lambda: client.get(f"/v1/assets/{asset_id}").data["metadata_status"] == "done")
        strays = child_processes(process.process.pid, b"-stay_open")
        assert strays
        os.kill(process.process.pid, signal.SIGKILL)
        process.process.wait(timeout=10)
    finally:
        process.process.stdout.close()
        process.process.stderr.close()
    time.sleep(0.5)
    assert all(Path(f"/proc/{pid}").exists() for pid in strays), "ExifTool ended by itself"

    with subprocess.Popen(
        [require_tool("exiftool"), *exiftool.STAY_OPEN_ARGUMENTS], stdin=subprocess.PIPE
    ) as someone_elses:
        try:
            start_server(home)
            assert wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in strays))
            assert someone_elses.poll() is None
        finally:
            someone_elses.kill()
