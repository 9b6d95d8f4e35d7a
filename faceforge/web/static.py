"""Serving files that ship with the code (UI shell, API docs page), zip-safe.

The request path is walked one component at a time (`safe_paths.find`, through
`importlib.resources`), so it works inside the zipapp and cannot climb out of its folder.
"""

import mimetypes
from importlib.resources.abc import Traversable

import bottle

from faceforge.safe_paths import find

TEXT_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}


def content_type(name: str) -> str:
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix in TEXT_TYPES:
        return TEXT_TYPES[suffix] + "; charset=utf-8"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def file_response(folder: Traversable, relative_path: str) -> bottle.HTTPResponse:
    return node_response(find(folder, relative_path))


def node_response(node: Traversable) -> bottle.HTTPResponse:
    """One file found by `safe_paths`, whole, typed by its name."""
    return bytes_response(node.read_bytes(), content_type(node.name))


def bytes_response(body: bytes, media_type: str) -> bottle.HTTPResponse:
    return bottle.HTTPResponse(
        body,
        headers={
            "Content-Type": media_type,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )
