"""Resumable uploads (tus 1.0.0): the store of unfinished uploads under FACEFORGE_HOME/uploads/
(`store.py`), the protocol's header formats (`tus.py`), and turning a complete upload into an
asset through the ordinary ingest path (`finish.py`). The HTTP side is `web/uploads.py`."""
