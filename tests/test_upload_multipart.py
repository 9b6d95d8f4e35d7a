"""The streaming multipart reader on its own: every way a body can be cut into reads, near
misses of the boundary inside data, and the header forms browsers and curl send."""

import io
import json
import subprocess

import pytest
import requests

from faceforge.errors import ValidationError
from faceforge.web.multipart import MultipartReader, boundary_of, header_parameters
from tests.assets_support import BOUNDARY, multipart_body
from tests.conftest import require_tool


class TrickleStream(io.RawIOBase):
    """Hands out at most `step` bytes per read, as a slow socket would."""

    def __init__(self, data: bytes, step: int):
        self.data, self.position, self.step = data, 0, step

    def read(self, size=-1):
        end = self.position + min(self.step, size if size >= 0 else self.step)
        chunk = self.data[self.position : end]
        self.position += len(chunk)
        return chunk


def read_parts(body: bytes, step: int = 10**9, boundary: str = BOUNDARY):
    reader = MultipartReader(TrickleStream(body, step), boundary.encode(), len(body))
    return [(p.name, p.filename, p.content_type, b"".join(p.chunks)) for p in reader.parts()]


NEAR_MISS = (
    b"data\r\n--faceforge-test-boundar\r\n-faceforge-test-boundary"
    b"--faceforge-test-boundary\n--faceforge-test-boundary\r\n-"
)
PARTS = [
    ("meta", None, None, b'{"a": 1}'),
    ("file", "x.bin", "application/octet-stream", NEAR_MISS),
    ("empty", "e.txt", "text/plain", b""),
]


@pytest.mark.parametrize("step", [1, 2, 3, 7, 64, 10**9])
def test_parts_survive_any_read_size(step):
    assert read_parts(multipart_body(PARTS), step) == PARTS


def test_preamble_epilogue_and_transport_padding_are_ignored():
    body = (
        b"preamble text\r\n--B  \t\r\nContent-Disposition: form-data; name=f\r\n\r\nv"
        b"\r\n--B--\r\nepilogue"
    )
    assert read_parts(body, 3, "B") == [("f", None, None, b"v")]


def test_unconsumed_parts_are_skipped():
    reader = MultipartReader(io.BytesIO(multipart_body(PARTS)), BOUNDARY.encode(), None)
    assert [part.name for part in reader.parts()] == ["meta", "file", "empty"]


def test_content_length_bounds_the_read():
    body = multipart_body(PARTS)
    reader = MultipartReader(io.BytesIO(body + b"trailing junk"), BOUNDARY.encode(), len(body))
    assert len(list(reader.parts())) == 3


@pytest.mark.parametrize(
    "body",
    [
        multipart_body(PARTS)[:-10],
        multipart_body(PARTS)[:40],
        b"",
        b"--faceforge-test-boundary\r\n" + b"X" * 20000,
    ],
    ids=["cut-before-close", "cut-in-headers", "empty", "endless-headers"],
)
def test_truncated_bodies_are_malformed(body):
    with pytest.raises(ValidationError) as raised:
        read_parts(body, 5)
    assert raised.value.details[0]["type"] == "multipart_invalid"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('form-data; name="file"; filename="a.jpg"', {"name": "file", "filename": "a.jpg"}),
        ("form-data; name=file; filename=a.jpg", {"name": "file", "filename": "a.jpg"}),
        (
            r'form-data; name="f"; filename="say \"hi\".txt"',
            {"name": "f", "filename": 'say "hi".txt'},
        ),
        ('form-data; name="f"; filename="a;b.txt"', {"name": "f", "filename": "a;b.txt"}),
        (
            'form-data; name="f"; filename="fallback"; filename*=UTF-8\'\'Zo%C3%AB.png',
            {"name": "f", "filename": "Zoë.png"},
        ),
        ('form-data; NAME="f"', {"name": "f"}),
        (
            'form-data; name="f"; filename="say %22hi%22.txt"',
            {"name": "f", "filename": 'say "hi".txt'},
        ),
        (
            'form-data; name="f"; filename="50%25 off.txt"',
            {"name": "f", "filename": "50%25 off.txt"},
        ),
        ('form-data; name="f"; filename="a%0d%0Ab"', {"name": "f", "filename": "a\r\nb"}),
        (
            r'form-data; name="f"; filename="say %22cheese%22 \ now.txt"',
            {"name": "f", "filename": r'say "cheese" \ now.txt'},
        ),
        (r'form-data; name="f"; filename="a\\b.txt"', {"name": "f", "filename": r"a\b.txt"}),
        (
            r'form-data; name="f"; filename="\\server\share\a.jpg"',
            {"name": "f", "filename": r"\\server\share\a.jpg"},
        ),
    ],
)
def test_content_disposition_parameters(value, expected):
    assert header_parameters(value) == ("form-data", expected)


@pytest.mark.parametrize(
    ("content_type", "boundary"),
    [
        ("multipart/form-data; boundary=abc", b"abc"),
        ('multipart/form-data; boundary="a b:c"', b"a b:c"),
        ("Multipart/Form-Data; charset=utf-8; boundary=xyz", b"xyz"),
        ("multipart/form-data", None),
        ("multipart/mixed; boundary=abc", None),
        ("multipart/form-data; boundary=" + "x" * 71, None),
        ("application/json", None),
    ],
)
def test_boundary_of(content_type, boundary):
    assert boundary_of(content_type) == boundary


QUOTES_AND_BACKSLASH = 'say "cheese" \\ now.txt'


def stored_filename(server, asset_id: str) -> str:
    return server.client.get(f"/v1/assets/{asset_id}").data["filename"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ('"Ада \\"best\\".bin"', 'Ада "best".bin'),
        (QUOTES_AND_BACKSLASH, QUOTES_AND_BACKSLASH),
    ],
    ids=["quoted", "as typed"],
)
def test_curl_keeps_quotes_and_backslashes_in_a_file_name(server, tmp_path, typed, stored):
    """`typed` is the file name as written after `-F file=@...;filename=`."""
    curl = require_tool("curl")
    (tmp_path / "x.bin").write_bytes(stored.encode())
    completed = subprocess.run(
        [
            curl,
            "-sS",
            "-f",
            "-H",
            f"X-FaceForge-Token: {server.token}",
            "-F",
            f"file=@{tmp_path / 'x.bin'};filename={typed}",
            server.url + "/v1/assets/upload",
        ],
        capture_output=True,
        check=True,
    )
    asset_id = json.loads(completed.stdout)["data"]["asset_id"]
    assert stored_filename(server, asset_id) == stored


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        (QUOTES_AND_BACKSLASH, QUOTES_AND_BACKSLASH),
        ("C:\\Users\\x\\photo.jpg", "photo.jpg"),
        ("\\\\server\\share\\a.jpg", "a.jpg"),
        ("/home/x/photo.jpg", "photo.jpg"),
    ],
)
def test_requests_file_names_keep_the_name_and_drop_a_leading_path(server, sent, stored):
    reply = requests.post(
        server.url + "/v1/assets/upload",
        headers={"X-FaceForge-Token": server.token},
        files={"file": (sent, sent.encode())},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    assert stored_filename(server, reply.json()["data"]["asset_id"]) == stored
