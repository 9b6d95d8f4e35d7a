"""`python faceforge.py zipapp`: one file that runs anywhere Python 3.11+ is.

The archive holds bottle and waitress (copied from the interpreter that builds it, so no
network is needed), the `faceforge` package, `schema/`, `static/` and `desktop/`. Inside the
zip these sit side by side exactly as in a checkout, so `resources.py` finds them the same way.
boto3 is not bundled: S3 users install it on the host.
"""

import shutil
import tempfile
import zipapp
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import bottle
import waitress

from faceforge import resources as shipped

SKIPPED_NAMES = ("__pycache__", ".pytest_cache")


def copy_tree(source: Traversable, target: Path) -> None:
    """Copy a (possibly zipped) folder, leaving caches behind."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.name in SKIPPED_NAMES or entry.name.endswith(".pyc"):
            continue
        if entry.is_dir():
            copy_tree(entry, target / entry.name)
        else:
            (target / entry.name).write_bytes(entry.read_bytes())


def stage(staging: Path) -> None:
    shutil.copy2(bottle.__file__, staging / "bottle.py")
    copy_tree(resources.files(waitress), staging / "waitress")
    copy_tree(shipped.PACKAGE, staging / "faceforge")
    for name in ("schema", "static", "desktop"):
        folder = shipped.shipped_folder(name)
        if folder.is_dir():
            copy_tree(folder, staging / name)


def build_zipapp(output: Path) -> Path:
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="faceforge-zipapp-") as temp_dir:
        staging = Path(temp_dir)
        stage(staging)
        temp_output = output.with_name(output.name + ".tmp")
        zipapp.create_archive(
            staging,
            temp_output,
            interpreter="/usr/bin/env python3",
            main="faceforge.cli:main",
            compressed=True,
        )
        temp_output.replace(output)
    return output
