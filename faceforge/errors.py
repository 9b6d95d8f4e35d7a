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


class ValidationError(ApiError):
    """422; `details` is a list of {"loc", "msg", "type"} as in API.md §1."""

    status = 422
    code = "validation_error"

    @classmethod
    def field(cls, loc: tuple | list, msg: str, type_: str = "value_error") -> "ValidationError":
        """One problem with one field: `ValidationError.field(("body", "display_name"), ...)`.
        The message names the field, so a person reading only the message can act on it."""
        name = ".".join(str(part) for part in loc[1:]) or str(loc[0])
        return cls(f"{name}: {msg}", [{"loc": list(loc), "msg": msg, "type": type_}])

    @classmethod
    def many(cls, details: list[dict]) -> "ValidationError":
        if len(details) == 1:
            first = details[0]
            return cls.field(first["loc"], first["msg"], first["type"])
        return cls("Request validation failed", details)


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
