"""The API document and its offline viewer at /docs and /redoc (no CDN)."""

from faceforge import resources, safe_paths
from faceforge.web import static

VIEWER_FOLDER = "docs_page"


def openapi_document(services):
    return static.file_response(resources.PACKAGE, "openapi.json")


def viewer(mode: str):
    index = safe_paths.find(resources.PACKAGE / VIEWER_FOLDER, "index.html")
    page = index.read_text(encoding="utf-8")
    return static.bytes_response(
        page.replace("{{mode}}", mode).encode("utf-8"), "text/html; charset=utf-8"
    )


def docs_page(services):
    """Endpoint list, parameters, schemas and a try-it form that sends the token."""
    return viewer("try")


def redoc_page(services):
    """The same document as a read-only reference."""
    return viewer("reference")


def docs_asset(services, name):
    return static.file_response(resources.PACKAGE / VIEWER_FOLDER, name)
