"""What storage can fail with, as API errors (404, 503) so a download never answers 500."""

from faceforge.errors import ApiError, NotFound


class MissingBytes(NotFound):
    """A row whose bytes are not in its store; `faceforge check` lists such rows."""


class StorageUnavailable(ApiError):
    """The provider holding the bytes cannot be reached (S3 stopped, refused credentials)."""

    status = 503
    code = "internal_error"
