"""The `assets.bulk-import` job (API.md §7): copy a folder of files into the library.

The folder is checked when the job is submitted (it must be an existing directory once `~`,
`..` and symlinks are resolved). Bulk import reads any folder the server's user can read:
that is its purpose, and the API that asks for it is behind the install token. It never
writes anywhere but the store (through the same ingest path as uploads), and it never walks
into FACEFORGE_HOME, so the store is never imported into itself.
"""

import functools
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from faceforge import validate
from faceforge.assets import ingest, ingest_batch
from faceforge.assets import links as asset_links
from faceforge.assets import rows as assets
from faceforge.errors import ApiError
from faceforge.jobs.context import JobCanceled, JobContext, JobFailed, JobInterrupted, JobKind

JOB_TYPE = "assets.bulk-import"
SIDECAR_SUFFIX = "_meta.json"
MAX_THROTTLE_MS = 60_000


def kind(intake: ingest.Intake, home_root: Path) -> JobKind:
    """The job type as the runtime registers it, bound to the store it imports into and the
    FACEFORGE_HOME it never imports from."""
    return JobKind(
        JOB_TYPE,
        functools.partial(prepare_input, intake.db, home_root),
        functools.partial(run, intake, home_root),
    )


def prepare_input(db, home_root: Path, job_input: dict, loc: tuple) -> dict:
    """The input to store: `path` resolved and checked, defaults filled in; 422 otherwise."""
    raw_path = validate.name(validate.required(job_input, "path", loc), (*loc, "path"))
    path = resolved_folder(raw_path, (*loc, "path"), home_root)
    recursive = validate.boolean(job_input.get("recursive", True), (*loc, "recursive"))
    kind = validate.name(job_input.get("kind", "file"), (*loc, "kind"))
    entity_id = job_input.get("entity_id")
    if entity_id is not None:
        entity_id = live_entity(db, entity_id, (*loc, "entity_id"))
    role = asset_links.read_link_role(job_input.get("role"), entity_id, (*loc, "role"))
    throttle_ms = validate.integer(
        job_input.get("throttle_ms", 0), (*loc, "throttle_ms"), 0, MAX_THROTTLE_MS
    )
    return {
        "path": str(path),
        "recursive": recursive,
        "kind": kind,
        "entity_id": entity_id,
        "role": role,
        "throttle_ms": throttle_ms,
    }


def resolved_folder(raw_path: str, loc: tuple, home_root: Path) -> Path:
    """The existing folder `raw_path` names (`validate.existing_folder`); 422 unless it is
    readable and outside FACEFORGE_HOME."""
    path = validate.existing_folder(raw_path, loc)
    if not os.access(path, os.R_OK | os.X_OK):
        validate.fail(loc, f"{path} is not readable by the server")
    if path == Path(path.anchor):
        validate.fail(loc, "importing the whole filesystem is not supported")
    if path == home_root or home_root in path.parents:
        validate.fail(loc, f"{path} is inside FACEFORGE_HOME: import from your own folders")
    return path


def live_entity(db, entity_id, loc: tuple) -> str:
    if not isinstance(entity_id, str):
        validate.fail(loc, "must be a string", "type_error")
    with db.read() as connection:
        assets.check_references(connection, entity_id, None, loc[:-1])
    return entity_id


def is_sidecar(name: str) -> bool:
    return name.lower().endswith(SIDECAR_SUFFIX)


def sidecar_for(path: Path, names: set[str]) -> Path | None:
    """The first of `<name>_meta.json`, `<name>._meta.json`, `<stem>_meta.json`,
    `<stem>._meta.json` present beside the file (`names` holds its folder's entries)."""
    for base in (path.name, path.stem):
        for suffix in ("_meta.json", "._meta.json"):
            if base + suffix in names:
                return path.with_name(base + suffix)
    return None


def find_files(root: Path, recursive: bool, home_root: Path) -> list[tuple[Path, set[str]]]:
    """Files to import below `root` in a stable order, each with its folder's entry names.

    Hidden entries (starting with ".") are skipped, symlinked folders are not followed
    (cycles, and folders the user did not point at), and FACEFORGE_HOME is never entered.
    Sidecars are included: the job logs them as `Sidecar JSON skipped`."""
    found = []
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        names = {entry.name for entry in entries}
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if recursive and Path(entry.path) != home_root:
                    subfolders.append(Path(entry.path))
            elif entry.is_file():
                found.append((Path(entry.path), names))
        folders.extend(reversed(subfolders))
    return found


class CheckpointReader:
    """A file read in chunks, with a job checkpoint before each chunk: a cancel stops the
    copy of even a very large file within a fraction of a second."""

    def __init__(self, handle, context: JobContext):
        self.handle = handle
        self.context = context

    def read(self, size: int = -1) -> bytes:
        self.context.checkpoint()
        return self.handle.read(size)


@dataclass(frozen=True)
class Sidecar:
    """A file's sidecar as read: its bytes, or the problem that leaves it out (the file is
    imported without it, and the log says why)."""

    name: str
    raw: bytes | None = None
    problem: str | None = None


def read_sidecar(path: Path) -> Sidecar:
    """The sidecar, checked as an upload's would be (the batch checks it again when its file
    joins; a sidecar is small), so that a broken one leaves only itself out."""
    try:
        raw = path.read_bytes()
        ingest.parse_sidecar(raw, ingest.SIDECAR_LOC)
    except (ApiError, OSError) as error:
        return Sidecar(path.name, problem=reason(error))
    return Sidecar(path.name, raw)


def add_file(batch, context: JobContext, path: Path, sidecar: Sidecar | None, job_input: dict):
    """Add one file with its (usable) sidecar to the batch, as an upload would be: the batch
    Item (or the message for an empty file)."""
    request = ingest.Request(
        filename=path.name,
        kind=job_input["kind"],
        sidecar=sidecar.raw if sidecar else None,
        sidecar_name=sidecar.name if sidecar else None,
        entity_id=job_input["entity_id"],
        role=job_input["role"],
        loc=("body",),
    )
    with path.open("rb") as handle:
        staged = ingest.stage_for(
            batch.intake, CheckpointReader(handle, context), ingest.CHUNK_BYTES
        )
    if staged.byte_size == 0:
        return "Skipped empty file"
    return batch.add_staged(staged, request)


def examine(batch, context: JobContext, path: Path, names: set[str], job_input: dict) -> list:
    """What becomes of one file, in log order: its sidecar when that is left out, then a log
    message, a batch Item (known once the batch is committed) or the error that stopped it."""
    if is_sidecar(path.name):
        return ["Sidecar JSON skipped"]
    sidecar_path = sidecar_for(path, names)
    sidecar = read_sidecar(sidecar_path) if sidecar_path else None
    outcomes = []
    if sidecar and sidecar.problem:
        outcomes, sidecar = [sidecar], None
    try:
        outcomes.append(add_file(batch, context, path, sidecar, job_input))
    except (ApiError, OSError) as error:
        outcomes.append(error)
    return outcomes


class FileLines:
    """One log line per file, in file order. A file in a batch has its outcome only once the
    batch is committed, so lines wait here and are written in that same transaction (or
    buffered in the job's log when no batch is pending)."""

    def __init__(self, context: JobContext):
        self.context = context
        self.pending: deque[tuple[dict, object]] = deque()
        self.counts = {"imported": 0, "skipped_existing": 0, "errors": 0, "warnings": 0}

    def add(self, line: dict, outcome) -> None:
        self.pending.append((line, outcome))

    def emit(self, connection=None) -> None:
        """Log the lines whose outcome is known, up to the first file still in a batch."""
        while self.pending:
            line, outcome = self.pending[0]
            if isinstance(outcome, ingest_batch.Item):
                if not outcome.settled:
                    break
                outcome = outcome.error or outcome
            if isinstance(outcome, str):
                self.context.log("info", outcome, line)
            elif isinstance(outcome, Sidecar):
                self.counts["warnings"] += 1
                details = {**line, "sidecar": outcome.name, "error": outcome.problem}
                self.context.log("warning", "Sidecar left out", details)
            elif isinstance(outcome, Exception):
                self.counts["errors"] += 1
                self.context.log("error", "Import failed", {**line, "error": reason(outcome)})
            else:
                self.counts["imported" if outcome.created else "skipped_existing"] += 1
                message = "Imported" if outcome.created else "Skipped (already imported)"
                self.context.log("info", message, {**line, "asset_id": outcome.asset_id})
            self.pending.popleft()
        if connection is not None:
            self.context.write_buffered(connection)


def reason(error: Exception) -> str:
    if isinstance(error, ApiError):
        return error.message
    return getattr(error, "strerror", None) or str(error)


def run(intake: ingest.Intake, home_root: Path, context: JobContext, job_input: dict) -> dict:
    root = Path(job_input["path"])
    if not root.is_dir():
        raise JobFailed("path_missing", f"{root} is no longer a directory")
    found = find_files(root, job_input["recursive"], home_root)
    total = len(found)
    context.log("info", f"Found {total} files", {"path": str(root), "total": total})
    throttle = job_input["throttle_ms"] / 1000
    lines = FileLines(context)
    with ingest_batch.Batch(intake, on_commit=lines.emit) as batch:
        try:
            for done, (path, names) in enumerate(found, start=1):
                context.checkpoint()
                line = {"file": path.relative_to(root).as_posix(), "done": done, "total": total}
                for outcome in examine(batch, context, path, names, job_input):
                    lines.add(line, outcome)
                context.progress(done, total, f"{done} of {total} files")
                if throttle and done < total:
                    batch.flush()
                    lines.emit()
                    context.sleep(throttle)
                elif batch.full():
                    batch.rotate()
                    lines.emit()
            batch.flush()
        except (JobCanceled, JobInterrupted) as stopped:
            batch.flush()  # keep what was copied; the files still to go are left alone
            lines.emit()
            if isinstance(stopped, JobCanceled):
                stopped.result = {"path": str(root), **lines.counts}
            raise
    lines.emit()
    return {"path": str(root), **lines.counts}
