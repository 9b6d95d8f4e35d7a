"""Reading what the client sent: query parameters and JSON bodies, never more than allowed.
Every handler reads them through these functions.

Bottle's `request.json` refuses bodies over 100 KiB and `request.query` decodes as Latin-1, so
both are read here from the WSGI environ instead.
"""

from urllib.parse import parse_qsl

import bottle

from faceforge import validate
from faceforge.errors import PayloadTooLarge

FEED_PAGE_DEFAULT = 100
FEED_PAGE_MAX = 1000


def query() -> dict[str, str]:
    """Query parameters decoded as UTF-8; the first value wins when a name repeats."""
    pairs = parse_qsl(bottle.request.environ.get("QUERY_STRING", ""), keep_blank_values=True)
    values: dict[str, str] = {}
    for key, value in pairs:
        values.setdefault(key, value)
    return values


def optional(parameters: dict[str, str], key: str) -> str | None:
    """A query value, trimmed; a blank one means absent (as an empty form field does)."""
    return parameters.get(key, "").strip() or None


def optional_integer(
    parameters: dict[str, str], key: str, default: int, minimum: int, maximum: int
) -> int:
    """An integer query value within the bounds (422 otherwise), `default` when absent."""
    value = optional(parameters, key)
    return default if value is None else validate.integer(value, ("query", key), minimum, maximum)


def after_id_page(parameters: dict[str, str]) -> tuple[int, int]:
    """`(after_id, limit)` of a feed read by following it (`/v1/events`, a job's log)."""
    after_id = optional_integer(parameters, "after_id", 0, 0, validate.SQL_INTEGER_MAX)
    limit = optional_integer(parameters, "limit", FEED_PAGE_DEFAULT, 1, FEED_PAGE_MAX)
    return after_id, limit


def content_length() -> int | None:
    raw = bottle.request.environ.get("CONTENT_LENGTH") or ""
    try:
        length = int(raw)
    except ValueError:
        return None
    return length if length >= 0 else None


def read_body(limit: int) -> bytes:
    """The whole body, refusing (413) anything over `limit` bytes before reading it."""
    length = content_length()
    if length is not None and length > limit:
        raise PayloadTooLarge.over_limit("Request body", limit)
    stream = bottle.request.environ["wsgi.input"]
    data = stream.read(length if length is not None else limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge.over_limit("Request body", limit)
    return data


def json_body(services) -> dict:
    """The body as one JSON object (422 when it is not), within `limits.max_json_bytes` (413)."""
    return validate.parse_json_object(read_body(services.config["limits.max_json_bytes"]))


def optional_json_body(services) -> dict:
    """Like json_body, but an absent or empty body means `{}`."""
    raw = read_body(services.config["limits.max_json_bytes"])
    return validate.parse_json_object(raw) if raw.strip() else {}


def form_or_json(limit: int) -> dict:
    """A urlencoded form or a JSON object, whichever the Content-Type says."""
    raw = read_body(limit)
    content_type = bottle.request.environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        try:
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            validate.fail(("body",), "form must be UTF-8", "value_error")
    return validate.parse_json_object(raw)
