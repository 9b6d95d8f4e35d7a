"""The one-file build runs where neither bottle nor waitress is installed."""

import subprocess
import sys
import zipfile

import pytest

from tests.support import Client, ServerProcess, run_cli


@pytest.fixture(scope="module")
def pyz(tmp_path_factory):
    output = tmp_path_factory.mktemp("dist") / "faceforge.pyz"
    completed = run_cli("zipapp", "--output", str(output), home=tmp_path_factory.mktemp("h"))
    assert completed.returncode == 0, completed.stderr
    return output


def test_the_archive_holds_the_app_its_data_and_its_two_dependencies(pyz):
    names = set(zipfile.ZipFile(pyz).namelist())
    for required in (
        "__main__.py",
        "bottle.py",
        "waitress/__init__.py",
        "faceforge/cli.py",
        "faceforge/openapi.json",
        "schema/0001_initial.sql",
        "static/index.html",
    ):
        assert required in names
    assert not any("__pycache__" in name for name in names)


def test_bottle_is_really_absent_without_site_packages():
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", "import bottle"], capture_output=True, text=True
    )
    assert completed.returncode != 0


def test_the_zipapp_serves_without_site_packages(pyz, home):
    process = ServerProcess(
        [sys.executable, "-I", "-S", str(pyz), "--port", "0"], home, cwd=home.parent
    )
    assert process.first_line.startswith("FaceForge listening on"), process.process.stderr.read()
    client = Client("127.0.0.1", process.port)
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/ui/").status == 200
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert process.terminate() == 0
