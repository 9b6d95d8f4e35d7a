"""The S3 provider: `<bucket>:assets/<aa>/<sha256>` in any S3-compatible store.

boto3 is imported here and nowhere else, and this module only when `storage.s3.enabled`.
Path-style addressing (SeaweedFS, MinIO and Backblaze all take it); the bucket is created on
first use if missing; large files go up as multipart uploads; downloads are ranged GETs read
in bounded chunks. Whether S3 can be used is a cached, cheap probe (HEAD of the bucket), so
routing can fall back to the filesystem without waiting on a dead endpoint for every upload.
Every failure becomes MissingBytes (404) or StorageUnavailable (503), never a raw error.
"""

import io
import logging
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from faceforge.storage.errors import MissingBytes, StorageUnavailable

log = logging.getLogger("faceforge.storage.s3")

KEY_PATTERN = re.compile(r"([^:]+):(assets/([0-9a-f]{2})/\3[0-9a-f]{62})")
PREFIX = "assets/"
READ_CHUNK_BYTES = 1024 * 1024
# Downloads: ranged GETs of 8 MiB, 4 in flight (like boto3's own transfers, smaller).
PART_BYTES = 8 * 2**20
READ_AHEAD = 4
# A working S3 is asked again after 30 s, a failing one after 5 s.
PROBE_SECONDS = 30
RETRY_PROBE_SECONDS = 5
NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})
REFUSED_CODES = frozenset({"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"})
# Multipart above 64 MiB in 16 MiB parts, 4 at a time: at most 64 MiB of buffers in flight.
TRANSFER = TransferConfig(
    multipart_threshold=64 * 2**20, multipart_chunksize=16 * 2**20, max_concurrency=4
)


def explain(error: Exception, endpoint: str) -> str:
    """A sentence a person can act on, for any boto error."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in REFUSED_CODES:
            return f"S3 at {endpoint} refused the credentials (check storage.s3.access_key)"
        return f"S3 at {endpoint} answered {code or 'an error'}"
    return f"S3 at {endpoint} is unreachable ({type(error).__name__})"


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def make_client(settings: dict, connect_timeout: float, read_timeout: float, max_attempts: int):
    """A path-style S3 client for `storage.s3.*`-shaped settings."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=settings["endpoint_url"] or None,
        aws_access_key_id=settings["access_key"] or None,
        aws_secret_access_key=settings["secret_key"] or None,
        region_name=settings["region"] or None,
        use_ssl=settings["use_ssl"],
        config=BotoConfig(
            s3={"addressing_style": "path"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": max_attempts, "mode": "standard"},
            max_pool_connections=16,
        ),
    )


class RangedReads:
    """A WSGI body over a byte range of one object: consecutive ranged GETs of PART_BYTES,
    up to READ_AHEAD of them in flight on their own threads, handed out in order in 1 MiB
    chunks. However large the range, at most READ_AHEAD + 1 parts are held at once.

    The first GET is sent when the body is made, so that a missing object is a 404 before
    any header goes out; `close()` (called by the server when the response ends or the client
    goes away) stops the reads still queued."""

    def __init__(self, storage: "S3Storage", key: str, start: int, length: int):
        self._storage, self._key = storage, key
        end = start + length
        self._parts = [
            (offset, min(PART_BYTES, end - offset)) for offset in range(start, end, PART_BYTES)
        ]
        self._first = storage.get(key, *self._parts[0])
        self._pool: ThreadPoolExecutor | None = None

    def _read(self, index: int) -> bytes:
        body = self._first if index == 0 else self._storage.get(self._key, *self._parts[index])
        with self._storage.translated(self._key):
            try:
                return body.read()
            finally:
                body.close()

    def __iter__(self) -> Iterator[bytes]:
        self._pool = ThreadPoolExecutor(READ_AHEAD, thread_name_prefix="s3-read")
        ahead = min(READ_AHEAD, len(self._parts))
        pending = deque(self._pool.submit(self._read, index) for index in range(ahead))
        for index in range(len(self._parts)):
            data = pending.popleft().result()
            if index + ahead < len(self._parts):
                pending.append(self._pool.submit(self._read, index + ahead))
            for offset in range(0, len(data), READ_CHUNK_BYTES):
                yield data[offset : offset + READ_CHUNK_BYTES]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._first.close()


class S3Storage:
    name = "s3"

    def __init__(self, settings: dict, tmp_dir: Path):
        self.bucket = settings["bucket"]
        self.endpoint = settings["endpoint_url"] or "AWS"
        self.tmp_dir = tmp_dir
        self.client = make_client(settings, connect_timeout=5, read_timeout=60, max_attempts=3)
        # For the availability probe: fail fast rather than retry.
        self._probe_client = make_client(
            settings, connect_timeout=1, read_timeout=3, max_attempts=1
        )
        self._probe_lock = threading.Lock()
        self._probe_result: tuple[float, str | None] | None = None

    def key_for(self, sha256: str) -> str:
        return f"{self.bucket}:{PREFIX}{sha256[:2]}/{sha256}"

    def split(self, key: str) -> tuple[str, str]:
        match = KEY_PATTERN.fullmatch(key)
        if match is None:
            raise MissingBytes(f"storage key {key!r} is not an S3 key")
        return match.group(1), match.group(2)

    def _probe(self) -> str | None:
        try:
            self._probe_client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            if error_code(error) not in NOT_FOUND_CODES:
                return explain(error, self.endpoint)
            try:
                self._probe_client.create_bucket(Bucket=self.bucket)
                log.info("created S3 bucket %s at %s", self.bucket, self.endpoint)
            except (ClientError, BotoCoreError) as create_error:
                return explain(create_error, self.endpoint)
        except BotoCoreError as error:
            return explain(error, self.endpoint)
        return None

    def unavailable_reason(self) -> str | None:
        """None when S3 works; else why not. The answer is kept for a while (see above)."""
        with self._probe_lock:
            now = time.monotonic()
            if self._probe_result is not None:
                checked_at, reason = self._probe_result
                if now - checked_at < (PROBE_SECONDS if reason is None else RETRY_PROBE_SECONDS):
                    return reason
            self._probe_result = (now, self._probe())
            return self._probe_result[1]

    def forget_probe(self) -> None:
        with self._probe_lock:
            self._probe_result = None

    def _failed(self, error: Exception) -> StorageUnavailable:
        self.forget_probe()
        return StorageUnavailable(explain(error, self.endpoint))

    @contextmanager
    def translated(self, missing_key: str | None = None) -> Iterator[None]:
        """boto errors as ours: MissingBytes for a missing object (when `missing_key` names
        what was asked for), StorageUnavailable for anything else."""
        try:
            yield
        except ClientError as error:
            if missing_key is not None and error_code(error) in NOT_FOUND_CODES:
                raise MissingBytes(
                    f"the bytes of {missing_key} are missing from S3 at {self.endpoint}"
                ) from None
            raise self._failed(error) from None
        except (BotoCoreError, OSError) as error:
            raise self._failed(error) from None

    def put(self, temp_path: Path, key: str) -> None:
        bucket, object_key = self.split(key)
        with self.translated():
            self.client.upload_file(str(temp_path), bucket, object_key, Config=TRANSFER)
        temp_path.unlink()

    def put_bytes(self, data: bytes, key: str) -> None:
        """Upload bytes held in memory (a small file of a bulk import) straight from there."""
        bucket, object_key = self.split(key)
        with self.translated():
            self.client.upload_fileobj(io.BytesIO(data), bucket, object_key, Config=TRANSFER)

    def sync(self, keys: list[str]) -> None:
        """Nothing to do: an object is durable once its upload has returned."""

    def _head(self, key: str) -> dict | None:
        bucket, object_key = self.split(key)
        try:
            return self.client.head_object(Bucket=bucket, Key=object_key)
        except ClientError as error:
            if error_code(error) in NOT_FOUND_CODES:
                return None
            raise self._failed(error) from None
        except BotoCoreError as error:
            raise self._failed(error) from None

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def require(self, key: str) -> None:
        if not self.exists(key):
            raise MissingBytes(f"the bytes of {key} are missing from S3 at {self.endpoint}")

    def size(self, key: str) -> int | None:
        head = self._head(key)
        return None if head is None else head["ContentLength"]

    def delete(self, key: str) -> None:
        bucket, object_key = self.split(key)
        with self.translated():
            self.client.delete_object(Bucket=bucket, Key=object_key)

    def get(self, key: str, start: int, length: int):
        """The streaming body of one ranged GET."""
        bucket, object_key = self.split(key)
        with self.translated(key):
            reply = self.client.get_object(
                Bucket=bucket, Key=object_key, Range=f"bytes={start}-{start + length - 1}"
            )
        return reply["Body"]

    def body(self, key: str, start: int, length: int) -> RangedReads:
        return RangedReads(self, key, start, length)

    def read_range(self, key: str, start: int, length: int) -> Iterator[bytes]:
        reads = RangedReads(self, key, start, length)
        try:
            yield from reads
        finally:
            reads.close()

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """A temporary local copy under tmp/ (ExifTool needs a file), removed afterwards."""
        bucket, object_key = self.split(key)
        temp_path = self.tmp_dir / f"s3-{secrets.token_hex(8)}.part"
        try:
            with self.translated(key):
                self.client.download_file(bucket, object_key, str(temp_path), Config=TRANSFER)
            yield temp_path
        finally:
            temp_path.unlink(missing_ok=True)

    def stored_files(self) -> Iterator[tuple[str, int]]:
        """(storage key, size) of every object under assets/ in the bucket."""
        with self.translated():
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=PREFIX
            )
            for page in pages:
                for item in page.get("Contents", []):
                    yield f"{self.bucket}:{item['Key']}", item["Size"]

    def close(self) -> None:
        self.client.close()
        self._probe_client.close()
