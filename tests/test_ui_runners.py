"""The Plugins page shows a supervised runner (API.md §12) in a real browser: its state, the
tail of its log, and Restart."""

from tests.test_runners import IDLE_RUNNER, install_runner, runner_state
from tests.ui_support import expect


def test_the_plugins_page_shows_the_runner_its_log_and_restarts_it(ui):
    install_runner(ui.server.home, "idle", IDLE_RUNNER)
    assert ui.server.client.post("/v1/plugins/idle/enable").status == 200
    first = runner_state(ui.server, "idle", "running")
    page = ui.visit("#/plugins", "Plugins")
    runner = page.get_by_role("region", name="Runner of Plugin idle")
    expect(runner).to_contain_text("running")
    expect(runner).to_contain_text(str(first["pid"]))
    expect(runner.get_by_label("Log of Plugin idle")).to_contain_text("idle runner up")
    runner.get_by_role("button", name="Restart Plugin idle").click()
    ui.notice("Plugin idle restarted.")
    second = runner_state(ui.server, "idle", "running")
    assert second["pid"] != first["pid"]
