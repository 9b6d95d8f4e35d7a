"""One access-log line per request, and the `X-Request-Id` header on every response.

The line is written when the response starts (status known), and the response body is passed
through untouched so that file responses keep Waitress's fast `wsgi.file_wrapper` path.
Query values that are credentials (`sig`, `token`, a login link's `code`) are masked; headers
are never logged.
"""

import itertools
import re
import secrets
import time
from urllib.parse import parse_qsl, urlencode

from faceforge import logs

CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# `code` is the secret of a one-time login link (web/ui.py).
SECRET_QUERY_KEYS = frozenset({"sig", "token", "ff_token", "access_token", "code"})
# Request ids must be unique, not secret: a random prefix per process and a counter (asking the
# kernel for random bytes on every request cost more than the rest of the access log).
REQUEST_ID_PREFIX = secrets.token_hex(8)
REQUEST_COUNTER = itertools.count(1)


def loggable_target(environ: dict) -> str:
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    if not query:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    masked = [(key, "***" if key.lower() in SECRET_QUERY_KEYS else value) for key, value in pairs]
    return f"{path}?{urlencode(masked)}"


def handle(app, environ: dict, start_response):
    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    if CLIENT_REQUEST_ID.fullmatch(incoming):
        request_id = incoming
    else:
        request_id = f"{REQUEST_ID_PREFIX}{next(REQUEST_COUNTER):016x}"
    environ["faceforge.request_id"] = request_id
    started = time.perf_counter()

    def start(status: str, headers: list, exc_info=None):
        headers.append(("X-Request-Id", request_id))
        elapsed_ms = (time.perf_counter() - started) * 1000
        logs.access(
            f"{request_id} {environ.get('REQUEST_METHOD', '-')} {loggable_target(environ)}"
            f" {status.split(' ', 1)[0]} {elapsed_ms:.1f}ms"
        )
        return start_response(status, headers, exc_info)

    return app(environ, start)
