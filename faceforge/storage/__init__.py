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
    interleave (two uploads of one file, or an upload racing a purge). A batch of ingests
    holds several at once; it only ever waits for one while it holds none (see ingest_batch.Batch),
    so two batches cannot deadlock."""

    def __init__(self):
        self._guard = threading.Lock()
        self._held: dict[str, list] = {}

    def acquire(self, key: str, blocking: bool = True) -> bool:
        with self._guard:
            entry = self._held.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        if entry[0].acquire(blocking):
            return True
        self._forget(key, entry)
        return False

    def release(self, key: str) -> None:
        with self._guard:
            entry = self._held[key]
        entry[0].release()
        self._forget(key, entry)

    def _forget(self, key: str, entry: list) -> None:
        with self._guard:
            entry[1] -= 1
            if entry[1] == 0:
                del self._held[key]

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        self.acquire(key)
        try:
            yield
        finally:
            self.release(key)


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


def s3_settings(config, seaweed) -> dict:
    """`storage.s3.*`, pointed at the managed SeaweedFS when no endpoint is configured."""
    settings = config.section("storage.s3")
    if seaweed is not None and not settings["endpoint_url"]:
        settings.update(
            endpoint_url=seaweed.endpoint_url,
            access_key=seaweed.access_key,
            secret_key=seaweed.secret_key,
        )
    return settings


def open_storage(config, seaweed=None) -> Storage:
    """The providers `config` asks for; S3 is probed once now (creating the bucket if it is
    missing) so that a problem shows in the log at start."""
    providers = {"fs": LocalStorage(config.home.assets_dir, config.home.tmp_dir)}
    if config["storage.s3.enabled"]:
        from faceforge.storage.s3 import S3Storage

        providers["s3"] = S3Storage(s3_settings(config, seaweed), config.home.tmp_dir)
        reason = providers["s3"].unavailable_reason()
        if reason is not None:
            log.warning("S3 storage is unavailable for now: %s", reason)
    return Storage(providers, config.section("storage.routing"))
