"""Helpers for tests that need plugins: write a manifest into a home's plugins/ folder."""

import json
from pathlib import Path

from tests.support import REPO_ROOT

# The example plugins of docs/plugins.md, as a user copies them into plugins/.
EXAMPLE = REPO_ROOT / "docs" / "examples" / "example_plugin"
COLOUR_EXAMPLE = REPO_ROOT / "docs" / "examples" / "dominant_colour"


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting for its parent."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def write_plugin(home: Path, folder: str, manifest) -> Path:
    """`manifest` as a dict (written as JSON) or as raw text/bytes (written as is)."""
    path = home / "plugins" / folder / "plugin.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(manifest, bytes):
        path.write_bytes(manifest)
    elif isinstance(manifest, str):
        path.write_text(manifest, encoding="utf-8")
    else:
        path.write_text(json.dumps(manifest), encoding="utf-8")
    return path


def minimal_manifest(plugin_id: str, **fields) -> dict:
    """The keys every manifest needs (id, name, version), plus `fields`."""
    return {"id": plugin_id, "name": f"Plugin {plugin_id}", "version": "1.0.0", **fields}


def enabled_plugin(server, plugin_id: str, job_types: list[str], **fields) -> dict:
    """Install and enable a plugin declaring `job_types`; returns its Plugin object."""
    write_plugin(server.home, plugin_id, minimal_manifest(plugin_id, job_types=job_types, **fields))
    reply = server.client.post(f"/v1/plugins/{plugin_id}/enable")
    assert reply.status == 200, reply.body
    return reply.data
