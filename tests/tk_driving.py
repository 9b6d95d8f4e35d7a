"""Driving Tk windows the way a person does, on a private Xvfb display.

Plain functions with no pytest import, so a script running under `python -I -S` (the zipapp
launcher test) can use them as well as the test modules.
"""

import os
import subprocess
import time
from contextlib import contextmanager

KEYSYMS = {"/": "slash", " ": "space", "-": "minus", "_": "underscore", ".": "period"}


@contextmanager
def xvfb(executable: str):
    """A private X display (`:N`): Xvfb picks a free number and reports it through a pipe."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [
            executable,
            "-displayfd",
            str(write_end),
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


def pump(window, until, timeout: float = 30.0):
    """Run the Tk event loop until `until()` is truthy; return what it returned."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        window.update()
        result = until()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout} s")


def click(widget) -> None:
    """A real left click: pointer in, press, release (what a person's mouse sends)."""
    widget.update()
    for event in ("<Enter>", "<ButtonPress-1>", "<ButtonRelease-1>"):
        widget.event_generate(event, x=4, y=4)
    widget.update()


def type_into(entry, text: str) -> None:
    """Select the entry's text and type over it, key by key."""
    entry.focus_force()
    entry.update()
    entry.event_generate("<<SelectAll>>")
    for character in text:
        entry.event_generate("<KeyPress>", keysym=KEYSYMS.get(character, character))
    entry.update()
