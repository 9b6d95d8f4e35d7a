"""The launcher's main window: Core's status, Start/Stop/Restart, Open UI, the token, the logs.

Nothing here waits: process work runs on the Controller's thread, HTTP calls on short-lived
threads, and `refresh()` (every half second) moves their results onto the screen.
"""

import os
import queue
import subprocess
import sys
import threading
import tkinter as tk
import webbrowser
from collections.abc import Callable
from pathlib import Path
from tkinter import ttk

from faceforge.client import ClientError, CoreClient, connect_host, http_url
from faceforge.config import ConfigError

from . import settings
from .controller import Controller
from .dialogs import CloseDialog, SettingsDialog
from .forms import PAD
from .logtail import LogTail
from .ports import pick_free_port
from .processes import FAILED, RESTARTING, RUNNING, STARTING, STOPPED, CoreSupervisor, Status

REFRESH_MS = 500
LOG_LINES_KEPT = 2000
STATE_TEXT = {
    STOPPED: ("Stopped", "Muted.TLabel"),
    STARTING: ("Starting…", "TLabel"),
    RESTARTING: ("Crashed, restarting", "Error.TLabel"),
    FAILED: ("Stopped after repeated crashes", "Error.TLabel"),
}


def open_folder(path: Path) -> None:
    """Show a folder in the platform's file manager."""
    if sys.platform == "win32":
        os.startfile(path)
    else:
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        subprocess.Popen([opener, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def state_text(status: Status, max_restarts: int) -> tuple[str, str]:
    if status.state == RUNNING:
        text = "Running" if status.healthy else "Running, but not answering"
        if status.attached:
            text += " (started earlier)"
        return text, "Good.TLabel" if status.healthy else "Error.TLabel"
    text, style = STATE_TEXT[status.state]
    if status.state == RESTARTING:
        seconds = f" in {status.restart_in:.0f} s" if status.restart_in is not None else ""
        text = f"{text}{seconds} (restart {status.restarts} of {max_restarts})"
    return text, style


class MainWindow(ttk.Frame):
    def __init__(self, master, root_path: Path, environ, on_change_folder: Callable[[], None]):
        super().__init__(master, padding=PAD)
        self.root_path = root_path
        self.environ = environ
        self.on_change_folder = on_change_folder
        self.notices: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self.info: dict | None = None
        self.info_port: int | None = None
        self.was_healthy = False
        self.closing = False
        self.close_dialog: CloseDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.settings = None
        self.load_settings()
        self.host = connect_host(
            self.settings["network.bind_host"] if self.settings else "127.0.0.1"
        )
        self.supervisor = CoreSupervisor(root_path, self.host)
        self.controller = Controller(self.supervisor)
        self.build_status()
        self.build_buttons()
        self.build_logs()
        self.columnconfigure(0, weight=1)
        self.rowconfigure(2, weight=1)
        if self.settings:
            self.controller.submit("attach_or_start", self.core_port(), self.token)
        self.refresh_job = self.after(REFRESH_MS, self.refresh)

    def destroy(self) -> None:
        """Leaving this screen (another data folder) also ends its periodic look."""
        self.after_cancel(self.refresh_job)
        super().destroy()

    # settings

    def load_settings(self) -> bool:
        try:
            self.settings = settings.read_settings(self.root_path, self.environ)
        except ConfigError as error:
            self.notices.put(("error", f"{error}. Fix the file, then press Start."))
            return False
        return True

    @property
    def token(self) -> str:
        return self.settings["auth.install_token"] if self.settings else ""

    def core_port(self) -> int:
        return self.settings["network.core_port"] or pick_free_port()

    # layout

    def build_status(self) -> None:
        box = ttk.Frame(self)
        box.grid(row=0, column=0, sticky="we")
        ttk.Label(box, text="FaceForge", style="Title.TLabel").grid(
            row=0, column=0, columnspan=2, sticky="w", pady=(0, PAD)
        )
        self.values: dict[str, ttk.Label] = {}
        rows = ("Core", "message", "Address", "Version", "Data folder", "Storage", "S3")
        for row, name in enumerate(rows, start=1):
            if name != "message":
                ttk.Label(box, text=name, style="Heading.TLabel").grid(
                    row=row, column=0, sticky="nw", padx=(0, PAD)
                )
            value = ttk.Label(box, text="", wraplength=560, justify="left")
            value.grid(row=row, column=1, sticky="w")
            self.values[name] = value
        self.values["Data folder"].configure(text=str(self.root_path))
        self.notice = ttk.Label(box, text="", wraplength=640, justify="left")
        self.notice.grid(row=len(rows) + 1, column=0, columnspan=2, sticky="w", pady=(PAD, 0))

    def build_buttons(self) -> None:
        bar = ttk.Frame(self)
        bar.grid(row=1, column=0, sticky="we", pady=PAD)
        specs = (
            ("start_button", "Start", self.start),
            ("stop_button", "Stop", self.stop),
            ("restart_button", "Restart", self.restart),
            ("open_ui_button", "Open UI", self.open_ui),
            ("copy_token_button", "Copy token", self.copy_token),
            ("settings_button", "Settings…", self.open_settings),
            ("folder_button", "Open data folder", self.open_data_folder),
            ("change_folder_button", "Change data folder…", self.change_folder),
        )
        for column, (attribute, text, command) in enumerate(specs):
            button = ttk.Button(bar, text=text, command=command)
            button.grid(row=0, column=column, padx=(0, PAD // 2))
            setattr(self, attribute, button)

    def build_logs(self) -> None:
        frame = ttk.LabelFrame(self, text="Logs", padding=PAD // 2)
        frame.grid(row=2, column=0, sticky="nsew")
        self.log_choice = tk.StringVar(self, "core.log")
        self.log_menu = ttk.Combobox(
            frame, textvariable=self.log_choice, state="readonly", width=28
        )
        self.log_menu.grid(row=0, column=0, sticky="w", pady=(0, PAD // 2))
        self.log_menu.bind("<<ComboboxSelected>>", lambda _event: self.follow_log())
        self.log_text = tk.Text(frame, height=14, width=90, wrap="none", state="disabled")
        scroll = ttk.Scrollbar(frame, orient="vertical", command=self.log_text.yview)
        self.log_text.configure(yscrollcommand=scroll.set)
        self.log_text.grid(row=1, column=0, sticky="nsew")
        scroll.grid(row=1, column=1, sticky="ns")
        frame.columnconfigure(0, weight=1)
        frame.rowconfigure(1, weight=1)
        self.follow_log()

    # what the buttons do

    def start(self) -> None:
        if self.load_settings():
            self.controller.submit("start", self.core_port())

    def stop(self) -> None:
        self.controller.submit("stop")

    def restart(self) -> None:
        if self.load_settings():
            self.controller.submit("restart", self.core_port())

    def in_background(self, work: Callable[[], str]) -> None:
        """Run `work` on a thread; its returned sentence or its error becomes the notice."""

        def run():
            try:
                self.notices.put(("info", work()))
            except (ClientError, OSError) as error:
                self.notices.put(("error", str(error)))

        threading.Thread(target=run, daemon=True).start()

    def client(self) -> CoreClient:
        return CoreClient(http_url(self.host, self.controller.status.port), self.token)

    def open_ui(self) -> None:
        client = self.client()

        def open_in_browser() -> str:
            url = client.create_login_link()["url"]
            if webbrowser.open(url):
                return "The web UI is opening in your browser."
            return f"No browser found. Open this link within a minute: {url}"

        self.in_background(open_in_browser)

    def copy_token(self) -> None:
        if not self.token:
            self.show_notice("error", "There is no token yet: start FaceForge once.")
            return
        self.clipboard_clear()
        self.clipboard_append(self.token)
        self.show_notice("info", "The API token is on the clipboard. Keep it private.")

    def open_settings(self) -> None:
        if self.load_settings():
            self.settings_dialog = SettingsDialog(
                self, self.root_path, self.settings, self.settings_saved
            )

    def settings_saved(self, changed: bool) -> None:
        self.load_settings()
        if changed and self.controller.status.state in (STARTING, RUNNING):
            self.show_notice("info", "Settings saved. Press Restart to use them.")
        elif changed:
            self.show_notice("info", "Settings saved.")

    def open_data_folder(self) -> None:
        try:
            open_folder(self.root_path)
        except OSError as error:
            self.show_notice(
                "error", f"Cannot open a file manager ({error}); the folder is {self.root_path}"
            )

    def change_folder(self) -> None:
        if self.controller.status.state not in (STOPPED, FAILED):
            self.show_notice("error", "Stop FaceForge before choosing another data folder.")
            return
        self.on_change_folder()

    # the periodic look

    def refresh(self) -> None:
        status = self.controller.status
        if self.closing and status.state in (STOPPED, FAILED):
            self.finish_closing(keep_running=False)
            return
        self.show_status(status)
        while not self.controller.errors.empty():
            self.closing = False  # a stop that failed does not close the window later
            self.show_notice("error", self.controller.errors.get())
        while not self.notices.empty():
            self.show_notice(*self.notices.get())
        self.show_new_log_lines()
        self.refresh_job = self.after(REFRESH_MS, self.refresh)

    def show_status(self, status: Status) -> None:
        text, style = state_text(status, self.supervisor.policy.max_restarts)
        self.values["Core"].configure(text=text, style=style)
        message = self.values["message"]
        message.configure(text=status.message, style="Muted.TLabel")
        if status.message:
            message.grid()
        else:
            message.grid_remove()
        address = f"{http_url(self.host, status.port)}/ui/" if status.port else ""
        self.values["Address"].configure(text=address)
        if status.healthy and not self.was_healthy:
            self.load_settings()  # the first start has just written the token
        self.was_healthy = status.healthy
        if status.healthy and self.info_port != status.port:
            self.info_port = status.port
            self.fetch_info()
        self.show_info(self.info if status.healthy else None)
        running = status.state in (STARTING, RUNNING)
        self.enable(self.start_button, not running)
        self.enable(self.stop_button, running or status.state == RESTARTING)
        self.enable(self.restart_button, running)
        self.enable(self.open_ui_button, status.healthy)
        self.enable(self.change_folder_button, status.state in (STOPPED, FAILED))

    @staticmethod
    def enable(button: ttk.Button, enabled: bool) -> None:
        button.state(["!disabled"] if enabled else ["disabled"])

    def fetch_info(self) -> None:
        client = self.client()

        def fetch() -> str:
            self.info = client.system_info()
            return ""

        self.in_background(fetch)

    def show_info(self, info: dict | None) -> None:
        s3_wanted = bool(self.settings and self.settings["storage.s3.enabled"])
        if info is None:
            self.values["Version"].configure(text="")
            self.values["Storage"].configure(text="")
            self.values["S3"].configure(text="On" if s3_wanted else "Off")
            return
        self.values["Version"].configure(text=info["version"])
        providers = info["storage"]["providers"]
        where = {"fs": "files in the data folder", "s3": "S3"}
        self.values["Storage"].configure(text=", ".join(where.get(p, p) for p in providers))
        if not s3_wanted:
            self.values["S3"].configure(text="Off")
        elif info["storage"]["s3_available"]:
            self.values["S3"].configure(text="On and reachable", style="Good.TLabel")
        else:
            self.values["S3"].configure(
                text="On, but not reachable: new files go to the data folder (see the logs)",
                style="Error.TLabel",
            )

    def show_notice(self, kind: str, text: str) -> None:
        if text:
            self.notice.configure(text=text, style="Error.TLabel" if kind == "error" else "TLabel")

    # logs

    def log_names(self) -> list[str]:
        logs_dir = self.supervisor.console_log.parent
        names = sorted(path.name for path in logs_dir.glob("*.log")) if logs_dir.is_dir() else []
        return ["core.log", *(name for name in names if name != "core.log")]

    def follow_log(self) -> None:
        self.tail = LogTail(self.supervisor.console_log.parent / self.log_choice.get())
        self.log_text.configure(state="normal")
        self.log_text.delete("1.0", "end")
        self.log_text.configure(state="disabled")

    def show_new_log_lines(self) -> None:
        self.log_menu.configure(values=self.log_names())
        lines = self.tail.read_new_lines()
        if not lines:
            return
        at_bottom = self.log_text.yview()[1] >= 0.999
        self.log_text.configure(state="normal")
        self.log_text.insert("end", "\n".join(lines) + "\n")
        surplus = int(self.log_text.index("end-1c").split(".")[0]) - LOG_LINES_KEPT
        if surplus > 0:
            self.log_text.delete("1.0", f"{surplus + 1}.0")
        self.log_text.configure(state="disabled")
        if at_bottom:
            self.log_text.see("end")

    # closing

    def close(self) -> None:
        """The window's close button: ask whether Core keeps running when it runs."""
        if self.controller.status.state in (STARTING, RUNNING, RESTARTING):
            self.close_dialog = CloseDialog(self, self.close_answered)
        else:
            self.finish_closing(keep_running=False)

    def close_answered(self, keep_running: bool) -> None:
        if keep_running:
            self.finish_closing(keep_running=True)
        else:
            self.closing = True
            self.show_notice("info", "Stopping FaceForge…")
            self.controller.submit("stop")

    def finish_closing(self, keep_running: bool) -> None:
        self.controller.close(keep_running)
        self.winfo_toplevel().destroy()
