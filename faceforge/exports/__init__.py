"""The readable export (API.md §11, docs/export.md): portable names (`names.py`), the
`system.export` job that writes the tree (`writer.py`) and `import-export`, which reads it
back into an empty home (`reader.py`)."""
