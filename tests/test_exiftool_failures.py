"""API.md §5.2 when ExifTool misbehaves: stand-ins for it, written here as small Python scripts,
cannot start, exit at once, hang, or print garbage. Every upload still ends `failed` (never
stuck `pending`), the log says why, and no stand-in is left running."""

import os
import re
import sys
import uuid
from pathlib import Path

import pytest

from tests.assets_support import child_processes, settled, upload
from tests.support import log_once_it_holds, wait_until, write_core_json

# The -stay_open loop of a stand-in: collects the file lines of a request and hands them to
# answer(files, sequence) at -executeN; ends at `-stay_open False` or at the end of stdin.
STAY_OPEN_LOOP = """
files = []
for raw in sys.stdin.buffer:
    line = raw.decode("utf-8").rstrip("\\n")
    if line == "False":
        sys.exit(0)
    if line.startswith("-execute"):
        answer(files, line[len("-execute"):])
        files = []
    elif line.startswith("/"):
        files.append(line)
"""


def answering(print_answer: str) -> str:
    """A stand-in that answers each request with `print_answer` (Python using `files`), then
    ExifTool's `{readyN}`."""
    return (
        "def answer(files, sequence):\n"
        f"    {print_answer}\n"
        '    print("{ready%s}" % sequence, flush=True)\n' + STAY_OPEN_LOOP
    )


GOOD_ANSWER = 'print(json.dumps([{"SourceFile": f, "File:FileSize": 7} for f in files]))'
HANGS_THE_FIRST_TIME = (
    "flag = Path(sys.argv[0] + '.started')\n"
    "if not flag.exists():\n"
    "    flag.touch()\n"
    "    time.sleep(3600)\n" + answering(GOOD_ANSWER)
)


def fake_exiftool(folder: Path, body: str, executable: bool = True) -> tuple[Path, bytes]:
    """A stand-in for ExifTool running `body`, and the marker (in its path) that finds its
    processes in the process table."""
    marker = f"fake-exiftool-{uuid.uuid4().hex}"
    path = folder / marker
    path.write_text(
        f"#!{sys.executable}\nimport json, sys, time\nfrom pathlib import Path\n{body}\n",
        encoding="utf-8",
    )
    path.chmod(0o755 if executable else 0o644)
    return path, marker.encode()


def stand_ins_running(marker: bytes) -> list[int]:
    return child_processes(os.getpid(), marker)


def serve_with(start_server, home, tool: Path):
    write_core_json(home, {"tools": {"exiftool_path": str(tool), "exiftool_timeout_seconds": 1}})
    return start_server(home)


def assert_failed_and_logged(server, filename: str, reason: str) -> None:
    asset_id = upload(server.client, b"content " + filename.encode(), filename).data["asset_id"]
    asset = settled(server, asset_id)
    assert asset["metadata_status"] == "failed"
    assert not [e for e in asset["meta"]["metadata"] if e["Source"] == "ExifTool"]
    log_text = log_once_it_holds(server, f"metadata extraction failed for {asset_id} ({filename})")
    assert re.search(f"metadata extraction failed for {asset_id} .*{reason}", log_text), reason


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-ins are shebang scripts")
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            "sys.stderr.write('fake exiftool gave up\\n')\nsys.exit(3)",
            r"exited unexpectedly \(exit code 3: fake exiftool gave up\)",
        ),
        ("time.sleep(3600)", "took longer than 1 s"),
        (answering('print("this is not JSON")'), "printed no valid JSON"),
        (answering('print("[" * 100_000)'), "printed JSON nested deeper than 64 levels"),
        (answering('print(json.dumps([{"SourceFile": files}]))'), "found no metadata"),
        (answering('print("[]")'), "found no metadata"),
        (answering('print("[{}]")'), "found no metadata"),
        (answering('print(json.dumps([{"SourceFile": f} for f in files]))'), "found no metadata"),
        (
            answering('print(json.dumps([{"SourceFile": "/elsewhere", "A": 1}]))'),
            "found no metadata",
        ),
        (answering("pass"), "printed nothing"),
    ],
    ids=[
        "exits-at-once",
        "hangs",
        "garbage",
        "deep-garbage",
        "odd-json",
        "empty-list",
        "empty-object",
        "source-file-only",
        "another-file",
        "ready-without-json",
    ],
)
def test_misbehaving_exiftool_fails_the_asset_and_leaves_no_process(
    start_server, home, tmp_path, body, reason
):
    tool, marker = fake_exiftool(tmp_path, body)
    server = serve_with(start_server, home, tool)
    assert_failed_and_logged(server, "x.jpg", reason)
    server.services.metadata.close()
    assert stand_ins_running(marker) == []


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-ins are shebang scripts")
def test_exiftool_that_cannot_start_fails_the_asset(start_server, home, tmp_path):
    tool, _ = fake_exiftool(tmp_path, answering(GOOD_ANSWER), executable=False)
    server = serve_with(start_server, home, tool)
    assert_failed_and_logged(server, "x.jpg", f"cannot run {re.escape(str(tool))}: ")


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-ins are shebang scripts")
def test_hung_exiftool_is_killed_and_replaced_for_the_next_files(start_server, home, tmp_path):
    tool, marker = fake_exiftool(tmp_path, HANGS_THE_FIRST_TIME)
    server = serve_with(start_server, home, tool)
    assert_failed_and_logged(server, "first.jpg", "took longer than 1 s")
    hung = Path(f"{tool}.started")
    assert hung.exists()
    asset_id = upload(server.client, b"second file", "second.jpg").data["asset_id"]
    asset = settled(server, asset_id)
    assert asset["metadata_status"] == "done"
    [entry] = [e for e in asset["meta"]["metadata"] if e["Source"] == "ExifTool"]
    assert entry["Data"] == [{"File:FileSize": 7}]
    assert len(stand_ins_running(marker)) == 1, "the hung one was not killed"
    server.services.metadata.close()
    assert wait_until(lambda: stand_ins_running(marker) == [], timeout=10)
