"""The command line: `python faceforge.py [command] [--home DIR] [--host H] [--port N]`.

Known failures (bad config, unusable home or database, port in use) print one line and exit 1;
only a bug shows a traceback.
"""

import argparse
import os
import signal
import sys
from pathlib import Path

from faceforge import __version__, logs, runtime
from faceforge.config import ConfigError
from faceforge.db import DatabaseError
from faceforge.home import HomeError, resolve_root
from faceforge.server import Server, ServerError

KNOWN_FAILURES = (ConfigError, DatabaseError, HomeError, ServerError)


def home_settings(args):
    overrides = {"network.bind_host": args.host} if args.host else {}
    return runtime.prepare(resolve_root(args.home, os.environ), os.environ, overrides)


def serve(args) -> int:
    config = home_settings(args)
    app = runtime.build_app(config)
    try:
        port = runtime.choose_port(args.port, config)
        server = Server(app, config["network.bind_host"], port, config)
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal_number, lambda *_: server.stop())
        runtime.write_ports(
            config.home, core=server.port, seaweed_s3=config["network.seaweed_s3_port"]
        )
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


def version(args) -> int:
    print(__version__)
    return 0


def zipapp(args) -> int:
    from faceforge import build

    output = build.build_zipapp(Path(args.output))
    print(f"wrote {output}")
    return 0


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
        ("version", version, "print the version"),
        ("zipapp", zipapp, "build the one-file faceforge.pyz"),
    ):
        command = commands.add_parser(name, help=help_text)
        add_common_flags(command, argparse.SUPPRESS)
        command.set_defaults(handler=handler)
        if name == "zipapp":
            command.add_argument("--output", default="dist/faceforge.pyz")
    parser.set_defaults(handler=serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KNOWN_FAILURES as error:
        print(f"faceforge: {error}", file=sys.stderr, flush=True)
        return 1
