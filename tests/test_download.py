"""API.md §5.3 over real HTTP: headers, ranges, multipart/byteranges, conditional requests,
HEAD, Content-Disposition, and resuming with curl and aria2c."""

import email.parser
import email.policy
import subprocess
from urllib.parse import unquote

import pytest

from tests.assets_support import CHUNK, patterned, sha256, upload
from tests.conftest import require_tool

DATA = patterned(3 * CHUNK + 777, seed=42)


@pytest.fixture
def stored(server):
    asset = upload(server.client, DATA, "clip.bin", "application/x-clip").data
    return server, asset, f"/v1/assets/{asset['asset_id']}/download"


def test_full_download_headers(stored):
    server, asset, path = stored
    reply = server.client.get(path)
    assert reply.status == 200
    assert reply.body == DATA
    headers = reply.headers
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Content-Length"] == str(len(DATA))
    assert headers["Content-Type"] == "application/x-clip"
    assert headers["ETag"] == f'"{asset["asset_id"]}"'
    assert headers["Last-Modified"].endswith(" GMT")
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"clip.bin\"; filename*=UTF-8''clip.bin"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=10-1000", 10, 1000),
        ("bytes=3145000-", 3145000, len(DATA) - 1),
        ("bytes=-500", len(DATA) - 500, len(DATA) - 1),
        ("bytes=100-99999999999", 100, len(DATA) - 1),
        ("bytes=1048575-1048576", CHUNK - 1, CHUNK),
    ],
)
def test_single_range_is_206_with_content_range(stored, header, first, last):
    server, _, path = stored
    reply = server.client.get(path, headers={"Range": header})
    assert reply.status == 206
    assert reply.headers["Content-Range"] == f"bytes {first}-{last}/{len(DATA)}"
    assert reply.headers["Content-Length"] == str(last - first + 1)
    assert reply.body == DATA[first : last + 1]


@pytest.mark.parametrize("header", ["bytes=99999999-", "bytes=-0", "bytes=3-1"])
def test_unsatisfiable_range_gets_416_with_size(stored, header):
    server, _, path = stored
    reply = server.client.get(path, headers={"Range": header})
    assert reply.status == 416
    assert reply.headers["Content-Range"] == f"bytes */{len(DATA)}"
    assert reply.error["code"] == "client_error"


@pytest.mark.parametrize("header", ["items=0-5", "bytes=zero-five", "bytes", "bytes=--1"])
def test_unknown_unit_or_garbage_range_is_ignored(stored, header):
    server, _, path = stored
    reply = server.client.get(path, headers={"Range": header})
    assert reply.status == 200
    assert reply.body == DATA


def parse_byteranges(reply) -> list[tuple[str, bytes]]:
    raw = f"Content-Type: {reply.headers['Content-Type']}\r\n\r\n".encode() + reply.body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    assert message.is_multipart()
    return [(part["Content-Range"], part.get_payload(decode=True)) for part in message.iter_parts()]


def test_several_ranges_are_multipart_byteranges(stored):
    server, _, path = stored
    reply = server.client.get(path, headers={"Range": "bytes=0-9, 2000000-2000099, -5"})
    assert reply.status == 206
    assert reply.headers["Content-Type"].startswith("multipart/byteranges; boundary=")
    assert reply.headers["Content-Length"] == str(len(reply.body))
    size = len(DATA)
    assert parse_byteranges(reply) == [
        (f"bytes 0-9/{size}", DATA[0:10]),
        (f"bytes 2000000-2000099/{size}", DATA[2000000:2000100]),
        (f"bytes {size - 5}-{size - 1}/{size}", DATA[-5:]),
    ]


def test_each_byterange_part_carries_the_content_type(stored):
    server, _, path = stored
    reply = server.client.get(path, headers={"Range": "bytes=0-0,5-5"})
    assert reply.body.count(b"Content-Type: application/x-clip\r\n") == 2


def test_if_range_with_current_etag_serves_the_range(stored):
    server, asset, path = stored
    reply = server.client.get(
        path, headers={"Range": "bytes=0-3", "If-Range": f'"{asset["asset_id"]}"'}
    )
    assert reply.status == 206
    assert reply.body == DATA[:4]


def test_if_range_with_stale_validator_serves_everything(stored):
    server, _, path = stored
    for stale in ('"0000"', "Mon, 01 Jan 2001 00:00:00 GMT"):
        reply = server.client.get(path, headers={"Range": "bytes=0-3", "If-Range": stale})
        assert reply.status == 200
        assert reply.body == DATA


def test_if_range_with_last_modified_serves_the_range(stored):
    server, _, path = stored
    modified = server.client.request("HEAD", path).headers["Last-Modified"]
    reply = server.client.get(path, headers={"Range": "bytes=5-6", "If-Range": modified})
    assert reply.status == 206
    assert reply.body == DATA[5:7]


def test_if_none_match_gets_304_without_body(stored):
    server, asset, path = stored
    reply = server.client.get(path, headers={"If-None-Match": f'"{asset["asset_id"]}"'})
    assert reply.status == 304
    assert reply.body == b""
    assert reply.headers["ETag"] == f'"{asset["asset_id"]}"'
    other = server.client.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status == 200


def test_head_sends_headers_only(stored):
    server, _, path = stored
    reply = server.client.request("HEAD", path)
    assert reply.status == 200
    assert reply.body == b""
    assert reply.headers["Content-Length"] == str(len(DATA))
    ranged = server.client.request("HEAD", path, headers={"Range": "bytes=1-2"})
    assert ranged.status == 206
    assert ranged.headers["Content-Range"] == f"bytes 1-2/{len(DATA)}"
    assert ranged.headers["Content-Length"] == "2"


@pytest.mark.parametrize(
    ("filename", "fallback", "encoded"),
    [
        ("plain.txt", "plain.txt", "plain.txt"),
        ('say "hi".txt', 'say \\"hi\\".txt', "say%20%22hi%22.txt"),
        ("back\\slash.txt", "back\\\\slash.txt", "back%5Cslash.txt"),
        ("Zoë 日本.png", "Zo_ __.png", "Zo%C3%AB%20%E6%97%A5%E6%9C%AC.png"),
        ("100% sure;x=1.txt", "100% sure;x=1.txt", "100%25%20sure%3Bx%3D1.txt"),
    ],
)
def test_content_disposition_works_for_any_filename(server, filename, fallback, encoded):
    asset = upload(server.client, filename.encode() + b"!", filename).data
    reply = server.client.get(f"/v1/assets/{asset['asset_id']}/download")
    header = reply.headers["Content-Disposition"]
    assert header == f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    assert unquote(header.split("''", 1)[1]) == asset["filename"]


def test_unknown_and_malformed_ids_are_404(server):
    for asset_id in ("0" * 64, "not-an-id", "A" * 64):
        reply = server.client.get(f"/v1/assets/{asset_id}/download")
        assert reply.status == 404
        assert reply.error["code"] == "not_found"


def test_deleted_asset_cannot_be_downloaded(stored):
    server, asset, path = stored
    server.client.delete(f"/v1/assets/{asset['asset_id']}")
    assert server.client.get(path).status == 404
    assert server.client.request("HEAD", path).status == 404


def test_missing_bytes_are_404_not_500(stored):
    server, asset, path = stored
    (server.config.home.assets_dir / asset["storage_key"]).unlink()
    reply = server.client.get(path)
    assert reply.status == 404
    assert "missing" in reply.error["message"]


def test_download_needs_the_token(stored):
    server, _, path = stored
    assert server.anonymous.get(path).status == 401
    assert server.anonymous.request("HEAD", path).status == 401


def test_curl_resumes_an_interrupted_download(stored, tmp_path):
    curl = require_tool("curl")
    server, _, path = stored
    target = tmp_path / "clip.bin"
    target.write_bytes(DATA[:1234567])
    subprocess.run(
        [
            curl,
            "-sS",
            "-f",
            "-C",
            "-",
            "-o",
            str(target),
            "-H",
            f"X-FaceForge-Token: {server.token}",
            server.url + path,
        ],
        check=True,
        timeout=60,
    )
    assert sha256(target.read_bytes()) == sha256(DATA)


def test_aria2c_downloads_in_parallel_and_resumes(stored, tmp_path):
    aria2c = require_tool("aria2c")
    server, _, path = stored
    common = [
        aria2c,
        "-q",
        "--allow-overwrite=false",
        f"--header=X-FaceForge-Token: {server.token}",
        "-d",
        str(tmp_path),
    ]
    subprocess.run(
        [*common, "-x4", "-s4", "--min-split-size=1M", "-o", "split.bin", server.url + path],
        check=True,
        timeout=60,
    )
    assert sha256((tmp_path / "split.bin").read_bytes()) == sha256(DATA)
    (tmp_path / "resumed.bin").write_bytes(DATA[: 2 * CHUNK + 3])
    subprocess.run([*common, "-c", "-o", "resumed.bin", server.url + path], check=True, timeout=60)
    assert sha256((tmp_path / "resumed.bin").read_bytes()) == sha256(DATA)
