"""The first-run wizard: data folder, port, S3 on or off; three pages, then the main window."""

import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from tkinter import filedialog, ttk

from faceforge.config import ConfigError

from .forms import PAD, FormError, PortField, S3Fields, hint
from .settings import LauncherChoices, is_set_up


def folder_problem(folder: Path) -> str | None:
    """Why `folder` cannot hold FaceForge's data, or None."""
    if folder.exists() and not folder.is_dir():
        return f"{folder} is a file, not a folder"
    existing = next((parent for parent in (folder, *folder.parents) if parent.exists()), None)
    if existing is None or not existing.is_dir():
        return f"{folder} cannot be created here"
    return None


class Wizard(ttk.Frame):
    """Calls `on_finish(folder, choices)`; an exception it raises is shown on the last page."""

    TITLES = ("Welcome to FaceForge", "How to reach FaceForge", "Where to keep files")

    def __init__(
        self,
        master,
        suggested_folder: Path,
        choices_for: Callable[[Path], LauncherChoices],
        on_finish: Callable[[Path, LauncherChoices], None],
        on_cancel: Callable[[], None],
    ):
        super().__init__(master, padding=PAD * 2)
        self.choices_for = choices_for
        self.on_finish = on_finish
        self.page_number = 0
        self.title = ttk.Label(self, style="Title.TLabel")
        self.title.grid(row=0, column=0, sticky="w", pady=(0, PAD))
        self.pages = [self.folder_page(suggested_folder), ttk.Frame(self), ttk.Frame(self)]
        self.error = ttk.Label(self, style="Error.TLabel", wraplength=480)
        self.error.grid(row=2, column=0, sticky="w", pady=(PAD, 0))
        buttons = ttk.Frame(self)
        buttons.grid(row=3, column=0, sticky="e", pady=(PAD, 0))
        self.cancel_button = ttk.Button(buttons, text="Cancel", command=on_cancel)
        self.back_button = ttk.Button(buttons, text="< Back", command=self.back)
        self.next_button = ttk.Button(buttons, text="Next >", command=self.next)
        for column, button in enumerate((self.cancel_button, self.back_button, self.next_button)):
            button.grid(row=0, column=column, padx=(PAD // 2, 0))
        self.columnconfigure(0, weight=1)
        self.rowconfigure(1, weight=1)
        self.show_page(0)

    def folder_page(self, suggested_folder: Path) -> ttk.Frame:
        page = ttk.Frame(self)
        ttk.Label(
            page,
            text="FaceForge keeps your people, characters and their files in one folder on"
            " this computer. Choose where that folder should be.",
            wraplength=480,
            justify="left",
        ).grid(row=0, column=0, columnspan=3, sticky="w", pady=(0, PAD))
        ttk.Label(page, text="Data folder").grid(row=1, column=0, sticky="w", padx=(0, PAD))
        self.folder = tk.StringVar(self, str(suggested_folder))
        self.folder_entry = ttk.Entry(page, textvariable=self.folder, width=48)
        self.folder_entry.grid(row=1, column=1, sticky="we")
        self.browse_button = ttk.Button(page, text="Browse…", command=self.browse)
        self.browse_button.grid(row=1, column=2, padx=(PAD, 0))
        hint(
            page,
            "An empty folder, or one FaceForge used before (its data is kept). Back it up"
            " like any other folder of documents.",
            2,
        )
        page.columnconfigure(1, weight=1)
        return page

    def build_choice_pages(self, choices: LauncherChoices) -> None:
        """Pages 2 and 3, filled from the chosen folder's settings (or the defaults)."""
        for page in self.pages[1:]:
            for child in page.winfo_children():
                child.destroy()
        network, storage = self.pages[1:]
        ttk.Label(
            network,
            text="Your browser talks to FaceForge through a port on this computer.",
            wraplength=480,
        ).grid(row=0, column=0, columnspan=3, sticky="w", pady=(0, PAD))
        own_port = choices.core_port if is_set_up(self.chosen_folder()) else None
        self.port_field = PortField(network, 1, choices.core_port, own_port)
        self.s3_fields = S3Fields(storage, 0, choices.s3_enabled, choices.s3_port)

    def chosen_folder(self) -> Path:
        text = self.folder.get().strip()
        if not text:
            raise FormError("Choose a data folder")
        folder = Path(text).expanduser()
        if not folder.is_absolute():
            raise FormError("Type the folder's full path, or use Browse…")
        problem = folder_problem(folder.resolve())
        if problem:
            raise FormError(problem)
        return folder.resolve()

    def browse(self) -> None:
        chosen = filedialog.askdirectory(
            parent=self, initialdir=self.folder.get(), title="FaceForge data folder"
        )
        if chosen:
            self.folder.set(chosen)

    def show_page(self, number: int) -> None:
        self.pages[self.page_number].grid_forget()
        self.page_number = number
        self.pages[number].grid(row=1, column=0, sticky="nsew")
        self.title.configure(text=self.TITLES[number])
        self.error.configure(text="")
        self.back_button.state(["!disabled"] if number else ["disabled"])
        last = number == len(self.pages) - 1
        self.next_button.configure(text="Finish" if last else "Next >")

    def back(self) -> None:
        self.show_page(self.page_number - 1)

    def next(self) -> None:
        try:
            if self.page_number == 0:
                self.build_choice_pages(self.choices_for(self.chosen_folder()))
            elif self.page_number == 1:
                self.port_field.value()
            else:
                self.finish()
                return
        except (FormError, ConfigError, OSError) as error:
            self.error.configure(text=str(error))
            return
        self.show_page(self.page_number + 1)

    def finish(self) -> None:
        s3_enabled, s3_port = self.s3_fields.values()
        choices = LauncherChoices(self.port_field.value(), s3_enabled, s3_port)
        self.on_finish(self.chosen_folder(), choices)
