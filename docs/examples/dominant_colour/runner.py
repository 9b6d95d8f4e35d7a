"""Runner of the dominant-colour plugin: records the dominant colour of each PNG on the
entities it is linked to.

Core starts it while the plugin is enabled, in this folder, with FACEFORGE_URL,
FACEFORGE_PLUGIN_ID and a FACEFORGE_TOKEN that may read, write and run this plugin's jobs.
The manifest's triggers queue a `dominant_colour.analyse` job for each image that is
uploaded (`asset.created`), linked to an entity (`asset.linked`) or unlinked from one
(`asset.unlinked`); the job's input is `{"event": <the Event>}`.

What it writes is the entity's `plugin_data` entry of this plugin, which only this plugin
writes (Core merges `plugin_data` per plugin, so the read-change-write below cannot lose
anyone else's data, and one runner takes one job at a time):

    {"images": {"<asset_id>": {"colour": "#rrggbb", "filename": "sky.png"}}}

A descriptor would need a field definition, which only an `admin` key can create; this
plugin asks for `read` and `write` only. Standard library only; SIGTERM (Core stopping it)
ends it after the job at hand.
"""

import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.request

import png_colour

URL = os.environ["FACEFORGE_URL"]
TOKEN = os.environ["FACEFORGE_TOKEN"]
PLUGIN_ID = os.environ.get("FACEFORGE_PLUGIN_ID", "dominant_colour")
JOB_TYPE = f"{PLUGIN_ID}.analyse"
LEASE_SECONDS = 60
HEARTBEAT_SECONDS = 20  # well inside the lease, for big PNGs that take a while
IDLE_SECONDS = 1  # the wait before asking again when no job is queued
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # Core is local
stopping = threading.Event()


class ApiError(Exception):
    """An error envelope from Core, with the HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def request(method: str, path: str, body=None):
    """One API call; returns the open reply (the caller reads and closes it)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"X-FaceForge-Token": TOKEN, "Content-Type": "application/json"}
    try:
        return OPENER.open(
            urllib.request.Request(URL + path, data=data, method=method, headers=headers),
            timeout=60,
        )
    except urllib.error.HTTPError as error:
        raise ApiError(error.code, json.load(error)["error"]["message"]) from None


def call(method: str, path: str, body=None):
    """One API call; returns the envelope's data."""
    with request(method, path, body) as reply:
        return json.load(reply)["data"]


def images_of(entity: dict) -> dict:
    """This plugin's record of the entity's images: asset id → colour and filename."""
    return (entity["plugin_data"].get(PLUGIN_ID) or {}).get("images", {})


def save_images(entity_id: str, images: dict) -> None:
    call("PATCH", f"/v1/entities/{entity_id}", {"plugin_data": {PLUGIN_ID: {"images": images}}})


def live(path: str):
    """GET `path`, or None when it is gone (deleted since the event)."""
    try:
        return call("GET", path)
    except ApiError as error:
        if error.status == 404:
            return None
        raise


def forget(asset_id: str, entity_id: str) -> str:
    """asset.unlinked: take the image out of the entity's record."""
    entity = live(f"/v1/entities/{entity_id}")
    if entity is None or asset_id not in images_of(entity):
        return f"nothing to remove from entity {entity_id[-12:]}"
    images = {key: value for key, value in images_of(entity).items() if key != asset_id}
    save_images(entity_id, images)
    return f"removed from entity {entity_id[-12:]}"


def record(asset_id: str, entity_ids: list[str]) -> str:
    """asset.created and asset.linked: the PNG's colour, on each entity that lacks it."""
    asset = live(f"/v1/assets/{asset_id}")
    if asset is None:
        return "skipped: the asset was deleted"
    if asset["mime_type"] != "image/png":
        return f"skipped: {asset['mime_type']} is not a PNG (the standard library reads PNG only)"
    entities = [entity for entity_id in entity_ids if (entity := live(f"/v1/entities/{entity_id}"))]
    lacking = [entity for entity in entities if asset_id not in images_of(entity)]
    if entities and not lacking:
        return "already recorded on every linked entity"
    with request("GET", f"/v1/assets/{asset_id}/download") as reply:
        colour = png_colour.dominant_colour(reply)
    if colour is None:
        return "skipped: every pixel is transparent"
    for entity in lacking:
        image = {"colour": colour, "filename": asset["filename"]}
        save_images(entity["entity_id"], {**images_of(entity), asset_id: image})
    names = ", ".join(entity["display_name"] for entity in lacking) or "no entity yet"
    return f"{asset['filename']}: {colour}, recorded on {names}"


def analyse(event: dict) -> str:
    """The job: what to do for the event that queued it; returns what was done."""
    asset_id = event["subject_id"]
    if event["type"] == "asset.unlinked":
        return forget(asset_id, event["data"]["entity_id"])
    if event["type"] == "asset.linked":
        return record(asset_id, [event["data"]["entity_id"]])
    linked = call("GET", f"/v1/assets/{asset_id}/entities")["items"]
    return record(asset_id, [link["entity_id"] for link in linked])


def keep_lease(job_id: str, lease: str, finished: threading.Event) -> None:
    """Heartbeat until the job is finished, so a slow download or decode keeps its lease."""
    while not finished.wait(HEARTBEAT_SECONDS):
        try:
            call("POST", f"/v1/jobs/{job_id}/heartbeat", {"lease_token": lease})
        except (ApiError, OSError) as error:
            print(f"{job_id[-12:]} heartbeat failed: {error}", flush=True)
            return


def run(job: dict, lease: str) -> None:
    """Run one claimed job to its end: complete with what was done, or fail saying why."""
    path, token = f"/v1/jobs/{job['job_id']}", {"lease_token": lease}
    finished = threading.Event()
    threading.Thread(target=keep_lease, args=(job["job_id"], lease, finished), daemon=True).start()
    try:
        outcome = analyse(job["input"]["event"])
    except (ApiError, OSError, ValueError) as error:
        failure = {"code": "dominant_colour_failed", "message": str(error)}
        call("POST", path + "/fail", {**token, "error": failure})
        print(f"{job['job_id'][-12:]} failed: {error}", flush=True)
        return
    finally:
        finished.set()
    call("POST", path + "/log", {**token, "message": outcome})
    call("POST", path + "/complete", {**token, "result": {"outcome": outcome}})
    print(f"{job['job_id'][-12:]} {outcome}", flush=True)


def main() -> int:
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    print(f"{PLUGIN_ID} runner waiting for {JOB_TYPE} jobs", flush=True)
    while not stopping.is_set():
        claim = {"job_types": [JOB_TYPE], "lease_seconds": LEASE_SECONDS}
        claimed = call("POST", "/v1/jobs/claim", claim)
        if claimed is None:
            stopping.wait(IDLE_SECONDS)
        else:
            run(claimed["job"], claimed["lease_token"])
    print(f"{PLUGIN_ID} runner stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
