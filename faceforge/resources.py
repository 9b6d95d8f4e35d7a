"""Files that ship with the code (schema/, static/, desktop/, openapi.json), zip-safe.

From a checkout and inside the zipapp, `schema/` and `static/` sit beside the `faceforge`
package; in an installed wheel they are the subpackages `faceforge.schema` and
`faceforge.static`. Both are reached through `importlib.resources`, so nothing assumes a real
folder on disk. The launcher's code, `desktop/`, is imported as `faceforge.desktop` everywhere:
a wheel and an editable install map it there, the zipapp stages it there, and a bare checkout
attaches it under that name (`attach_desktop`).
"""

import importlib.util
import sys
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


def attach_desktop() -> None:
    """Make `faceforge.desktop` importable in a bare checkout (nothing pip-installed), where
    desktop/ is only a folder beside the package."""
    if importlib.util.find_spec("faceforge.desktop") is not None:
        return
    folder = shipped_folder("desktop")
    spec = importlib.util.spec_from_file_location(
        "faceforge.desktop", folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
