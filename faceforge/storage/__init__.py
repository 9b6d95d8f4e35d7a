"""Byte storage: the configured providers and the routing between them (API.md §5.4).

`fs` always exists. `s3` exists when `storage.s3.enabled`; its module (and boto3) is imported
only then. Routing: `kind_map` wins, then `s3_min_size_bytes`, then `default_provider`; when S3
is chosen but unavailable the bytes go to the filesystem and a warning is logged.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from faceforge.storage.errors import StorageUnavailable
from faceforge.storage.local import LocalStorage

log = logging.getLogger("faceforge.storage")


class KeyLocks:
    """One lock per content hash, so that storing, restoring and purging the same bytes never
    interleave (two uploads of one file, or an upload racing a purge)."""

    def __init__(self):
        self._guard = threading.Lock()
        self._held: dict[str, list] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            entry = self._held.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._held[key]


class Storage:
    """The providers by name, the routing rules, and the per-hash locks."""

    def __init__(self, providers: dict, routing: dict):
        self.providers = providers
        self.routing = routing
        self.locks = KeyLocks()

    def provider(self, name: str):
        """The provider a row names; 503 when it is not configured (S3 switched off)."""
        try:
            return self.providers[name]
        except KeyError:
            raise StorageUnavailable(
                f"storage provider {name!r} is not configured; enable it in core.json"
            ) from None

    def wanted(self, kind: str, byte_size: int) -> str:
        kind_map = self.routing["kind_map"]
        if kind in kind_map:
            return kind_map[kind]
        threshold = self.routing["s3_min_size_bytes"]
        if threshold is not None and byte_size >= threshold:
            return "s3"
        return self.routing["default_provider"]

    def choose(self, kind: str, byte_size: int):
        """Where new bytes of this kind and size go, falling back to the filesystem."""
        wanted = self.wanted(kind, byte_size)
        if wanted == "fs":
            return self.providers["fs"]
        s3 = self.providers.get("s3")
        reason = "storage.s3.enabled is false" if s3 is None else s3.unavailable_reason()
        if reason is None:
            return s3
        log.warning(
            "S3 was chosen for a %s asset but %s; storing it on the filesystem", kind, reason
        )
        return self.providers["fs"]

    def describe(self) -> dict:
        s3 = self.providers.get("s3")
        return {
            "providers": sorted(self.providers),
            "s3_available": s3 is not None and s3.unavailable_reason() is None,
        }

    def close(self) -> None:
        for provider in self.providers.values():
            close = getattr(provider, "close", None)
            if close:
                close()


def open_storage(config, endpoint_url: str | None = None) -> Storage:
    """The providers `config` asks for. `endpoint_url` overrides an empty
    `storage.s3.endpoint_url` (the managed SeaweedFS)."""
    providers = {"fs": LocalStorage(config.home.assets_dir, config.home.tmp_dir)}
    if config["storage.s3.enabled"]:
        from faceforge.storage.s3 import S3Storage

        providers["s3"] = S3Storage(config.section("storage.s3"), endpoint_url, config.home.tmp_dir)
    return Storage(providers, config.section("storage.routing"))
