"""`python faceforge.py zipapp`: one file that runs anywhere Python 3.11+ is; and
`python faceforge.py release`: that file as `dist/faceforge-<version>.pyz` plus `SHA256SUMS`.

The archive holds bottle and waitress (copied from the interpreter that builds it, so no
network is needed), the `faceforge` package, `schema/` and `static/`. Inside the zip these sit
side by side exactly as in a checkout, so `resources.py` finds them the same way; the launcher
(`desktop/`) goes inside the package as `faceforge.desktop`, the name it is imported by.
boto3 is not bundled: S3 users install it on the host.

The version has one home, `faceforge.__version__`; the release refuses to build while
openapi.json claims another.
"""

import hashlib
import json
import shutil
import tempfile
import zipapp
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import bottle
import waitress

from faceforge import __version__
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
    copy_tree(shipped.shipped_folder("desktop"), staging / "faceforge" / "desktop")
    for name in ("schema", "static"):
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


class ReleaseError(Exception):
    """The release cannot be built as asked; the message says why."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def write_sums(dist: Path) -> Path:
    """SHA256SUMS over every release archive in `dist`, in `sha256sum -c` format."""
    lines = [
        f"{file_sha256(archive)}  {archive.name}\n"
        for archive in sorted(dist.glob("faceforge-*.pyz"))
    ]
    sums = dist / "SHA256SUMS"
    temp_path = sums.with_name("SHA256SUMS.tmp")
    temp_path.write_text("".join(lines), encoding="utf-8")
    temp_path.replace(sums)
    return sums


def release(dist: Path) -> tuple[Path, Path]:
    """Build `dist/faceforge-<version>.pyz` and (re)write `dist/SHA256SUMS`."""
    documented = json.loads(shipped.read_text("openapi.json"))["info"]["version"]
    if documented != __version__:
        raise ReleaseError(
            f"openapi.json says version {documented} but faceforge/__init__.py says"
            f" {__version__}; make them equal before releasing"
        )
    archive = build_zipapp(dist / f"faceforge-{__version__}.pyz")
    return archive, write_sums(archive.parent)
