"""Health, ping and the system description."""

from faceforge import __version__, events, program
from faceforge.assets import exiftool, ffmpeg
from faceforge.web.envelope import json_response


def healthz(services):
    """Bare `{"status": "ok"}`, no envelope: load balancers and launchers read it as is."""
    return json_response({"status": "ok"})


def ping(services):
    return {"pong": True}


def info(services):
    home = services.config.home
    return {
        "version": __version__,
        "faceforge_home": str(home.root),
        "command": program.command(),
        "paths": {name: str(path) for name, path in home.folders().items()},
        "storage": services.storage.describe(),
        "tools": {
            "exiftool": exiftool.describe(services.config),
            "ffmpeg": ffmpeg.describe(services.config),
        },
        "events": {"last_event_id": events.last_id(services.db)},
    }
