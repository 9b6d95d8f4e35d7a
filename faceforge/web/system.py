"""Health, ping and the system description."""

from faceforge import __version__, events
from faceforge.assets import exiftool
from faceforge.web.envelope import json_response


def healthz(services):
    """Bare `{"status": "ok"}`, no envelope: load balancers and launchers read it as is."""
    return json_response({"status": "ok"})


def ping(services):
    return {"pong": True}


def info(services):
    home = services.config.home
    tool = exiftool.describe(services.config)
    return {
        "version": __version__,
        "faceforge_home": str(home.root),
        "paths": {name: str(path) for name, path in home.folders().items()},
        "storage": services.storage.describe(),
        "tools": {"exiftool": tool},
        "events": {"last_event_id": events.last_id(services.db)},
    }
