"""docs/architecture.md cannot fall behind the code: every module under faceforge/ and desktop/
has its line in the layout block (a folder's line speaks for its __init__.py)."""

import re
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
ARCHITECTURE = CHECKOUT / "docs" / "architecture.md"
INDENT = 2
ENTRY = re.compile(r"^(?P<indent> *)(?P<name>[^\s#]+)")


def layout_block(text: str) -> list[str]:
    """The lines of the first code block after the "## Layout" heading."""
    after_heading = text.split("\n## Layout\n", 1)[1]
    return after_heading.split("```\n", 2)[1].splitlines()


def documented_paths(lines: list[str]) -> set[str]:
    """Each entry's path from the checkout, its folders read from the indentation:
    `faceforge/` then `  assets/` then `    ingest.py` is `faceforge/assets/ingest.py`."""
    folders: list[str] = []
    paths = set()
    for line in lines:
        entry = ENTRY.match(line)
        if entry is None:  # a comment continued on the next line
            continue
        depth = len(entry["indent"]) // INDENT
        assert len(entry["indent"]) % INDENT == 0 and depth <= len(folders), line
        del folders[depth:]
        path = "".join(folders) + entry["name"]
        paths.add(path)
        if path.endswith("/"):
            folders.append(entry["name"])
    return paths


def modules() -> list[str]:
    """Every module under faceforge/ and desktop/, an __init__.py as its folder."""
    found = []
    for top in ("faceforge", "desktop"):
        for path in sorted((CHECKOUT / top).rglob("*.py")):
            relative = path.relative_to(CHECKOUT).as_posix()
            found.append(relative.removesuffix("__init__.py"))
    return found


def test_the_layout_is_read_as_paths():
    lines = [
        "faceforge.py  # x",
        "faceforge/",
        "  assets/  # y",
        "    ingest.py",
        "  #  z",
        "  db.py",
    ]
    assert documented_paths(lines) == {
        "faceforge.py",
        "faceforge/",
        "faceforge/assets/",
        "faceforge/assets/ingest.py",
        "faceforge/db.py",
    }


def test_every_module_has_its_line_in_the_layout():
    documented = documented_paths(layout_block(ARCHITECTURE.read_text(encoding="utf-8")))
    assert [module for module in modules() if module not in documented] == []
