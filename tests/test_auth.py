"""API.md §2: the token gate, its three sources, cookie login, CSRF and the Host check."""

import json

import pytest

from faceforge import resources
from faceforge.web import auth
from tests.support import Client, install_token, write_core_json

DUMMY_ID = "0" * 64


def documented_operations():
    document = json.loads(resources.read_text("openapi.json"))
    for path, item in document["paths"].items():
        for method, operation in item.items():
            public = operation.get("security") == []
            yield method.upper(), path, public


def concrete(path: str) -> str:
    """A documented path with every parameter filled in."""
    return path.replace("{path}", "index.html").replace("{name}", "docs.js").format_map(_AnyId())


class _AnyId(dict):
    def __missing__(self, key):
        return DUMMY_ID


PROTECTED = [(m, p) for m, p, public in documented_operations() if not public]
PUBLIC = [(m, p) for m, p, public in documented_operations() if public]
# Public, but refused (401) without a one-time secret of their own: tests/test_login_link.py.
GUARDED_BY_THEIR_OWN_SECRET = {("GET", "/ui/login-link")}


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_protected_route_answers_401_without_or_with_a_wrong_token(server, method, path):
    missing = server.anonymous.request(method, concrete(path))
    assert missing.status == 401
    wrong = server.anonymous.request(
        method, concrete(path), headers={"X-FaceForge-Token": "not-the-token"}
    )
    assert wrong.status == 401
    if method == "HEAD":
        assert missing.body == wrong.body == b"", "a HEAD reply has no body"
        return
    assert missing.error == {"code": "unauthorized", "message": "Missing token", "details": None}
    assert wrong.error["message"] == "Invalid token"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/docs/assets/a/b"),
        ("GET", "/docs/assets/"),
        ("HEAD", "/docs/assets/a/b"),
        ("POST", "/healthz"),
        ("GET", "/ui"),
    ],
)
def test_a_path_no_public_route_takes_is_401_however_close_to_one(server, method, path):
    """Public is a property of a route, not of a path prefix: what no route takes is 401."""
    assert server.anonymous.request(method, path).status == 401


def test_public_routes_need_no_token(server):
    assert PUBLIC, "the document marks public routes with security: []"
    for method, path in PUBLIC:
        if method != "GET" or (method, path) in GUARDED_BY_THEIR_OWN_SECRET:
            continue
        reply = server.anonymous.get(concrete(path))
        assert reply.status in (200, 302), (path, reply.status, reply.body[:200])


def test_unknown_paths_are_401_before_routing(server):
    reply = server.anonymous.get("/v1/no/such/thing")
    assert reply.status == 401
    assert server.client.get("/v1/no/such/thing").status == 404


@pytest.mark.parametrize(
    "headers",
    [
        lambda t: {"X-FaceForge-Token": t},
        lambda t: {"Authorization": f"Bearer {t}"},
        lambda t: {"Authorization": f"bEaReR {t}"},
        lambda t: {"Cookie": f"ff_token={t}"},
    ],
    ids=["header", "bearer", "bearer-any-case", "cookie"],
)
def test_each_token_source_is_accepted(server, headers):
    reply = server.anonymous.get("/v1/ping", headers=headers(server.token))
    assert reply.status == 200
    assert reply.data == {"pong": True}


def test_first_present_source_is_the_one_checked(server):
    right, wrong = server.token, "wrong"
    header_wins = {"X-FaceForge-Token": wrong, "Authorization": f"Bearer {right}"}
    assert server.anonymous.get("/v1/ping", headers=header_wins).status == 401
    bearer_wins = {"Authorization": f"Bearer {wrong}", "Cookie": f"ff_token={right}"}
    assert server.anonymous.get("/v1/ping", headers=bearer_wins).status == 401
    header_right = {"X-FaceForge-Token": right, "Cookie": f"ff_token={wrong}"}
    assert server.anonymous.get("/v1/ping", headers=header_right).status == 200


def test_other_authorization_schemes_are_invalid(server):
    reply = server.anonymous.get("/v1/ping", headers={"Authorization": f"Basic {server.token}"})
    assert reply.status == 401
    assert reply.error["message"] == "Invalid token"


def cookie_of(reply) -> str:
    return reply.headers["Set-Cookie"]


def test_json_login_sets_a_strict_http_only_cookie(server):
    reply = server.anonymous.post("/ui/login", {"token": server.token})
    assert reply.status == 200
    assert reply.data == {"logged_in": True}
    cookie = cookie_of(reply)
    assert cookie.startswith(f"ff_token={server.token};")
    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert "Path=/" in cookie


def test_form_login_redirects_to_the_ui(server):
    reply = server.anonymous.request(
        "POST",
        "/ui/login",
        body=f"token={server.token}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 302
    assert reply.headers["Location"] == "/ui/"
    assert cookie_of(reply).startswith("ff_token=")


def test_wrong_login_is_401_and_sets_no_cookie(server):
    reply = server.anonymous.post("/ui/login", {"token": "nope"})
    assert reply.status == 401
    assert reply.headers["Set-Cookie"] is None


def test_login_without_token_is_422_naming_the_field(server):
    reply = server.anonymous.post("/ui/login", {})
    assert reply.status == 422
    assert reply.error["details"][0]["loc"] == ["body", "token"]


def test_cross_site_login_is_refused(server):
    reply = server.anonymous.post(
        "/ui/login", {"token": server.token}, headers={"Origin": "http://evil.example"}
    )
    assert reply.status == 403


def test_logout_clears_the_cookie(server):
    same_origin_cookie = {
        "Cookie": f"ff_token={server.token}",
        "Origin": f"http://127.0.0.1:{server.port}",
    }
    reply = server.anonymous.post("/ui/logout", {}, headers=same_origin_cookie)
    assert reply.status == 200
    assert reply.data == {"logged_in": False}
    assert 'ff_token=""' in cookie_of(reply) or "ff_token=;" in cookie_of(reply)
    assert "Max-Age=0" in cookie_of(reply) or "expires=" in cookie_of(reply).lower()


def test_logout_without_a_token_is_401_and_clears_nothing(server):
    reply = server.anonymous.post("/ui/logout", {})
    assert reply.status == 401
    assert reply.error == {"code": "unauthorized", "message": "Missing token", "details": None}
    assert reply.headers["Set-Cookie"] is None
    cross_site = server.anonymous.post(
        "/ui/logout", {}, headers={"Cookie": f"ff_token={server.token}"}
    )
    assert cross_site.status == 403


def test_cookie_requests_with_unsafe_methods_need_a_same_origin_header(server):
    cookie = {"Cookie": f"ff_token={server.token}"}
    origin = f"http://127.0.0.1:{server.port}"
    assert server.anonymous.get("/v1/ping", headers=cookie).status == 200
    no_origin = server.anonymous.post("/v1/ping", {}, headers=cookie)
    assert no_origin.status == 403
    assert no_origin.error["code"] == "forbidden"
    other_origin = server.anonymous.post(
        "/v1/ping", {}, headers={**cookie, "Origin": "http://evil.example"}
    )
    assert other_origin.status == 403
    same_origin = server.anonymous.post("/v1/ping", {}, headers={**cookie, "Origin": origin})
    assert same_origin.status == 405, "passes the gate, then meets the route table"
    by_referer = server.anonymous.post(
        "/v1/ping", {}, headers={**cookie, "Referer": f"{origin}/ui/"}
    )
    assert by_referer.status == 405
    header_token = server.client.post("/v1/ping", {})
    assert header_token.status == 405, "scripts sending the header need no Origin"


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "[::1]", "LOCALHOST:9999", "127.0.0.1:1", "127.0.0.2"]
)
def test_loopback_host_names_are_accepted_on_any_port(server, host):
    assert server.client.get("/v1/ping", headers={"Host": host}).status == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8787", "192.168.1.5", "[::2]"])
def test_other_host_names_are_refused_even_for_public_routes(server, host):
    reply = server.anonymous.get("/healthz", headers={"Host": host})
    assert reply.status == 403
    assert reply.error["code"] == "forbidden"


def test_allowed_hosts_extend_the_host_check(start_server, home):
    write_core_json(home, {"network": {"allowed_hosts": ["faceforge.lan"]}})
    live = start_server(home)
    assert live.client.get("/v1/ping", headers={"Host": "faceforge.lan:8787"}).status == 200
    assert live.client.get("/v1/ping", headers={"Host": "other.lan"}).status == 403


def test_token_compare_is_exact(server):
    for near_miss in (server.token + "x", server.token[:-1], server.token.upper(), ""):
        client = Client("127.0.0.1", server.port, near_miss or None)
        headers = {"X-FaceForge-Token": near_miss}
        assert client.get("/v1/ping", headers=headers, token=False).status == 401


CREDENTIAL_SOURCES = {
    "header": lambda token: {"X-FaceForge-Token": token},
    "bearer": lambda token: {"Authorization": f"Bearer {token}"},
    "cookie": lambda token: {"Cookie": f'ff_token="{token}"'},
}


@pytest.mark.parametrize("configured", ["", "   ", "too-short-to-be-a-token"])
def test_a_blank_or_short_install_token_is_replaced_and_blank_credentials_never_match(
    start_server, home, configured
):
    write_core_json(home, {"auth": {"install_token": configured}})
    live = start_server(home)
    token = install_token(home)
    assert token == live.token
    assert len(token) >= 32 and token != configured
    for source, credential in CREDENTIAL_SOURCES.items():
        for blank in ("", "   ", configured):
            reply = live.anonymous.get("/v1/ping", headers=credential(blank))
            assert reply.status == 401, (source, blank)
        assert live.anonymous.get("/v1/ping", headers=credential(token)).data == {"pong": True}
    log_text = live.config.home.log_path.read_text(encoding="utf-8")
    assert "auth.install_token in " in log_text
    assert "shorter than 32 characters; it was replaced by a new one" in log_text
    assert token not in log_text


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_the_token_check_itself_never_matches_a_blank(blank):
    """Whatever the config holds: start-up replaces a blank token, and this holds without it."""
    assert auth.token_matches(blank, blank) is False
    assert auth.token_matches(blank, "a" * 43) is False
    assert auth.token_matches("a" * 43, blank) is False
