"""The web UI's shell (static files, public: it holds no data), cookie login/logout and the
one-time login links that log a browser in without showing it the token."""

import bottle

from faceforge import login_links, resources, validate
from faceforge.errors import Forbidden, Unauthorized
from faceforge.web import auth, params, static

LOGIN_FORM_LIMIT = 64 * 1024
# The shell loads only its own files and talks only to this server: the browser enforces that
# nothing (script, style, image, request) comes from or goes to anywhere else, and that no
# other site frames the UI.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; media-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
LOGIN_LINK_PATH = "/ui/login-link"
# The access log masks this query key (web/access_log.py SECRET_QUERY_KEYS).
LOGIN_LINK_QUERY_KEY = "code"


def root(services):
    return bottle.HTTPResponse(status=302, headers={"Location": "/ui/"})


def shell_file(path: str) -> bottle.HTTPResponse:
    response = static.file_response(resources.static_folder(), path)
    response.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response


def shell(services):
    return shell_file("index.html")


def static_file(services, path):
    return shell_file(path)


def wants_redirect() -> bool:
    """A plain HTML form post gets a redirect; a script posting JSON gets the envelope."""
    content_type = bottle.request.environ.get("CONTENT_TYPE", "").lower()
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def reply(data: dict) -> bytes | dict:
    if wants_redirect():
        bottle.response.status = 302
        bottle.response.set_header("Location", "/ui/")
        return b""
    return data


def login(services):
    """Check the token and keep it in an HttpOnly, SameSite=Strict cookie."""
    environ = bottle.request.environ
    if environ.get("HTTP_ORIGIN") and not auth.same_origin(environ):
        raise Forbidden("Cross-site login refused: the Origin header must name this server")
    form = params.form_or_json(LOGIN_FORM_LIMIT)
    token = form.get("token")
    if not isinstance(token, str) or not token:
        validate.fail(("body", "token"), "field required", "missing")
    if not auth.token_matches(token.strip(), services.config["auth.install_token"]):
        raise Unauthorized("Invalid token")
    set_login_cookie(token.strip())
    return reply({"logged_in": True})


def set_login_cookie(token: str) -> None:
    """The token in an HttpOnly, SameSite=Strict cookie: scripts in the page cannot read it."""
    bottle.response.set_cookie(auth.COOKIE_NAME, token, httponly=True, samesite="Strict", path="/")


def create_login_link(services):
    """A URL that logs one browser in, once, within a minute (for the launcher and `open`)."""
    secret, expires_at = login_links.create(services.db)
    scheme, netloc = bottle.request.urlparts[:2]
    url = f"{scheme}://{netloc}{LOGIN_LINK_PATH}?{LOGIN_LINK_QUERY_KEY}={secret}"
    return {"url": url, "expires_at": expires_at}


def use_login_link(services):
    """Public: a valid, unused, unexpired link sets the cookie and redirects to the UI."""
    secret = params.query().get(LOGIN_LINK_QUERY_KEY, "")
    # A HEAD (link previews, checkers) must not use up the one use the person needs.
    if bottle.request.method == "HEAD" or not login_links.redeem(services.db, secret):
        raise Unauthorized(
            "This login link is invalid, expired or already used; ask for a new one"
            " (the launcher's Open UI, or python faceforge.py open)"
        )
    set_login_cookie(services.config["auth.install_token"])
    bottle.response.status = 302
    bottle.response.set_header("Location", "/ui/")
    # The link must not linger in caches or leak to the next page through Referer.
    bottle.response.set_header("Cache-Control", "no-store")
    bottle.response.set_header("Referrer-Policy", "no-referrer")
    return b""


def logout(services):
    """Not public: like every route it needs the token, which the UI sends as its cookie with
    a same-origin Origin, so another site or process cannot log a browser out."""
    bottle.response.delete_cookie(auth.COOKIE_NAME, httponly=True, samesite="Strict", path="/")
    return reply({"logged_in": False})
