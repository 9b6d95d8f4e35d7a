"""Serving files that ship with the code (UI shell, API docs page), zip-safe.

The request path is walked one component at a time through `importlib.resources`, so it works
inside the zipapp and cannot climb out of its folder with `..`.
"""

import mimetypes
from importlib.resources.abc import Traversable

import bottle

from faceforge.errors import NotFound

TEXT_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}


def find(folder: Traversable, relative_path: str) -> Traversable:
    node = folder
    for part in relative_path.split("/"):
        if part in ("", ".", "..") or "\\" in part or part.startswith("."):
            raise NotFound("Not found")
        node = node / part
    if not node.is_file():
        raise NotFound("Not found")
    return node


def content_type(name: str) -> str:
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix in TEXT_TYPES:
        return TEXT_TYPES[suffix] + "; charset=utf-8"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def file_response(folder: Traversable, relative_path: str) -> bottle.HTTPResponse:
    node = find(folder, relative_path)
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
