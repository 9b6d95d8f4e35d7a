"""API.md §1: every error path answers the same envelope with the right status and code."""

import pytest

from faceforge import validate
from faceforge.web.envelope import envelope_plugin


def assert_error(reply, status, code):
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.headers["X-Request-Id"]
    error = reply.error
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return error


def test_missing_token(server):
    assert_error(server.anonymous.get("/v1/ping"), 401, "unauthorized")


def test_wrong_host(server):
    assert_error(server.client.get("/v1/ping", headers={"Host": "evil.example"}), 403, "forbidden")


def test_unknown_route(server):
    assert_error(server.client.get("/v1/does-not-exist"), 404, "not_found")


def test_wrong_method(server):
    error = assert_error(server.client.delete("/v1/ping"), 405, "client_error")
    assert "DELETE" in error["message"]


def test_malformed_json(server):
    reply = server.anonymous.request(
        "POST", "/ui/login", body=b"{not json", headers={"Content-Type": "application/json"}
    )
    error = assert_error(reply, 422, "validation_error")
    assert error["details"][0]["loc"] == ["body"]
    assert error["details"][0]["type"] == "json_invalid"


@pytest.mark.parametrize("body", [b"[]", b"42", b'"token"', b"null"])
def test_json_that_is_not_an_object(server, body):
    reply = server.anonymous.request(
        "POST", "/ui/login", body=body, headers={"Content-Type": "application/json"}
    )
    error = assert_error(reply, 422, "validation_error")
    assert error["details"][0]["msg"] == "must be a JSON object"


def test_body_not_utf8(server):
    reply = server.anonymous.request(
        "POST", "/ui/login", body=b'{"token": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert_error(reply, 422, "validation_error")


def test_oversize_body(server):
    reply = server.anonymous.request(
        "POST",
        "/ui/login",
        body=b"x" * (65 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert_error(reply, 413, "payload_too_large")


def test_static_path_escape_is_404(server):
    for path in ("/ui/../faceforge/config.py", "/ui/%2e%2e/pyproject.toml", "/ui/.hidden"):
        assert_error(server.anonymous.get(path), 404, "not_found")


def test_request_id_is_echoed_when_sane_and_replaced_when_not(server):
    sane = server.client.get("/v1/ping", headers={"X-Request-Id": "abc-123"})
    assert sane.headers["X-Request-Id"] == "abc-123"
    odd = server.client.get("/v1/ping", headers={"X-Request-Id": "no spaces allowed"})
    assert odd.headers["X-Request-Id"] != "no spaces allowed"
    assert len(odd.headers["X-Request-Id"]) == 32


class BrokenHandler(Exception):
    pass


def raise_unexpected():
    raise BrokenHandler("secret internals")


def test_unexpected_exceptions_become_a_500_envelope_without_internals():
    reply = envelope_plugin(raise_unexpected)()
    assert reply.status_code == 500
    assert b'"code":"internal_error"' in reply.body
    assert b"secret internals" not in reply.body


def test_api_errors_keep_their_status_code_and_details():
    def refuse():
        validate.fail(("query", "limit"), "must be at most 200")

    reply = envelope_plugin(refuse)()
    assert reply.status_code == 422
    assert b'"loc":["query","limit"]' in reply.body
    assert b'"message":"limit: must be at most 200"' in reply.body


MISSING_ID = "f" * 64
INVALID_REQUESTS = [
    (
        "POST",
        "/v1/assets/upload",
        b"--x\r\nbroken",
        {"Content-Type": "multipart/form-data; boundary=x"},
    ),
    ("POST", "/v1/assets/upload?filename=a.txt", b"", {"Content-Type": "application/octet-stream"}),
    ("POST", f"/v1/assets/upload?filename=a.txt&entity_id={MISSING_ID}", b"x", {}),
    ("POST", "/v1/entities", {"display_name": "A", "primary_thumbnail_asset_id": MISSING_ID}, {}),
    ("POST", "/v1/entities", {"display_name": 7, "tags": "x"}, {}),
    ("POST", "/v1/entities/bulk-upsert", {"items": [{"display_name": ""}, 3]}, {}),
    ("POST", "/v1/entities/{entity_id}/descriptors", {"field_key": "nope", "value": 1}, {}),
    ("POST", "/v1/admin/field-defs", {"field_key": "k", "field_type": "enum", "options": {}}, {}),
    ("GET", "/v1/events?limit=0", None, {}),
]


@pytest.mark.parametrize(("method", "path", "body", "headers"), INVALID_REQUESTS)
def test_every_kind_of_422_lists_loc_msg_and_type(server, method, path, body, headers):
    entity_id = server.client.post("/v1/entities", {"display_name": "Ann"}).data["entity_id"]
    path = path.replace("{entity_id}", entity_id)
    if isinstance(body, dict):
        reply = server.client.request(method, path, json_body=body, headers=headers)
    else:
        reply = server.client.request(method, path, body=body, headers=headers)
    error = assert_error(reply, 422, "validation_error")
    assert error["details"], error
    for detail in error["details"]:
        assert set(detail) == {"loc", "msg", "type"}, detail
        assert detail["loc"][0] in ("body", "query", "path"), detail
        assert isinstance(detail["msg"], str) and isinstance(detail["type"], str), detail
