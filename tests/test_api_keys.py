"""API.md §12: API keys with scopes, checked by the one gate from the route table."""

import sqlite3

import pytest

from faceforge.api_keys import ADMIN, ANY_RUNNER, READ, SCOPES, WRITE
from faceforge.web import ROUTES
from tests.plugin_support import enabled_plugin
from tests.support import Client, log_once_it_holds
from tests.test_auth import concrete
from tests.test_openapi import openapi_path


def new_key(server, scopes, **fields) -> dict:
    reply = server.client.post(
        "/v1/admin/tokens", {"name": "integration", "scopes": scopes, **fields}
    )
    assert reply.status == 200, reply.body
    return reply.data


def key_client(server, key: dict) -> Client:
    return Client("127.0.0.1", server.port, key["token"])


def scopes_lacking(scope: str) -> list[str]:
    """Every kind of scope but `scope` (no runner scope at all for the runner routes)."""
    if scope == ANY_RUNNER:
        return list(SCOPES)
    return [other for other in (*SCOPES, "runner:other") if other != scope]


def test_every_route_is_public_or_names_a_scope():
    for route in ROUTES:
        assert route.public or route.scope in (READ, WRITE, ADMIN, ANY_RUNNER), route


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [(r.method, openapi_path(r.path), r.scope) for r in ROUTES if not r.public],
)
def test_a_key_without_the_routes_scope_is_refused_naming_it(server, method, path, scope):
    reply = key_client(server, new_key(server, scopes_lacking(scope))).request(
        method, concrete(path)
    )
    assert reply.status == 403, reply.body
    if method != "HEAD":
        assert reply.error["code"] == "forbidden"
        assert reply.error["details"] == {"missing_scope": scope}
        assert scope in reply.error["message"]


def test_a_key_is_shown_once_stored_as_a_hash_and_works_within_its_scopes(server):
    key = new_key(server, ["read"])
    assert set(key) == {
        "token_id",
        "name",
        "scopes",
        "token",
        "created_at",
        "expires_at",
        "last_used_at",
    }
    assert key["scopes"] == ["read"] and key["last_used_at"] is None
    listed = server.client.get("/v1/admin/tokens").data["items"]
    assert [item["token_id"] for item in listed] == [key["token_id"]]
    assert "token" not in listed[0]
    database = sqlite3.connect(server.config.home.db_path)
    stored = database.execute("SELECT * FROM api_keys").fetchall()
    database.close()
    assert key["token"] not in repr(stored)

    reader = key_client(server, key)
    assert reader.get("/v1/entities").status == 200
    assert reader.post("/v1/entities", {"display_name": "x"}).status == 403
    bearer = server.anonymous.get(
        "/v1/entities", headers={"Authorization": f"Bearer {key['token']}"}
    )
    assert bearer.status == 200
    used = server.client.get("/v1/admin/tokens").data["items"][0]
    assert used["last_used_at"] is not None


def test_a_deleted_key_is_refused_at_once(server):
    key = new_key(server, ["read", "write"])
    reader = key_client(server, key)
    assert reader.get("/v1/entities").status == 200
    assert server.client.delete(f"/v1/admin/tokens/{key['token_id']}").status == 200
    refused = reader.get("/v1/entities")
    assert refused.status == 401 and refused.error["code"] == "unauthorized"
    assert server.client.delete(f"/v1/admin/tokens/{key['token_id']}").status == 404


def test_an_expired_key_is_refused(server):
    key = new_key(server, ["read"], expires_at="2020-01-01T00:00:00.000Z")
    assert key_client(server, key).get("/v1/entities").status == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": ["read"]}, "name"),
        ({"name": "x"}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["root"]}, "scopes"),
        ({"name": "x", "scopes": ["runner:"]}, "scopes"),
        ({"name": "x", "scopes": "read"}, "scopes"),
        ({"name": "x", "scopes": ["read"], "expires_at": "tomorrow"}, "expires_at"),
    ],
)
def test_a_bad_key_request_is_422_naming_the_field(server, body, field):
    reply = server.client.post("/v1/admin/tokens", body)
    assert reply.status == 422
    assert reply.error["details"][0]["loc"][1] == field
    assert server.client.get("/v1/admin/tokens").data["items"] == []


def test_a_runner_key_claims_and_finishes_only_its_plugins_jobs(server):
    enabled_plugin(server, "mine", ["mine.work"])
    enabled_plugin(server, "theirs", ["theirs.work"])
    theirs = server.client.post("/v1/jobs", {"job_type": "theirs.work"}).data
    server.client.post("/v1/jobs", {"job_type": "mine.work"})
    runner = key_client(server, new_key(server, ["runner:mine"]))

    refused = runner.post("/v1/jobs/claim", {"job_types": ["theirs.work"]})
    assert refused.status == 403
    assert refused.error["details"] == {"missing_scope": "runner:theirs"}
    claimed = runner.post("/v1/jobs/claim", {"job_types": ["mine.work"]}).data
    lease = {"lease_token": claimed["lease_token"]}
    assert runner.post(f"/v1/jobs/{claimed['job']['job_id']}/complete", lease).status == 200

    their_claim = server.client.post("/v1/jobs/claim", {"job_types": ["theirs.work"]}).data
    assert their_claim["job"]["job_id"] == theirs["job_id"]
    other_lease = {"lease_token": their_claim["lease_token"]}
    for action in ("heartbeat", "complete"):
        reply = runner.post(f"/v1/jobs/{theirs['job_id']}/{action}", other_lease)
        assert reply.status == 403, action


def test_keys_are_never_logged(server):
    key = new_key(server, ["read"])
    key_client(server, key).get("/v1/entities", query={"marker": "one"})
    server.anonymous.get(
        "/v1/entities",
        headers={"Authorization": f"Bearer {key['token']}"},
        query={"marker": "two"},
    )
    assert key["token"] not in log_once_it_holds(server, "marker=two")
    for log_file in server.config.home.logs_dir.glob("*.log*"):
        assert key["token"] not in log_file.read_text(encoding="utf-8"), log_file
