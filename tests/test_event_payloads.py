"""Every event type's `data` has exactly the keys docs/events.md gives it: they are API.

Each type is made to happen through the API on a live server, in each of the ways the code
writes it (an unlink by the route, by an asset delete and by an entity delete; a job that
succeeds, fails, is canceled and retried; ...), and the keys of every event in the feed are
compared with the page. A scan of the code makes sure no type is written that the page
leaves out."""

import re

from tests.assets_support import settled, upload, upload_raw
from tests.entity_support import bulk, create
from tests.plugin_support import enabled_plugin
from tests.support import REPO_ROOT

EVENTS_PAGE = REPO_ROOT / "docs" / "events.md"
# A table row of the page: | `type` | `data` | ...
TYPE_ROW = re.compile(r"^\| `([a-z_]+\.[a-z_]+)` \| `([^`]*)` \|")
TOP_LEVEL_KEY = re.compile(r'"(\w+)":')
NOT_EVENT_TYPES = {"plugin.json", "entity.json"}  # file names: plugin manifest, export
FIELD_DEFS = "/v1/admin/field-defs"
JOB_TYPE = "payloads.work"


def documented() -> dict[str, frozenset | None]:
    """{type: the keys of its data, or None where the page says the data is null}."""
    found = {}
    for line in EVENTS_PAGE.read_text(encoding="utf-8").splitlines():
        match = TYPE_ROW.match(line)
        if match:
            shape = match[2]
            found[match[1]] = None if shape == "null" else frozenset(TOP_LEVEL_KEY.findall(shape))
    return found


def types_in_code(subject_types: set[str]) -> set[str]:
    """String literals of faceforge/ that look like `<subject type>.<name>`."""
    literal = re.compile(rf'"((?:{"|".join(subject_types)})\.[a-z_]+)"')
    return {
        event_type
        for path in (REPO_ROOT / "faceforge").rglob("*.py")
        for event_type in literal.findall(path.read_text(encoding="utf-8"))
    } - NOT_EVENT_TYPES


def change_entities_and_their_parts(client) -> dict:
    """entity.*, descriptor.*, field_def.*, relationship.*; returns the entities it made."""
    definition = client.post(FIELD_DEFS, {"field_key": "mood", "field_type": "string"}).data
    client.patch(f"{FIELD_DEFS}/{definition['field_def_id']}", {"options": {"max_length": 10}})
    ann, bob = (create(client, display_name=name)["entity_id"] for name in ("Ann", "Bob"))
    client.patch(f"/v1/entities/{ann}", {"tags": ["x"]})
    made = bulk(client, [{"display_name": "Cat"}, {"entity_id": ann, "aliases": ["A"]}])
    cat = made["items"][0]["entity_id"]
    descriptor = client.post(
        f"/v1/entities/{ann}/descriptors", {"field_key": "mood", "value": "calm"}
    ).data
    client.patch(f"/v1/descriptors/{descriptor['descriptor_id']}", {"value": "glad"})
    client.delete(f"/v1/descriptors/{descriptor['descriptor_id']}")
    client.delete(f"{FIELD_DEFS}/{definition['field_def_id']}")
    for dst in (cat, bob):
        body = {"src_entity_id": ann, "dst_entity_id": dst, "relationship_type": "friend"}
        relationship = client.post("/v1/relationships", body).data
    client.delete(f"/v1/relationships/{relationship['relationship_id']}")
    return {"ann": ann, "bob": bob, "cat": cat}


def change_assets(server, entities: dict) -> None:
    """asset.* in each of their ways, and the entity events that asset changes cause."""
    client = server.client
    photo = upload(client, b"photo", "photo.jpg", entity_id=entities["ann"], role="face").data
    client.patch(f"/v1/assets/{photo['asset_id']}", {"kind": "image"})
    client.patch(
        f"/v1/entities/{entities['ann']}", {"primary_thumbnail_asset_id": photo["asset_id"]}
    )
    note = upload_raw(client, b"note", filename="note.txt").data
    settled(server, photo["asset_id"])
    settled(server, note["asset_id"])
    for entity in (entities["bob"], entities["cat"]):
        client.post(f"/v1/entities/{entity}/assets/{note['asset_id']}", {"role": "r"})
    client.post(f"/v1/entities/{entities['bob']}/assets/{note['asset_id']}/unlink")
    client.delete(f"/v1/assets/{photo['asset_id']}")
    upload(client, b"photo", "photo.jpg")
    upload(client, b"note", "note.txt", meta=b'{"seen": "again"}')
    client.delete(f"/v1/entities/{entities['cat']}")
    settled(server, photo["asset_id"])  # bytes brought back are read by ExifTool again


def change_jobs_and_plugins(client) -> None:
    """job.* (queued and canceled, claimed and failed, retried and completed) and plugin.*."""
    client.put("/v1/plugins/payloads/config", {"config": {"n": 1}})
    canceled = client.post("/v1/jobs", {"job_type": JOB_TYPE, "input": {}}).data
    client.post(f"/v1/jobs/{canceled['job_id']}/cancel")
    failing = client.post("/v1/jobs", {"job_type": JOB_TYPE, "input": {}}).data
    claim = {"job_types": [JOB_TYPE], "lease_seconds": 60}
    lease = client.post("/v1/jobs/claim", claim).data["lease_token"]
    error = {"code": "broken", "message": "it broke"}
    client.post(f"/v1/jobs/{failing['job_id']}/fail", {"lease_token": lease, "error": error})
    retry = client.post(f"/v1/jobs/{failing['job_id']}/retry").data
    lease = client.post("/v1/jobs/claim", claim).data["lease_token"]
    client.post(f"/v1/jobs/{retry['job_id']}/complete", {"lease_token": lease, "result": {}})
    client.post("/v1/plugins/payloads/disable")


def test_every_event_type_has_the_data_keys_its_page_gives_it(server):
    page = documented()
    subject_types = {event_type.split(".")[0] for event_type in page}
    assert types_in_code(subject_types) <= set(page), "a type the code writes is not documented"
    enabled_plugin(server, "payloads", [JOB_TYPE])
    change_assets(server, change_entities_and_their_parts(server.client))
    change_jobs_and_plugins(server.client)

    feed = server.client.get("/v1/events", query={"limit": 1000}).data["items"]
    seen: dict[str, set] = {}
    for event in feed:
        keys = None if event["data"] is None else frozenset(event["data"])
        seen.setdefault(event["type"], set()).add(keys)
    assert set(seen) == set(page), "every documented type happened, and only those"
    wrong = {t: shapes for t, shapes in seen.items() if shapes != {page[t]}}
    assert wrong == {}, "types whose data keys differ from docs/events.md"
