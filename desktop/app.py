"""The launcher's one window, switched between the first-run wizard and the main window.

A data folder that is set up (it has config/core.json) goes straight to the main window;
otherwise the wizard asks for one. The folder comes from `--home`, then FACEFORGE_HOME, then
the one the launcher remembered in launcher.json.
"""

from collections.abc import Mapping
from pathlib import Path

from faceforge.home import default_root, resolve_root

from . import forms, settings
from .ports import pick_free_port
from .window import MainWindow
from .wizard import Wizard


class Launcher:
    """Switches the one window between the wizard and the main window."""

    def __init__(self, window, home_argument: str | None, environ: Mapping[str, str]):
        self.window = window
        self.environ = environ
        self.state_path = settings.state_path(environ)
        self.screen = None
        forms.apply_style(window)
        window.title("FaceForge")
        window.minsize(760, 520)
        chosen = (
            home_argument
            or environ.get("FACEFORGE_HOME")
            or settings.remembered_home(self.state_path)
        )
        folder = resolve_root(str(chosen), environ) if chosen else default_root(environ)
        if chosen and settings.is_set_up(folder):
            self.show_main(folder)
        else:
            self.show_wizard(folder)

    def replace_screen(self, screen) -> None:
        if self.screen is not None:
            self.screen.destroy()
        self.screen = screen
        screen.grid(row=0, column=0, sticky="nsew")
        self.window.columnconfigure(0, weight=1)
        self.window.rowconfigure(0, weight=1)

    def show_wizard(self, suggested_folder: Path) -> None:
        self.window.protocol("WM_DELETE_WINDOW", self.window.destroy)
        self.replace_screen(
            Wizard(
                self.window,
                suggested_folder,
                self.choices_for,
                self.finish_wizard,
                self.window.destroy,
            )
        )

    def choices_for(self, folder: Path):
        """What the wizard's later pages show for `folder`: its settings, or fresh defaults
        with a free port."""
        choices = settings.LauncherChoices.of(settings.read_settings(folder, self.environ))
        if settings.is_set_up(folder):
            return choices
        return settings.LauncherChoices(pick_free_port(choices.core_port), False, choices.s3_port)

    def finish_wizard(self, folder: Path, choices) -> None:
        current = (
            settings.read_settings(folder, self.environ) if settings.is_set_up(folder) else None
        )
        settings.merge_into_core_json(folder, settings.changes_for(choices, current))
        settings.remember_home(self.state_path, folder)
        self.show_main(folder)

    def show_main(self, folder: Path) -> None:
        main_window = MainWindow(self.window, folder, self.environ, self.change_folder)
        self.window.protocol("WM_DELETE_WINDOW", main_window.close)
        self.replace_screen(main_window)

    def change_folder(self) -> None:
        self.screen.controller.close(keep_running=False)
        self.show_wizard(self.screen.root_path)
