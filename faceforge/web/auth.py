"""The one gate in front of every route: Host check, then token check, then CSRF check.

It runs before routing, so an unknown path without a token is 401 like any other; which routes
need no token is declared on them (`public` in the route table, `web/__init__.py`). The token
may come from three places with one fixed precedence (X-FaceForge-Token header, then
`Authorization: Bearer`, then the `ff_token` cookie): the first one present is the one checked,
with a constant-time comparison. It is the install token, which has every scope, or an API key
(api_keys.py), which must hold the scope the route table names for the route. A GET or HEAD
of `/v1/assets/{id}/download` (or of that asset's `/thumbnail`) that carries a `sig` is a
signed URL: the signature is checked instead of a token (see `signing.py`).
"""

import functools
import hmac
import ipaddress
import re
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urlsplit

from faceforge.api_keys import INSTALL_TOKEN, Credential
from faceforge.assets import signing
from faceforge.errors import Forbidden, Unauthorized

COOKIE_NAME = "ff_token"
# Where the gate leaves the request's api_keys.Credential for the handlers that need it.
CREDENTIAL_KEY = "faceforge.credential"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = frozenset({"localhost"})
SIGNED_DOWNLOAD_PATH = re.compile(r"/v1/assets/([0-9a-f]{64})/(?:download|thumbnail)")


def signed_download(method: str, path: str, query_string: str, key: str) -> bool:
    """True for a GET/HEAD of one asset's download or thumbnail carrying a valid signature
    (a signed URL's `<img>` may show the thumbnail instead of the original); 401 when the
    signature is there but wrong or expired; False (check the token) when there is none."""
    match = SIGNED_DOWNLOAD_PATH.fullmatch(path)
    if method not in ("GET", "HEAD") or match is None:
        return False
    query = parse_qs(query_string, keep_blank_values=True)
    if "sig" not in query:
        return False
    signing.check(key, match.group(1), query.get("expires", [None])[0], query["sig"][0])
    return True


@functools.lru_cache(maxsize=256)
def is_loopback(host: str) -> bool:
    """Cached: every request asks this about its Host header and the bind address."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """`example.com:8787` → `example.com`, `[::1]:8787` → `::1`."""
    host_header = host_header.strip().lower()
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")] if "]" in host_header else host_header
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def check_host(host_header: str | None, bind_host: str, allowed_hosts: tuple[str, ...]) -> None:
    """While bound to loopback, refuse requests addressed to any other name (DNS rebinding)."""
    if host_header is None or not is_loopback(bind_host):
        return
    name = host_name(host_header).rstrip(".")
    if is_loopback(name) or name in {allowed.lower() for allowed in allowed_hosts}:
        return
    raise Forbidden(f"Host {name!r} is not allowed; add it to network.allowed_hosts")


def cookie_token(environ: dict) -> str | None:
    """The `ff_token` cookie, parsed only when no header carried a token."""
    raw = environ.get("HTTP_COOKIE")
    if not raw or COOKIE_NAME not in raw:
        return None
    try:
        morsel = SimpleCookie(raw).get(COOKIE_NAME)
    except CookieError:
        return None
    return morsel.value if morsel else None


def presented_token(environ: dict) -> tuple[str, str] | None:
    """(source, token) of the first credential present, or None."""
    header = environ.get("HTTP_X_FACEFORGE_TOKEN")
    if header is not None:
        return "header", header.strip()
    authorization = environ.get("HTTP_AUTHORIZATION")
    if authorization is not None:
        scheme, _, value = authorization.strip().partition(" ")
        return "bearer", value.strip() if scheme.lower() == "bearer" else ""
    cookie = cookie_token(environ)
    return ("cookie", cookie) if cookie is not None else None


def token_matches(presented: str, expected: str) -> bool:
    """Constant-time equality, except that a blank credential never matches: not even a blank
    token (Core replaces one at start; this holds whatever the config says)."""
    if not presented.strip() or not expected.strip():
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def same_origin(environ: dict) -> bool:
    """True when Origin (or, failing that, Referer) names this very host."""
    source = environ.get("HTTP_ORIGIN") or environ.get("HTTP_REFERER")
    host = environ.get("HTTP_HOST")
    if not source or not host or source == "null":
        return False
    parts = urlsplit(source)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def check_token(
    environ: dict, expected: str, find_key: Callable[[str], Credential | None]
) -> Credential:
    """The credential the request carries: the install token (every scope) or a live API key
    (`find_key`, api_keys.credential); 401 for none, a wrong, expired or deleted one."""
    method = environ["REQUEST_METHOD"]
    credential = presented_token(environ)
    if credential is None:
        raise Unauthorized("Missing token")
    source, token = credential
    if token_matches(token, expected):
        found = INSTALL_TOKEN
    else:
        found = find_key(token) if token.strip() else None
    if found is None:
        raise Unauthorized("Invalid token")
    if source == "cookie" and method not in SAFE_METHODS and not same_origin(environ):
        raise Forbidden("Cross-site request refused: the Origin header must name this server")
    return found


def check_scope(credential: Credential, scope: str | None) -> None:
    """403 naming the scope the route needs when the key lacks it. A route without a scope
    (tests/test_auth.py forbids one) admits only the install token."""
    if credential.all_scopes or (scope is not None and credential.allows(scope)):
        return
    needed = scope or "the install token"
    raise Forbidden(f"This key lacks the scope {needed}", {"missing_scope": needed})
