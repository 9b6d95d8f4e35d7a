"""The filesystem provider: `files/<aa>/<sha256>` under `<home>/assets`."""

from pathlib import Path


class LocalStorage:
    name = "fs"

    def __init__(self, root: Path, tmp_dir: Path):
        self.root = root
        self.tmp_dir = tmp_dir

    def key_for(self, sha256: str) -> str:
        return f"files/{sha256[:2]}/{sha256}"
