"""Rules for code that must also work on Windows, which these tests cannot run there: they
read the source."""

import ast
import re
from pathlib import Path

import faceforge

CHECKOUT = Path(faceforge.__file__).parent.parent
STARTING = {"Popen", "run", "call", "check_call", "check_output"}
# Calls that never run on Windows, each with the reason.
EXEMPT = {"desktop/window.py": "opens a folder with open/xdg-open; Windows uses os.startfile"}


def process_starts(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in STARTING
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "subprocess"
    ]


def test_every_child_process_is_started_with_windows_options():
    """A console program started by a process without a console (Core, when the launcher
    started it) gets a console window of its own on Windows, flashing up each time, unless
    CREATE_NO_WINDOW is given: every start passes Popen options (`**processes.WINDOWLESS`,
    `IDLE`, `BELOW_NORMAL`, `OWN_GROUP`, or the launcher's `detached_process_options()`)."""
    sources = [*(CHECKOUT / "faceforge").rglob("*.py"), *(CHECKOUT / "desktop").rglob("*.py")]
    without = [
        f"{path.relative_to(CHECKOUT).as_posix()}:{call.lineno}"
        for path in sources
        if path.relative_to(CHECKOUT).as_posix() not in EXEMPT
        for call in process_starts(path)
        if not any(keyword.arg in (None, "creationflags") for keyword in call.keywords)
    ]
    assert without == []
    assert sum(len(process_starts(path)) for path in sources) >= 8, "the scan finds no starts"


def test_no_module_waits_on_a_pipe_with_select():
    """`select` takes only sockets on Windows; pipes are read by threads (faceforge/pipes.py)."""
    package = Path(faceforge.__file__).parent
    importing = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if re.search(r"^\s*(import|from)\s+(select|selectors)\b", path.read_text("utf-8"), re.M)
    ]
    assert importing == []
