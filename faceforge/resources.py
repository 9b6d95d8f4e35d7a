"""Files that ship with the code (schema/, static/, openapi.json), zip-safe.

From a checkout and inside the zipapp, `schema/` and `static/` sit beside the `faceforge`
package; in an installed wheel they are the subpackages `faceforge.schema` and
`faceforge.static`. Both are reached through `importlib.resources`, so nothing assumes a real
folder on disk.
"""

from importlib import resources
from importlib.resources.abc import Traversable

PACKAGE = resources.files("faceforge")


def shipped_folder(name: str) -> Traversable:
    inside = PACKAGE / name
    if inside.is_dir():
        return inside
    return PACKAGE.parent / name if hasattr(PACKAGE, "parent") else inside


def schema_folder() -> Traversable:
    return shipped_folder("schema")


def static_folder() -> Traversable:
    return shipped_folder("static")


def read_text(name: str) -> str:
    return (PACKAGE / name).read_text(encoding="utf-8")
