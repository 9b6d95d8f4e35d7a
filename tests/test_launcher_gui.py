"""The launcher's window for real, under Xvfb: the wizard driven by Tk events, Core started
and healthy, Open UI, Stop; closing with "keep running" and a later launcher attaching.

Screenshots of each screen (ImageMagick's `import`; without it the rest still runs) go to
docs/screenshots/ for the user guide when FACEFORGE_UPDATE_SCREENSHOTS=1, else to a temp folder,
so that test runs do not dirty the checkout.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from faceforge.desktop.ports import pick_free_port
from faceforge.desktop.processes import RUNNING, STOPPED

from faceforge import __version__
from faceforge.client import CoreClient
from tests.support import REPO_ROOT, Client, install_token
from tests.tk_driving import click, pump, type_into, xvfb

tkinter = pytest.importorskip("tkinter", reason="tkinter is not installed (python3-tk)")

SCREENSHOTS = (
    REPO_ROOT / "docs" / "screenshots"
    if os.environ.get("FACEFORGE_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "faceforge-launcher-screenshots"
)


@pytest.fixture(scope="module")
def display():
    executable = shutil.which("Xvfb")
    if executable is None:
        pytest.skip("Xvfb is not installed (Debian package xvfb; .ci/run installs it)")
    with xvfb(executable) as name:
        yield name


@pytest.fixture
def new_window(display, tmp_path):
    """Tk windows on the private display; at the end they are closed, and any Core a failed
    test left running (its pid is in a core.pid under tmp_path) is stopped."""
    windows = []
    callback_errors = []

    def make():
        window = tkinter.Tk(screenName=display, className="FaceForge")
        # An exception in a Tk callback would only be printed: collect it instead.
        window.report_callback_exception = lambda *error: callback_errors.append(error)
        windows.append(window)
        return window

    yield make
    assert callback_errors == []
    for window in windows:
        with contextlib.suppress(tkinter.TclError):  # the launcher may have closed it itself
            window.destroy()
    for pid_file in tmp_path.rglob("core.pid"):
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


@pytest.fixture
def environ(tmp_path):
    """The launcher's view of the environment: its per-user folders inside tmp_path."""
    return {
        "XDG_CONFIG_HOME": str(tmp_path / "user-config"),
        "XDG_DATA_HOME": str(tmp_path / "user-data"),
    }


def screenshot(window, display: str, name: str) -> None:
    importer = shutil.which("import")
    if importer is None:
        return  # ImageMagick missing: no screenshot, the behaviour is still tested
    window.update()
    time.sleep(0.2)
    window.update()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            importer,
            "-display",
            display,
            "-window",
            window.winfo_toplevel().wm_frame(),
            "-strip",
            "-define",
            "png:exclude-chunks=date,time",
            f"png:{SCREENSHOTS / name}.png",
        ],
        check=True,
        timeout=30,
    )


def recording_browser(tmp_path, monkeypatch) -> Path:
    """Point the webbrowser module at a command that writes the URL it is given to a file."""
    record = tmp_path / "opened-url.txt"
    script = tmp_path / "browser.py"
    script.write_text(
        f"import sys, pathlib; pathlib.Path({str(record)!r}).write_text(sys.argv[1])\n"
    )
    monkeypatch.setenv("BROWSER", f"{sys.executable} {script} %s")
    return record


def healthy_main_window(window, launcher):
    main = launcher.screen
    pump(window, lambda: main.controller.status.healthy and main.values["Version"].cget("text"))
    return main


def test_wizard_starts_core_and_the_buttons_work(
    new_window, display, environ, tmp_path, monkeypatch
):
    from faceforge.desktop.app import Launcher

    window = new_window()
    launcher = Launcher(window, None, environ)
    wizard = launcher.screen
    assert wizard.folder.get() == str(Path(environ["XDG_DATA_HOME"]) / "faceforge")
    folder = tmp_path / "My FaceForge"
    type_into(wizard.folder_entry, str(folder))
    assert wizard.folder.get() == str(folder)
    screenshot(window, display, "launcher-wizard-folder")

    click(wizard.next_button)
    assert wizard.title.cget("text") == "How to reach FaceForge"
    type_into(wizard.port_field.entry, "80x")
    click(wizard.next_button)
    assert "must be a number" in wizard.error.cget("text"), "bad input stays on the page"
    click(wizard.port_field.pick_button)
    port = int(wizard.port_field.variable.get())
    screenshot(window, display, "launcher-wizard-port")

    click(wizard.next_button)
    assert wizard.next_button.cget("text") == "Finish"
    screenshot(window, display, "launcher-wizard-storage")
    click(wizard.next_button)

    main = healthy_main_window(window, launcher)
    assert json.loads((folder / "config" / "core.json").read_text())["network"]["core_port"] == port
    launcher_json = Path(environ["XDG_CONFIG_HOME"]) / "faceforge" / "launcher.json"
    assert json.loads(launcher_json.read_text()) == {"home": str(folder)}
    assert CoreClient(f"http://127.0.0.1:{port}").healthy()
    assert main.values["Core"].cget("text") == "Running"
    assert main.values["Version"].cget("text") == __version__
    assert main.values["Address"].cget("text") == f"http://127.0.0.1:{port}/ui/"
    pump(window, lambda: "GET /healthz 200" in main.log_text.get("1.0", "end"))
    screenshot(window, display, "launcher-main")

    record = recording_browser(tmp_path, monkeypatch)
    click(main.open_ui_button)
    url = pump(window, lambda: record.exists() and record.read_text())
    parts = urlsplit(url)
    login = Client("127.0.0.1", port).get(f"{parts.path}?{parts.query}")
    assert (login.status, login.headers["Location"]) == (302, "/ui/")

    click(main.copy_token_button)
    token = install_token(folder)
    assert window.clipboard_get() == token

    before = json.loads((folder / "config" / "core.json").read_text())
    click(main.settings_button)
    dialog = pump(window, lambda: main.settings_dialog)
    new_port = pick_free_port(port + 1)
    type_into(dialog.port_field.entry, str(new_port))
    screenshot(dialog, display, "launcher-settings")
    click(dialog.save_button)
    pump(window, lambda: "Press Restart" in main.notice.cget("text"))
    before["network"]["core_port"] = new_port
    assert json.loads((folder / "config" / "core.json").read_text()) == before

    child = main.supervisor.process
    click(main.stop_button)
    pump(window, lambda: main.values["Core"].cget("text") == "Stopped")
    assert main.controller.status.state == STOPPED
    assert child.wait(10) == 0
    assert not CoreClient(f"http://127.0.0.1:{port}").healthy()

    click(main.change_folder_button)
    again = pump(window, lambda: launcher.screen if launcher.screen is not main else None)
    assert again.folder.get() == str(folder), "the wizard offers the current folder"
    pump(window, lambda: time.sleep(0.6) or True)  # a refresh of the old screen would fail now
    click(again.cancel_button)
    with pytest.raises(tkinter.TclError):
        window.winfo_exists()


def test_closing_can_keep_core_running_and_the_next_launcher_attaches(
    new_window, display, environ, tmp_path
):
    from faceforge.desktop import settings
    from faceforge.desktop.app import Launcher

    folder = tmp_path / "data"
    settings.merge_into_core_json(folder, {"network.core_port": 0})
    first_window = new_window()
    first = Launcher(first_window, str(folder), environ)
    main = healthy_main_window(first_window, first)
    port = main.controller.status.port
    child = main.supervisor.process
    main.close()
    dialog = pump(first_window, lambda: main.close_dialog)
    screenshot(dialog, display, "launcher-close")
    click(dialog.keep_button)
    with pytest.raises(tkinter.TclError):
        first_window.winfo_exists()
    assert child.poll() is None, "Core keeps running without the launcher"

    second_window = new_window()
    second = Launcher(second_window, str(folder), environ)
    attached = healthy_main_window(second_window, second)
    status = attached.controller.status
    assert (status.state, status.port, status.attached) == (RUNNING, port, True)
    assert attached.values["Core"].cget("text") == "Running (started earlier)"
    click(attached.stop_button)
    pump(second_window, lambda: attached.controller.status.state == STOPPED)
    assert child.wait(10) == 0
    attached.close()
