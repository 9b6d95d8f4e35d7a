"""API.md §2: a signed download URL opens GET and HEAD of one asset's download, until it
expires, and nothing else."""

import subprocess
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from faceforge import clock
from faceforge.assets import signing
from faceforge.errors import Unauthorized
from tests.assets_support import sha256, upload
from tests.conftest import require_tool
from tests.support import log_once_it_holds, write_core_json


@pytest.fixture
def signed(server):
    asset = upload(server.client, b"signed bytes", "s.txt").data
    reply = server.client.post(f"/v1/assets/{asset['asset_id']}/download-url")
    return server, asset, reply.data


def test_signed_url_shape(signed):
    _, asset, data = signed
    parts = urlsplit(data["url"])
    assert parts.path == f"/v1/assets/{asset['asset_id']}/download"
    query = parse_qs(parts.query)
    assert set(query) == {"expires", "sig"}
    expires = int(query["expires"][0])
    assert abs(expires - (time.time() + signing.DEFAULT_EXPIRES_IN)) < 5
    assert clock.parse_time(data["expires_at"]).timestamp() == expires


def test_signed_url_works_without_a_token(signed):
    server, _, data = signed
    reply = server.anonymous.get(data["url"])
    assert reply.status == 200
    assert reply.body == b"signed bytes"
    head = server.anonymous.request("HEAD", data["url"])
    assert head.status == 200
    assert head.headers["Content-Length"] == "12"
    ranged = server.anonymous.get(data["url"], headers={"Range": "bytes=0-5"})
    assert (ranged.status, ranged.body) == (206, b"signed")


def test_signed_url_with_curl(signed, tmp_path):
    curl = require_tool("curl")
    server, _, data = signed
    target = tmp_path / "out.txt"
    subprocess.run([curl, "-sSf", "-o", str(target), server.url + data["url"]], check=True)
    assert sha256(target.read_bytes()) == sha256(b"signed bytes")


def test_signature_opens_nothing_else(signed):
    server, asset, data = signed
    query = urlsplit(data["url"]).query
    for method, path in (
        ("GET", f"/v1/assets/{asset['asset_id']}"),
        ("DELETE", f"/v1/assets/{asset['asset_id']}"),
        ("POST", f"/v1/assets/{asset['asset_id']}/download"),
        ("GET", "/v1/assets"),
    ):
        assert server.anonymous.request(method, f"{path}?{query}").status == 401, (method, path)
    assert server.client.get(f"/v1/assets/{asset['asset_id']}").status == 200


def test_signature_for_one_asset_does_not_open_another(signed):
    server, _, data = signed
    other = upload(server.client, b"other", "o.txt").data["asset_id"]
    query = urlsplit(data["url"]).query
    reply = server.anonymous.get(f"/v1/assets/{other}/download?{query}")
    assert reply.status == 401
    assert reply.error["message"] == "Invalid signature"


@pytest.mark.parametrize("part", ["sig", "expires"])
def test_tampered_signature_is_401(signed, part):
    server, _, data = signed
    path, _, query = data["url"].partition("?")
    values = {k: v[0] for k, v in parse_qs(query).items()}
    values[part] = ("0" if values[part][0] != "0" else "1") + values[part][1:]
    reply = server.anonymous.get(f"{path}?expires={values['expires']}&sig={values['sig']}")
    assert reply.status == 401
    assert reply.error["message"] == "Invalid signature"


@pytest.mark.parametrize("query", ["sig=abc", "expires=abc&sig=abc", "expires=&sig="])
def test_malformed_signature_is_401(signed, query):
    server, asset, _ = signed
    reply = server.anonymous.get(f"/v1/assets/{asset['asset_id']}/download?{query}")
    assert reply.status == 401


def test_expired_signature_is_401(signed):
    server, asset, _ = signed
    key = server.config["auth.url_signing_key"]
    past = signing.signed_download(key, asset["asset_id"], 60, now=time.time() - 3600)
    reply = server.anonymous.get(past["url"])
    assert reply.status == 401
    assert reply.error["message"] == "Signed URL has expired"


def test_expires_in_is_bounded(server):
    asset_id = upload(server.client, b"bounded", "b.txt").data["asset_id"]
    path = f"/v1/assets/{asset_id}/download-url"
    week = server.client.post(path, {"expires_in": signing.MAX_EXPIRES_IN}).data
    assert int(parse_qs(urlsplit(week["url"]).query)["expires"][0]) > time.time() + 6 * 86400
    for bad in (0, -5, signing.MAX_EXPIRES_IN + 1, "soon", True):
        reply = server.client.post(path, {"expires_in": bad})
        assert reply.status == 422, bad
        assert reply.error["details"][0]["loc"] == ["body", "expires_in"]


def test_signed_url_of_a_deleted_asset_is_404(signed):
    server, asset, data = signed
    server.client.delete(f"/v1/assets/{asset['asset_id']}")
    assert server.anonymous.get(data["url"]).status == 404
    assert server.client.post(f"/v1/assets/{asset['asset_id']}/download-url").status == 404


def test_asking_for_a_signed_url_needs_the_token(signed):
    server, asset, _ = signed
    assert server.anonymous.post(f"/v1/assets/{asset['asset_id']}/download-url").status == 401


def test_access_log_masks_the_signature(signed):
    server, _, data = signed
    server.anonymous.get(data["url"])
    sig = parse_qs(urlsplit(data["url"]).query)["sig"][0]
    log_text = log_once_it_holds(server, "sig=%2A%2A%2A")
    assert sig not in log_text


@pytest.mark.parametrize("configured", ["", "   ", "too-short-to-be-a-key"])
def test_a_blank_or_short_signing_key_is_replaced_and_blank_keys_sign_nothing(
    start_server, home, configured
):
    write_core_json(home, {"auth": {"url_signing_key": configured}})
    live = start_server(home)
    key = live.config["auth.url_signing_key"]
    assert len(key) >= 32 and key != configured
    asset_id = upload(live.client, b"keyed bytes", "k.txt").data["asset_id"]
    for guessed_key in ("", "   ", configured):
        forged = signing.signed_download(guessed_key, asset_id, 60)
        reply = live.anonymous.get(forged["url"])
        assert reply.status == 401, repr(guessed_key)
        assert reply.error["message"] == "Invalid signature"
    genuine = live.client.post(f"/v1/assets/{asset_id}/download-url").data
    assert live.anonymous.get(genuine["url"]).body == b"keyed bytes"
    log_text = live.config.home.log_path.read_text(encoding="utf-8")
    assert "auth.url_signing_key in " in log_text
    assert "shorter than 32 characters; it was replaced by a new one" in log_text
    assert key not in log_text


@pytest.mark.parametrize("blank", ["", "   "])
def test_the_signature_check_itself_refuses_a_blank_key(blank):
    """Whatever the config holds: start-up replaces a blank key, and this holds without it."""
    asset_id = "0" * 64
    expires = int(time.time()) + 60
    with pytest.raises(Unauthorized, match="Invalid signature"):
        signing.check(blank, asset_id, str(expires), signing.signature(blank, asset_id, expires))
