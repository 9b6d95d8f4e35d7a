"""Plugins: manifests found in `plugins/<dir>/plugin.json`, their enable state and config.

Manifests are read from disk on every call, so a plugin dropped into the folder shows up
without a restart. A manifest that cannot be used is listed with its `error` rather than
hidden (one without an id under its folder's name), and two folders declaring the same id are
both in error. What the user decides (enabled, config) lives in `plugin_registry`; a row
appears the first time they decide, and outlives the folder: a plugin whose folder is gone is
listed with `discovered: false` and comes back as it was when the folder does.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faceforge import __version__, clock, events, json_schema, json_text, safe_paths, triggers
from faceforge.errors import Conflict, NotFound, ValidationError, problem

MANIFEST_NAME = "plugin.json"
MAX_MANIFEST_BYTES = 1 * 2**20
PLUGIN_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")
JOB_TYPE_SUFFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
REQUIRED_KEYS = ("id", "name", "version")
LIST_FIELDS = ("capabilities", "permissions", "job_types")
RUNNER_RESTART = ("on-failure", "always")
VERSION_CLAUSE = re.compile(r"(>=|<=|==|!=|>|<)?\s*(\d+(?:\.\d+)*)")
# Entry points that name a page in the plugin's folder, served at /ui/plugins/<id>/<path>.
PAGE_ENTRYPOINTS = ("ui", "entity_panel")


@dataclass
class Manifest:
    """One folder's plugin.json as read; `error` says why it cannot be used (None if it can)."""

    folder: str
    plugin_id: str
    document: dict = field(default_factory=dict)
    error: str | None = None


def version_tuple(text: str) -> tuple[int, ...]:
    parts = [int(part) for part in re.findall(r"\d+", text)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def compat_problem(spec: str, core_version: str = __version__) -> str | None:
    """Check `core_compat` such as ">=0.1, <1": None when this Core satisfies it."""
    current = version_tuple(core_version)
    for clause in spec.split(","):
        match = VERSION_CLAUSE.fullmatch(clause.strip())
        if match is None:
            return f"core_compat {spec!r} is not a version range such as '>=0.1, <1'"
        operator, wanted = match.group(1) or "==", version_tuple(match.group(2))
        satisfied = {
            ">=": current >= wanted,
            "<=": current <= wanted,
            ">": current > wanted,
            "<": current < wanted,
            "==": current == wanted,
            "!=": current != wanted,
        }[operator]
        if not satisfied:
            return f"requires FaceForge Core {spec}, this is {core_version}"
    return None


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def declared_id(document: Any) -> str | None:
    """The manifest's `id` when it has one (not necessarily a valid one)."""
    plugin_id = document.get("id") if isinstance(document, dict) else None
    return plugin_id if isinstance(plugin_id, str) and not is_blank(plugin_id) else None


def manifest_problem(document: Any) -> str | None:
    """The first reason this manifest cannot be used, or None."""
    if not isinstance(document, dict):
        return "plugin.json must hold a JSON object"
    missing = [key for key in REQUIRED_KEYS if is_blank(document.get(key))]
    if missing:
        return "plugin.json lacks " + ", ".join(repr(key) for key in missing)
    for key in (*REQUIRED_KEYS, "core_compat"):
        if document.get(key) is not None and not isinstance(document[key], str):
            return f"{key} must be a string"
    plugin_id = document["id"]
    if PLUGIN_ID.fullmatch(plugin_id) is None or len(plugin_id) > 100:
        return f"id {plugin_id!r} must match [a-z0-9][a-z0-9._-]* (at most 100 characters)"
    for key in LIST_FIELDS:
        value = document.get(key, [])
        if not isinstance(value, list) or not all(isinstance(i, str) and i for i in value):
            return f"{key} must be a list of non-empty strings"
    for job_type in document.get("job_types", []):
        suffix = job_type.removeprefix(f"{plugin_id}.")
        if suffix == job_type or JOB_TYPE_SUFFIX.fullmatch(suffix) is None:
            return f"job type {job_type!r} must be '{plugin_id}.<name>'"
    prefix = document.get("routes_prefix")
    if prefix is not None and prefix != f"/v1/plugins/{plugin_id}":
        return f"routes_prefix must be /v1/plugins/{plugin_id}"
    if not isinstance(document.get("entrypoints", {}), dict):
        return "entrypoints must be an object"
    if "runner" in document:
        problem = runner_problem(document["runner"])
        if problem:
            return problem
    if document.get("core_compat"):
        problem = compat_problem(document["core_compat"])
        if problem:
            return problem
    return triggers.triggers_problem(document) or config_schema_problem(
        document.get("config_schema")
    )


def pages_problem(folder: Path, document: dict) -> str | None:
    """Why an entry point naming a page is not a file inside the plugin's folder, or None."""
    entrypoints = document.get("entrypoints", {})
    for key in PAGE_ENTRYPOINTS:
        path = entrypoints.get(key)
        if path is None:
            continue
        try:
            safe_paths.find_inside(folder, path if isinstance(path, str) else "")
        except NotFound:
            return (
                f"entrypoints.{key} must be the relative path of a file inside the plugin's"
                f" folder, such as 'ui/index.html' (got {path!r})"
            )
    return None


def runner_problem(runner: Any) -> str | None:
    """`runner`: {"command": [non-empty strings], "restart": "on-failure" | "always"}."""
    if not isinstance(runner, dict):
        return "runner must be an object"
    unknown = sorted(set(runner) - {"command", "restart"})
    if unknown:
        return f"runner has unknown keys: {', '.join(unknown)}"
    command = runner.get("command")
    if (
        not isinstance(command, list)
        or not command
        or not all(isinstance(part, str) and part for part in command)
    ):
        return "runner.command must be a non-empty list of non-empty strings"
    if runner.get("restart", "on-failure") not in RUNNER_RESTART:
        return "runner.restart must be on-failure or always"
    return None


def config_schema_problem(schema: Any) -> str | None:
    if schema is None:
        return None
    problems = json_schema.schema_problems(schema)
    if problems:
        return "config_schema: " + "; ".join(problems)
    declared = schema.get("type", "object") if isinstance(schema, dict) else "object"
    if "object" not in (declared if isinstance(declared, list) else [declared]):
        return "config_schema must describe an object"
    return None


def read_manifest(folder: Path) -> Manifest:
    """The manifest of one folder, under its declared id or, lacking one, the folder's name."""
    path = folder / MANIFEST_NAME
    manifest = Manifest(folder=folder.name, plugin_id=folder.name)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_MANIFEST_BYTES + 1)
    except OSError as error:
        manifest.error = f"cannot read plugin.json: {error.strerror}"
        return manifest
    if len(raw) > MAX_MANIFEST_BYTES:
        manifest.error = f"plugin.json is larger than {MAX_MANIFEST_BYTES} bytes"
        return manifest
    try:
        document = json_text.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        manifest.error = "plugin.json must be UTF-8"
        return manifest
    except json_text.TooDeep:
        manifest.error = f"plugin.json is nested deeper than {json_text.MAX_DEPTH} levels"
        return manifest
    except json_text.NotUnicode as error:
        manifest.error = f"plugin.json is not valid: {error}"
        return manifest
    except json.JSONDecodeError as error:
        manifest.error = f"plugin.json is not valid JSON: {error.msg} at line {error.lineno}"
        return manifest
    if isinstance(document, dict):
        manifest.document = document
    manifest.plugin_id = declared_id(document) or folder.name
    manifest.error = manifest_problem(document) or pages_problem(folder, document)
    return manifest


def discover(plugins_dir: Path) -> list[Manifest]:
    """Every `<dir>/plugin.json` below `plugins_dir`, with duplicate ids marked on both."""
    try:
        folders = sorted(p for p in plugins_dir.iterdir() if (p / MANIFEST_NAME).is_file())
    except OSError:
        return []
    manifests = [read_manifest(folder) for folder in folders]
    by_id: dict[str, list[Manifest]] = {}
    for manifest in manifests:
        by_id.setdefault(manifest.plugin_id, []).append(manifest)
    for same_id in by_id.values():
        if len(same_id) > 1:
            folders_text = ", ".join(m.folder for m in same_id)
            for manifest in same_id:
                manifest.error = f"plugin id {manifest.plugin_id!r} is declared by {folders_text}"
    return manifests


def registry_rows(connection) -> dict[str, Any]:
    return {row["plugin_id"]: row for row in connection.execute("SELECT * FROM plugin_registry")}


def describe(manifest: Manifest | None, row, plugin_id: str) -> dict:
    """The Plugin object of API.md §4 from what disk and database know about one id."""
    document = manifest.document if manifest else {}
    schema = document.get("config_schema") if manifest and not manifest.error else None
    stored = json.loads(row["config_json"]) if row else {}
    if manifest is None:
        error = "no folder in plugins/ declares this id any more"
    else:
        error = manifest.error

    def listed(key):
        value = document.get(key)
        return value if isinstance(value, list) and not error else []

    def text(key):
        value = document.get(key)
        return value if isinstance(value, str) else None

    return {
        "plugin_id": plugin_id,
        "folder": manifest.folder if manifest else None,
        "name": text("name") or (row["name"] if row else None) or plugin_id,
        "version": text("version") or (row["version"] if row else None),
        "enabled": bool(row["enabled"]) if row else False,
        "discovered": manifest is not None,
        "config": json_schema.with_defaults(stored, schema) if schema else stored,
        "config_schema": schema,
        "capabilities": listed("capabilities"),
        "job_types": listed("job_types"),
        "permissions": listed("permissions"),
        "core_compat": text("core_compat"),
        "routes_prefix": text("routes_prefix") if not error else None,
        "entrypoints": document.get("entrypoints", {}) if not error else None,
        "error": error,
    }


def list_plugins(db, plugins_dir: Path) -> dict:
    manifests = discover(plugins_dir)
    with db.read() as connection:
        rows = registry_rows(connection)
    items = [describe(m, rows.get(m.plugin_id), m.plugin_id) for m in manifests]
    seen = {m.plugin_id for m in manifests}
    items += [describe(None, row, pid) for pid, row in rows.items() if pid not in seen]
    items.sort(key=lambda item: (item["plugin_id"], item["folder"] or ""))
    return {"items": items}


def find(plugins_dir: Path, connection, plugin_id: str) -> tuple[Manifest | None, Any]:
    """The manifest (None if absent) and registry row (None if none) of one id; 404 if neither."""
    if PLUGIN_ID.fullmatch(plugin_id) is None:
        raise NotFound(f"Plugin {plugin_id} not found")
    matches = [m for m in discover(plugins_dir) if m.plugin_id == plugin_id]
    manifest = matches[0] if matches else None
    row = connection.execute(
        "SELECT * FROM plugin_registry WHERE plugin_id = ?", (plugin_id,)
    ).fetchone()
    if manifest is None and row is None:
        raise NotFound(f"Plugin {plugin_id} not found")
    return manifest, row


def usable(manifest: Manifest | None, plugin_id: str) -> Manifest:
    """The manifest, if it can be enabled and configured; 409 for a broken or missing one."""
    if manifest is None:
        raise Conflict(
            f"Plugin {plugin_id} has no folder in plugins/ any more; put its folder back to"
            " enable or configure it (its enable state and config are kept)"
        )
    if manifest.error:
        raise Conflict(f"Plugin {plugin_id} cannot be used: {manifest.error}")
    return manifest


def save_row(connection, manifest: Manifest | None, plugin_id: str, **changes) -> None:
    now = clock.now()
    document = manifest.document if manifest else {}
    connection.execute(
        "INSERT INTO plugin_registry (plugin_id, name, version, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (plugin_id) DO NOTHING",
        (plugin_id, document.get("name"), document.get("version"), now, now),
    )
    for column, value in changes.items():
        connection.execute(
            f"UPDATE plugin_registry SET {column} = ?, updated_at = ? WHERE plugin_id = ?",
            (value, now, plugin_id),
        )


def set_enabled(db, plugins_dir: Path, plugin_id: str, enabled: bool) -> dict:
    """Enable or disable; a broken or missing plugin can be disabled but not enabled. The
    event is written only when the state really changes; enabling starts the plugin's
    triggers at it."""
    with db.write() as connection:
        manifest, row = find(plugins_dir, connection, plugin_id)
        if enabled:
            usable(manifest, plugin_id)
        if row is None or bool(row["enabled"]) != enabled:
            save_row(connection, manifest, plugin_id, enabled=int(enabled))
            kind = "plugin.enabled" if enabled else "plugin.disabled"
            event_id = events.append(connection, kind, "plugin", plugin_id)
            if enabled:
                plugin_triggers = triggers.read_triggers(plugin_id, manifest.document)
                triggers.save_positions(connection, dict.fromkeys(plugin_triggers, event_id))
        row = connection.execute(
            "SELECT * FROM plugin_registry WHERE plugin_id = ?", (plugin_id,)
        ).fetchone()
    return describe(manifest, row, plugin_id)


def get_config(db, plugins_dir: Path, plugin_id: str) -> dict:
    with db.read() as connection:
        manifest, row = find(plugins_dir, connection, plugin_id)
    return {"plugin_id": plugin_id, "config": describe(manifest, row, plugin_id)["config"]}


def put_config(db, plugins_dir: Path, plugin_id: str, config: dict) -> dict:
    """Replace the config after checking it against the manifest's `config_schema`; 422 lists
    every problem as `{loc, msg, type, path, message}`."""
    with db.write() as connection:
        manifest, row = find(plugins_dir, connection, plugin_id)
        schema = usable(manifest, plugin_id).document.get("config_schema")
        problems = json_schema.validate(config, schema) if schema is not None else []
        if problems:
            raise config_error(problems)
        if row is None or json.loads(row["config_json"]) != config:
            save_row(connection, manifest, plugin_id, config_json=json_text.dumps(config))
            events.append(connection, "plugin.config_changed", "plugin", plugin_id)
        row = connection.execute(
            "SELECT * FROM plugin_registry WHERE plugin_id = ?", (plugin_id,)
        ).fetchone()
    return {"plugin_id": plugin_id, "config": describe(manifest, row, plugin_id)["config"]}


def config_error(problems: list[dict]) -> ValidationError:
    """422 listing every problem, each with the schema's own `path` and `message` too."""
    details = [
        {
            **problem(
                ("body", "config", *json_schema.pointer_parts(schema_problem["path"])),
                schema_problem["message"],
                "schema",
            ),
            "path": schema_problem["path"],
            "message": schema_problem["message"],
        }
        for schema_problem in problems
    ]
    return ValidationError.many(details, "Config does not match the plugin's config_schema")


def page_file(db, plugins_dir: Path, plugin_id: str, path: str) -> Path:
    """A file of an enabled plugin's folder, for /ui/plugins/<id>/<path>. A disabled, broken
    or missing plugin has no pages (404), and no path leaves its folder (`safe_paths`)."""
    with db.read() as connection:
        manifest, row = find(plugins_dir, connection, plugin_id)
    if manifest is None or manifest.error or row is None or not row["enabled"]:
        raise NotFound(f"Plugin {plugin_id} is not enabled")
    return safe_paths.find_inside(plugins_dir / manifest.folder, path)


def enabled_manifests(db, plugins_dir: Path) -> list[Manifest]:
    """The manifests of the enabled, usable plugins."""
    with db.read() as connection:
        rows = registry_rows(connection)
    return [
        manifest
        for manifest in discover(plugins_dir)
        if not manifest.error and manifest.plugin_id in rows and rows[manifest.plugin_id]["enabled"]
    ]


def enabled_job_types(db, plugins_dir: Path) -> set[str]:
    """Job types `POST /v1/jobs` accepts from plugins: those of enabled, usable plugins."""
    return {
        job_type
        for manifest in enabled_manifests(db, plugins_dir)
        for job_type in manifest.document.get("job_types", [])
    }


def job_type_owner(plugins_dir: Path, job_type: str) -> str | None:
    """The id of the usable plugin that declares `job_type`, or None."""
    for manifest in discover(plugins_dir):
        if not manifest.error and job_type in manifest.document.get("job_types", []):
            return manifest.plugin_id
    return None


def get_plugin(db, plugins_dir: Path, plugin_id: str) -> dict:
    """The Plugin of one id; 404 when neither a folder nor the registry knows it."""
    with db.read() as connection:
        manifest, row = find(plugins_dir, connection, plugin_id)
    return describe(manifest, row, plugin_id)


def enabled_triggers(db, plugins_dir: Path) -> list[triggers.Trigger]:
    """The triggers of enabled, usable plugins."""
    return [
        trigger
        for manifest in enabled_manifests(db, plugins_dir)
        for trigger in triggers.read_triggers(manifest.plugin_id, manifest.document)
    ]
