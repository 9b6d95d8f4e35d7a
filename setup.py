"""Which packages ship: every package found under `faceforge/`, plus the three top-level folders
the layout keeps beside it (`schema/`, `static/`, `desktop/`), which install as
`faceforge.schema`, `faceforge.static` and `faceforge.desktop`. pyproject.toml cannot combine
a package search with such a mapping, so this is the one place that says it."""

from setuptools import find_packages, setup

TOP_LEVEL_FOLDERS = ("schema", "static", "desktop")

setup(
    packages=[
        *find_packages(include=["faceforge", "faceforge.*"]),
        *(f"faceforge.{folder}" for folder in TOP_LEVEL_FOLDERS),
    ],
    package_dir={f"faceforge.{folder}": folder for folder in TOP_LEVEL_FOLDERS},
)
