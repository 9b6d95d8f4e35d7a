"""`python faceforge.py desktop`: open the launcher, or say in one line why it cannot.

tkinter is imported here first, so a Python without it (or a session without a display)
gets a sentence instead of a traceback.
"""

import os
import sys


def main(home_argument: str | None = None) -> int:
    try:
        import tkinter
    except ImportError:
        print(
            "faceforge: the launcher needs tkinter (Debian/Ubuntu: sudo apt install python3-tk)",
            file=sys.stderr,
        )
        return 1
    try:
        window = tkinter.Tk(className="FaceForge")
    except tkinter.TclError as error:
        print(f"faceforge: cannot open a window ({error}); is a desktop running?", file=sys.stderr)
        return 1
    from .app import Launcher

    Launcher(window, home_argument, os.environ)
    window.mainloop()
    return 0
