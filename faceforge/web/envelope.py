"""The only builder of response bodies: `{"ok", "data", "error"}` on every JSON reply.

`envelope_plugin` wraps every route: a returned dict becomes `{"ok": true, "data": ...}`, an
ApiError becomes its status and `{"ok": false, "error": {...}}`, and anything unexpected is
logged with the request id and answered 500 `internal_error` with no internals in the body.
`FaceForgeBottle.default_error_handler` gives Bottle's own 404/405/500 the same shape.
"""

import logging

import bottle

from faceforge.errors import ApiError
from faceforge.json_text import Encoded, dumps
from faceforge.web import access_log

log = logging.getLogger("faceforge.web")

STATUS_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
}
# What a handler returns when its answer's data is null (a None would send no body at all).
NULL_DATA = Encoded("null")


def json_bytes(document) -> bytes:
    return dumps(document).encode("utf-8")


def code_for_status(status: int) -> str:
    if status >= 500:
        return "internal_error"
    return STATUS_CODES.get(status, "client_error")


def success_body(data_json: bytes) -> bytes:
    """The success envelope around data already encoded as JSON (by SQLite, say): spliced in
    as it is, never parsed and encoded again."""
    return b'{"ok":true,"data":' + data_json + b',"error":null}'


def error_body(code: str, message: str, details=None) -> dict:
    """The error envelope. All three keys are always present; `details` may be null."""
    return {
        "ok": False,
        "data": None,
        "error": {"code": code, "message": message, "details": details},
    }


def json_response(document, status: int = 200, headers: dict | None = None) -> bottle.HTTPResponse:
    response = bottle.HTTPResponse(json_bytes(document), status=status, **(headers or {}))
    response.content_type = "application/json"
    return response


def api_error_response(error: ApiError) -> bottle.HTTPResponse:
    return json_response(error_body(error.code, error.message, error.details), error.status)


def request_id() -> str:
    return bottle.request.environ.get("faceforge.request_id", "-")


def envelope_plugin(callback):
    def wrapper(*args, **kwargs):
        try:
            result = callback(*args, **kwargs)
        except ApiError as error:
            return api_error_response(error)
        except bottle.HTTPResponse:
            raise
        except Exception:
            log.exception("request %s failed", request_id())
            return json_response(error_body("internal_error", "Internal server error"), 500)
        if isinstance(result, dict | Encoded):
            # Bytes, not a new HTTPResponse: headers the handler set (cookies) must survive.
            bottle.response.content_type = "application/json"
            data = result.encode("utf-8") if isinstance(result, Encoded) else json_bytes(result)
            return success_body(data)
        return result

    return wrapper


class FaceForgeBottle(bottle.Bottle):
    """Bottle with our error shape for its own errors, and a request id + access log line
    for every request."""

    def __call__(self, environ, start_response):
        return access_log.handle(self.wsgi, environ, start_response)

    def default_error_handler(self, res: bottle.HTTPError) -> bytes:
        if res.status_code >= 500:
            if res.traceback:
                log.error("request %s failed:\n%s", request_id(), res.traceback)
            message = "Internal server error"
        elif res.status_code == 405:
            message = f"Method {bottle.request.method} is not allowed here"
        elif res.status_code == 404:
            message = "Not found"
        else:
            message = str(res.body) or res.status_line
        bottle.response.content_type = "application/json"
        return json_bytes(error_body(code_for_status(res.status_code), message))
