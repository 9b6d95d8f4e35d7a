"""Fixtures: a temp FACEFORGE_HOME and a real server on 127.0.0.1:0 serving it."""

import os
import shutil

import pytest

from tests.support import LiveServer

pytest_plugins = ["tests.ui_support"]  # the browser fixtures of the UI tests


def pytest_sessionfinish(session, exitstatus):
    """In CI (`CI=true`, as CI runs .ci/run) a skipped test fails the run: .ci/run installs
    every tool the tests use, so a skip there means an install step is missing."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") == "true" and skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(
            f"CI: {len(skipped)} test(s) skipped; .ci/run must install what they need"
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def start_server(tmp_path):
    """Start servers on demand (optionally with an existing home); all stopped at teardown."""
    started = []

    def start(home=None, environ=None) -> LiveServer:
        live = LiveServer(home or tmp_path / f"home{len(started)}", environ)
        started.append(live)
        return live

    yield start
    for live in reversed(started):
        live.close()


@pytest.fixture
def server(start_server) -> LiveServer:
    return start_server()


@pytest.fixture
def client(server):
    return server.client


def require_tool(name: str) -> str:
    """The path of an external tool, or skip the test saying which tool is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it)")
    return path
