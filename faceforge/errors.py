"""The API's error family. Domain code raises these; the web layer renders them (one place).

No bottle import here: a status and a code are class attributes, like Waitress's own errors.
"""


class ApiError(Exception):
    status = 400
    code = "client_error"

    def __init__(self, message: str, details=None):
        super().__init__(message)
        self.message = message
        self.details = details


def problem(loc: tuple | list, msg: str, type_: str = "value_error") -> dict:
    """One entry of a 422's `details` (API.md §1): where the value is (`("body", "tags", 0)`),
    what is wrong with it, and the kind of problem. The only builder of that shape."""
    return {"loc": list(loc), "msg": msg, "type": type_}


class ValidationError(ApiError):
    """422; `details` is a list of `problem()`s. Raised through `ValidationError.many`, or
    `validate.fail` for one problem, so every 422 has the same shape."""

    status = 422
    code = "validation_error"

    @classmethod
    def many(cls, problems: list[dict], message: str | None = None) -> "ValidationError":
        """The error for `problems`. Unless a `message` is given, one problem's message names
        its field (a person reading only the message can act on it) and several get the
        general `Request validation failed`."""
        if message is None and len(problems) == 1:
            loc, msg = problems[0]["loc"], problems[0]["msg"]
            message = f"{'.'.join(str(part) for part in loc[1:]) or loc[0]}: {msg}"
        return cls(message or "Request validation failed", problems)


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"

    @classmethod
    def over_limit(cls, what: str, limit: int) -> "PayloadTooLarge":
        """The one wording of a size refusal: `File is larger than the limit of N bytes`."""
        return cls(f"{what} is larger than the limit of {limit} bytes")


class RangeNotSatisfiable(ApiError):
    """416; API.md §1 gives it no code of its own."""

    status = 416
