"""Form pieces shared by the first-run wizard and the settings dialog, plus the look of both."""

import tkinter as tk
from tkinter import font, ttk

from .ports import pick_free_port, port_is_free

PAD = 12
ERROR_COLOUR = "#b00020"
OK_COLOUR = "#1b7a2e"
MUTED_COLOUR = "#555555"


class FormError(Exception):
    """A value a person typed that cannot be used; the message says what to type instead."""


def apply_style(root: tk.Tk) -> None:
    """One calm, platform-neutral look: the `clam` theme, a larger title font."""
    style = ttk.Style(root)
    if "clam" in style.theme_names():
        style.theme_use("clam")
    base = font.nametofont("TkDefaultFont")
    style.configure("Title.TLabel", font=(base.actual("family"), base.actual("size") + 6, "bold"))
    style.configure("Heading.TLabel", font=(base.actual("family"), base.actual("size") + 1, "bold"))
    style.configure("Muted.TLabel", foreground=MUTED_COLOUR)
    style.configure("Error.TLabel", foreground=ERROR_COLOUR)
    style.configure("Good.TLabel", foreground=OK_COLOUR)
    root.configure(background=style.lookup("TFrame", "background"))


def read_port(text: str, what: str) -> int:
    try:
        port = int(text.strip())
    except ValueError:
        raise FormError(f"{what} must be a number between 1 and 65535") from None
    if not 1 <= port <= 65535:
        raise FormError(f"{what} must be a number between 1 and 65535")
    return port


def hint(parent, text: str, row: int, column: int = 0, columnspan: int = 3) -> ttk.Label:
    label = ttk.Label(parent, text=text, style="Muted.TLabel", wraplength=460, justify="left")
    label.grid(row=row, column=column, columnspan=columnspan, sticky="w", pady=(2, PAD))
    return label


def field_line(parent, row: int, label: str) -> ttk.Frame:
    """A row of its own for a label and its inputs, so long texts above do not stretch it."""
    line = ttk.Frame(parent)
    line.grid(row=row, column=0, columnspan=3, sticky="w")
    ttk.Label(line, text=label).grid(row=0, column=0, sticky="w", padx=(0, PAD))
    return line


class PortField:
    """ "Core port" with a "Pick a free one" button. `own_port` (the port already configured)
    counts as free even while FaceForge itself holds it."""

    def __init__(self, parent, row: int, port: int, own_port: int | None = None):
        self.own_port = own_port
        self.variable = tk.StringVar(parent, str(port or pick_free_port()))
        line = field_line(parent, row, "Port")
        self.entry = ttk.Entry(line, textvariable=self.variable, width=8)
        self.entry.grid(row=0, column=1, sticky="w")
        self.pick_button = ttk.Button(line, text="Pick a free one", command=self.pick)
        self.pick_button.grid(row=0, column=2, sticky="w", padx=(PAD, 0))
        hint(
            parent,
            "The web UI and the API answer on this port of this computer only"
            " (http://127.0.0.1:PORT). 8787 is the usual one.",
            row + 1,
        )

    def pick(self) -> None:
        self.variable.set(str(pick_free_port(read_port_or_default(self.variable.get()))))

    def value(self) -> int:
        port = read_port(self.variable.get(), "The port")
        if port != self.own_port and not port_is_free(port):
            raise FormError(f"Port {port} is in use by another program; pick a free one")
        return port


def read_port_or_default(text: str) -> int:
    try:
        return read_port(text, "port")
    except FormError:
        return 8787


class S3Fields:
    """The managed SeaweedFS: on/off and its S3 port."""

    def __init__(self, parent, row: int, enabled: bool, port: int):
        self.enabled = tk.BooleanVar(parent, enabled)
        self.port = tk.StringVar(parent, str(port))
        self.checkbox = ttk.Checkbutton(
            parent,
            text="Keep files in a local S3 server (SeaweedFS)",
            variable=self.enabled,
            command=self.update_port_state,
        )
        self.checkbox.grid(row=row, column=0, columnspan=3, sticky="w")
        hint(
            parent,
            "Leave this off unless you want S3: files are then kept as plain files inside the"
            " data folder. When on, FaceForge starts SeaweedFS itself and stores new files"
            " in it (SeaweedFS must be installed: see the user guide).",
            row + 1,
        )
        line = field_line(parent, row + 2, "S3 port")
        self.port_entry = ttk.Entry(line, textvariable=self.port, width=8)
        self.port_entry.grid(row=0, column=1, sticky="w")
        self.update_port_state()

    def update_port_state(self) -> None:
        self.port_entry.state(["!disabled"] if self.enabled.get() else ["disabled"])

    def values(self) -> tuple[bool, int]:
        return self.enabled.get(), read_port(self.port.get(), "The S3 port")
