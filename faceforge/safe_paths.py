"""A relative path from a request or a manifest, walked inside one folder and never out of it.

The path is walked one component at a time (through `importlib.resources` for the files that
ship with the code, so it works inside the zipapp): an empty, `.`, `..` or hidden component, a
backslash or a NUL byte is refused. A folder on disk (a plugin's, which its author fills) may
also hold symlinks, so `find_inside` resolves the result and refuses one that lands outside.
"""

from importlib.resources.abc import Traversable
from pathlib import Path

from faceforge.errors import NotFound


def find(folder: Traversable, relative_path: str) -> Traversable:
    """The file at `relative_path` below `folder`; 404 for a refused path or no such file."""
    node = folder
    for part in relative_path.split("/"):
        if part in ("", ".", "..") or "\\" in part or "\x00" in part or part.startswith("."):
            raise NotFound("Not found")
        node = node / part
    if not node.is_file():
        raise NotFound("Not found")
    return node


def find_inside(folder: Path, relative_path: str) -> Path:
    """`find`, then the real path (symlinks followed) must still be inside the real `folder`:
    a link to /etc/passwd, or a Windows drive letter that restarts the path, is 404."""
    node = find(folder, relative_path)
    if not node.resolve().is_relative_to(folder.resolve()):
        raise NotFound("Not found")
    return node
