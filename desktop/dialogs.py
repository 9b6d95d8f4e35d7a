"""The launcher's two small windows: "keep running or stop?" on close, and Settings.

Both are plain Toplevels with buttons (not `tkinter.messagebox`), so nothing blocks the main
loop while they are open.
"""

import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from tkinter import ttk

from faceforge.config import Config, ConfigError

from .forms import PAD, FormError, PortField, S3Fields
from .settings import LauncherChoices, changes_for, merge_into_core_json


class Dialog(tk.Toplevel):
    def __init__(self, parent, title: str):
        super().__init__(parent)
        self.title(title)
        self.transient(parent.winfo_toplevel())
        self.resizable(False, False)
        self.body = ttk.Frame(self, padding=PAD * 2)
        self.body.grid(sticky="nsew")
        self.protocol("WM_DELETE_WINDOW", self.destroy)

    def button_row(self, row: int, specs) -> list[ttk.Button]:
        bar = ttk.Frame(self.body)
        bar.grid(row=row, column=0, columnspan=3, sticky="e", pady=(PAD, 0))
        buttons = []
        for column, (text, command) in enumerate(specs):
            button = ttk.Button(bar, text=text, command=command)
            button.grid(row=0, column=column, padx=(PAD // 2, 0))
            buttons.append(button)
        return buttons


class CloseDialog(Dialog):
    """Calls `on_answer(keep_running)`; Cancel (or closing this window) keeps everything."""

    def __init__(self, parent, on_answer: Callable[[bool], None]):
        super().__init__(parent, "Close FaceForge")
        self.on_answer = on_answer
        ttk.Label(
            self.body,
            text="FaceForge is running. Keep it running in the background, so the web UI and"
            " your scripts keep working, or stop it?",
            wraplength=420,
            justify="left",
        ).grid(row=0, column=0, sticky="w")
        self.keep_button, self.stop_button, self.cancel_button = self.button_row(
            1,
            (
                ("Keep running", lambda: self.answer(True)),
                ("Stop FaceForge", lambda: self.answer(False)),
                ("Cancel", self.destroy),
            ),
        )

    def answer(self, keep_running: bool) -> None:
        self.destroy()
        self.on_answer(keep_running)


class SettingsDialog(Dialog):
    """Port and S3 of the data folder's core.json; saving merges only what changed."""

    def __init__(self, parent, root_path: Path, current: Config, on_saved: Callable[[bool], None]):
        super().__init__(parent, "FaceForge settings")
        self.root_path = root_path
        self.current = current
        self.on_saved = on_saved
        choices = LauncherChoices.of(current)
        ttk.Label(self.body, text=f"Data folder: {root_path}", wraplength=480).grid(
            row=0, column=0, columnspan=3, sticky="w", pady=(0, PAD)
        )
        self.port_field = PortField(self.body, 1, choices.core_port, own_port=choices.core_port)
        self.s3_fields = S3Fields(self.body, 3, choices.s3_enabled, choices.s3_port)
        ttk.Label(
            self.body,
            text=f"Every other setting is in {root_path / 'config' / 'core.json'}; see"
            " docs/configuration.md. Keys you set there by hand are kept.",
            style="Muted.TLabel",
            wraplength=480,
            justify="left",
        ).grid(row=6, column=0, columnspan=3, sticky="w", pady=(PAD, 0))
        self.error = ttk.Label(self.body, style="Error.TLabel", wraplength=480)
        self.error.grid(row=7, column=0, columnspan=3, sticky="w")
        self.save_button, self.cancel_button = self.button_row(
            8, (("Save", self.save), ("Cancel", self.destroy))
        )

    def save(self) -> None:
        try:
            s3_enabled, s3_port = self.s3_fields.values()
            choices = LauncherChoices(self.port_field.value(), s3_enabled, s3_port)
            changes = changes_for(choices, self.current)
            if changes:
                merge_into_core_json(self.root_path, changes)
        except (FormError, ConfigError, OSError) as error:
            self.error.configure(text=str(error))
            return
        self.destroy()
        self.on_saved(bool(changes))
