"""Thumbnails and media facts made by the real ffmpeg (API.md §10), over HTTP."""

import subprocess

from faceforge.home import executable_name
from tests.conftest import require_tool
from tests.support import write_core_json


def test_system_info_reports_the_ffmpeg_in_use(server):
    path = require_tool("ffmpeg")
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
