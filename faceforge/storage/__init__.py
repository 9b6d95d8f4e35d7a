"""Byte storage: `open_storage(config)` builds the providers the config asks for."""

from faceforge.storage.local import LocalStorage


class Storage:
    """The configured providers by name (`fs` always; `s3` when configured)."""

    def __init__(self, providers: dict):
        self.providers = providers

    def describe(self) -> dict:
        return {"providers": sorted(self.providers), "s3_available": "s3" in self.providers}


def open_storage(config) -> Storage:
    return Storage({"fs": LocalStorage(config.home.assets_dir, config.home.tmp_dir)})
