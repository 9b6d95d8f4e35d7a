"""The one-file build carries the app, its data and its two dependencies. (That it runs where
neither dependency is installed is tested in test_release.py.)"""

import zipfile

import pytest

from tests.support import run_cli


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
