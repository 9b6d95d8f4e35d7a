"""The command line: `python faceforge.py [command] [--home DIR] [--host H] [--port N]`.

Known failures (bad config, unusable home or database, port in use) print one line and exit 1;
only a bug shows a traceback.
"""

import argparse
import os
import signal
import sys
import webbrowser
from pathlib import Path

from faceforge import (
    __version__,
    client,
    export_cli,
    import_cli,
    logs,
    resources,
    runtime,
    stop_request,
)
from faceforge.assets import maintenance
from faceforge.backups import cli as backup_cli
from faceforge.backups.folders import BackupError
from faceforge.backups.restore import RestoreRefused
from faceforge.build import ReleaseError
from faceforge.config import ConfigError
from faceforge.db import DatabaseError
from faceforge.exports.reader import ImportRefused
from faceforge.home import HomeError, resolve_root
from faceforge.server import Server, ServerError


class NotRunning(Exception):
    """A command that needs a running Core found none for this home."""


KNOWN_FAILURES = (
    ConfigError,
    DatabaseError,
    HomeError,
    ServerError,
    NotRunning,
    ReleaseError,
    import_cli.ImportFailed,
    ImportRefused,
    client.ClientError,
    BackupError,
    RestoreRefused,
)

# The signals that stop the server gracefully. Windows has no SIGTERM from other processes
# (they terminate it outright) but delivers Ctrl+C as SIGINT and Ctrl+Break as SIGBREAK.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name)
)


def home_settings(args):
    overrides = {"network.bind_host": args.host} if args.host else {}
    return runtime.prepare(resolve_root(args.home, os.environ), os.environ, overrides)


def serve(args) -> int:
    config = home_settings(args)
    app = runtime.build_app(config)
    try:
        port = runtime.choose_port(args.port, config)
        server = Server(app, config["network.bind_host"], port, config)
        for signal_number in STOP_SIGNALS:
            signal.signal(signal_number, lambda *_: server.stop())
        stop_request.watch(config.home.tmp_dir, server.stop, server.stopped)
        seaweed = app.services.seaweed
        seaweed_s3 = seaweed.s3_port if seaweed else config["network.seaweed_s3_port"]
        runtime.write_ports(config.home, core=server.port, seaweed_s3=seaweed_s3)
        print(f"FaceForge listening on {server.url}", flush=True)
        server.serve()
    finally:
        app.services.close()
        logs.shutdown()
    return 0


def token(args) -> int:
    print(home_settings(args)["auth.install_token"])
    return 0


def migrate(args) -> int:
    config = home_settings(args)
    runtime.open_database(config).close()
    print(f"database {config.home.db_path} is up to date")
    return 0


def over_home_settings(run):
    """A command `run(args, config)` over this home's settings; the log is flushed after it."""

    def command(args) -> int:
        try:
            return run(args, home_settings(args))
        finally:
            logs.shutdown()

    return command


import_folder = over_home_settings(import_cli.run)
export = over_home_settings(export_cli.export)
import_export = over_home_settings(export_cli.import_export)


def backup(args) -> int:
    try:
        return backup_cli.backup(args, home_settings(args))
    finally:
        logs.shutdown()


def restore(args) -> int:
    return backup_cli.restore_backup(args, resolve_root(args.home, os.environ))


def add_import_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("folder", help="the folder to import (its subfolders too)")
    command.add_argument("--kind", default="file", help="asset kind (default: file)")
    command.add_argument("--entity", help="link every imported asset to this entity id")
    command.add_argument("--role", help="role of those links (with --entity)")
    command.add_argument(
        "--no-recursive", dest="recursive", action="store_false", help="skip subfolders"
    )
    command.add_argument(
        "--throttle-ms", type=int, default=0, help="pause between files, in milliseconds"
    )


def check(args) -> int:
    """Compare asset rows with stored bytes; exit 1 when something does not match."""
    config = home_settings(args)
    db = runtime.open_database(config)
    storage = runtime.open_storage_offline(config)
    try:
        problems = maintenance.check(db, storage, verify_hashes=not args.quick)
    finally:
        storage.close()
        db.close()
    for problem in problems:
        print(problem)
    hashed = "sizes" if args.quick else "sizes and SHA-256"
    if problems:
        print(f"{len(problems)} problem(s) found (checked {hashed})")
        return 1
    print(f"no problems: every asset row has its bytes and every stored file a row ({hashed})")
    return 0


def version(args) -> int:
    print(__version__)
    return 0


def zipapp(args) -> int:
    from faceforge import build

    output = build.build_zipapp(Path(args.output))
    print(f"wrote {output}")
    return 0


def release(args) -> int:
    from faceforge import build

    archive, sums = build.release(Path(args.dist))
    print(f"wrote {archive}")
    print(f"wrote {sums}")
    return 0


def open_ui(args) -> int:
    """Log the default browser in to the running Core with a one-time link."""
    config = home_settings(args)
    core = client.find_running(
        config.home.root, config["network.bind_host"], config["auth.install_token"]
    )
    if core is None:
        raise NotRunning(
            f"FaceForge is not running for {config.home.root}; start it with"
            " `python faceforge.py` or the launcher (`python faceforge.py desktop`)"
        )
    url = core.create_login_link()["url"]
    if args.print_url:
        print(url)
    elif webbrowser.open(url):
        print(f"opened {core.base_url}/ui/ in your browser")
    else:
        print(f"no browser found; open this link within 60 seconds: {url}")
    return 0


def desktop(args) -> int:
    resources.attach_desktop()
    from faceforge.desktop import launcher

    return launcher.main(args.home)


def port_number(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be between 0 and 65535")
    return value


def add_common_flags(parser: argparse.ArgumentParser, default) -> None:
    """Flags accepted before or after the command name."""
    parser.add_argument("--home", default=default, help="data folder (FACEFORGE_HOME)")
    parser.add_argument("--host", default=default, help="address to bind (FACEFORGE_BIND)")
    parser.add_argument(
        "--port", type=port_number, default=default, help="port; 0 picks a free one"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faceforge", description="FaceForge Core")
    add_common_flags(parser, None)
    commands = parser.add_subparsers(dest="command", metavar="command")
    for name, handler, help_text in (
        ("serve", serve, "run the server (the default)"),
        ("token", token, "print the install token"),
        ("migrate", migrate, "bring the database schema up to date"),
        ("import", import_folder, "import a folder of files (progress bar; Ctrl-C cancels)"),
        ("check", check, "report asset rows without bytes and stored files without rows"),
        ("export", export, "export entities and their files as a readable folder tree"),
        ("import-export", import_export, "import such a folder tree into an empty home"),
        ("backup", backup, "back up this home while it serves (progress line; Ctrl-C cancels)"),
        ("verify", backup_cli.verify_backup, "check a backup's snapshot and every file's hash"),
        ("restore", restore, "restore a verified backup into an empty home (--home DIR)"),
        ("version", version, "print the version"),
        ("zipapp", zipapp, "build the one-file faceforge.pyz"),
        ("release", release, "build dist/faceforge-<version>.pyz and dist/SHA256SUMS"),
        ("open", open_ui, "log the default browser in to the running server"),
        ("desktop", desktop, "open the desktop launcher (needs a display)"),
    ):
        command = commands.add_parser(name, help=help_text)
        add_common_flags(command, argparse.SUPPRESS)
        command.set_defaults(handler=handler)
        if name == "zipapp":
            command.add_argument("--output", default="dist/faceforge.pyz")
        if name == "import":
            add_import_arguments(command)
        if name in ("export", "import-export"):
            command.add_argument("folder", help="the export's folder (new or empty for export)")
        if name == "export":
            command.add_argument(
                "--entity", action="append", help="export only this entity id (repeatable)"
            )
        if name == "release":
            command.add_argument("--dist", default="dist", help="output folder")
        if name == "open":
            command.add_argument(
                "--print",
                dest="print_url",
                action="store_true",
                help="print the one-time link instead of opening a browser",
            )
        if name == "backup":
            command.add_argument("--to", help="folder to write the backup under")
        if name in ("verify", "restore"):
            command.add_argument("backup", help="the backup folder")
        if name == "restore":
            command.add_argument(
                "--force", action="store_true", help="restore into a home that is not empty"
            )
        if name == "check":
            command.add_argument(
                "--quick", action="store_true", help="compare sizes only, skip hashing"
            )
    parser.set_defaults(handler=serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KNOWN_FAILURES as error:
        print(f"faceforge: {error}", file=sys.stderr, flush=True)
        return 1
