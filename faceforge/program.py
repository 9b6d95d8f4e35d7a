"""How this very program is started: the command line the launcher runs Core with, and the
one the web UI shows for command-line steps (restore), so that both work from a checkout, an
installed package and the zipapp alike."""

import sys
import zipfile
from pathlib import Path

import faceforge


def entry() -> list[str]:
    """What follows the interpreter: the .pyz inside a zipapp, faceforge.py in a checkout,
    `-m faceforge` for an installed package."""
    container = Path(faceforge.__file__).resolve().parent.parent
    if container.is_file() and zipfile.is_zipfile(container):
        return [str(container)]
    script = container / "faceforge.py"
    if script.is_file():
        return [str(script)]
    return ["-m", "faceforge"]


def interpreter_flags() -> list[str]:
    """The flags this interpreter was started with that a command must keep: `python -I -S
    faceforge.pyz desktop` (nothing from site-packages) starts `python -I -S faceforge.pyz
    serve`."""
    return (["-I"] if sys.flags.isolated else []) + (["-S"] if sys.flags.no_site else [])


def command() -> list[str]:
    """The start of any command line of this program (add `serve`, `restore ...`)."""
    return [sys.executable, *interpreter_flags(), *entry()]
