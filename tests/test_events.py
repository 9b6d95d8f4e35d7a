"""API.md §7 events: the feed holds exactly one event per committed change, in commit order,
and a client following it with after_id misses nothing."""

import threading

import pytest

from tests.assets_support import upload_raw
from tests.plugin_support import enabled_plugin, minimal_manifest, write_plugin
from tests.support import write_core_json

THREADS = 8
CHANGES_PER_THREAD = 125


def follow(client, stop: threading.Event, seen: list) -> None:
    """Poll the feed with after_id the way a client does, until stopped and drained."""
    after_id = 0
    while True:
        stopping = stop.is_set()
        page = client.get("/v1/events", query={"after_id": after_id, "limit": 1000}).data
        seen.extend(page["items"])
        after_id = page["next_after_id"]
        if stopping and not page["items"]:
            return


class ChangeMaker:
    """One thread's share of the changes: jobs, plugins, entities, relationships, assets and
    links in turn. `expected` gets the (type, subject_id) of the event each change must
    write, in the order the changes were made."""

    def __init__(self, server, worker: int):
        self.client = server.client
        self.worker = worker
        self.plugin_id = f"p{worker}"
        self.enabled = False
        self.entities: list[str] = []
        self.assets: list[str] = []
        self.expected: list[tuple[str, str]] = []

    def changed(self, event_type: str, subject_id: str) -> None:
        self.expected.append((event_type, subject_id))

    def job(self):
        job = self.client.post("/v1/jobs", {"job_type": "feed.work", "input": {}}).data
        self.changed("job.created", job["job_id"])
        return job["job_id"]

    def canceled_job(self):
        job_id = self.job()
        self.client.post(f"/v1/jobs/{job_id}/cancel")
        self.changed("job.canceled", job_id)

    def toggle_plugin(self):
        self.enabled = not self.enabled
        action = "enable" if self.enabled else "disable"
        self.client.post(f"/v1/plugins/{self.plugin_id}/{action}")
        self.changed(f"plugin.{action}d", self.plugin_id)

    def configure_plugin(self):
        config = {"n": len(self.expected)}
        self.client.put(f"/v1/plugins/{self.plugin_id}/config", {"config": config})
        self.changed("plugin.config_changed", self.plugin_id)

    def entity(self):
        name = f"w{self.worker} #{len(self.expected)}"
        entity_id = self.client.post("/v1/entities", {"display_name": name}).data["entity_id"]
        self.entities.append(entity_id)
        self.changed("entity.created", entity_id)
        return entity_id

    def update_entity(self):
        entity_id = self.entity()
        self.client.patch(f"/v1/entities/{entity_id}", {"tags": ["changed"]})
        self.changed("entity.updated", entity_id)

    def deleted_entity(self):
        entity_id = self.entity()
        self.client.delete(f"/v1/entities/{entity_id}")
        self.changed("entity.deleted", entity_id)

    def relationship(self):
        src, dst = self.entity(), self.entity()
        body = {"src_entity_id": src, "dst_entity_id": dst, "relationship_type": "friend"}
        relationship = self.client.post("/v1/relationships", body).data
        self.changed("relationship.created", relationship["relationship_id"])

    def linked_asset(self):
        data = f"thread {self.worker} change {len(self.expected)}".encode()
        asset_id = upload_raw(self.client, data, filename="change.txt").data["asset_id"]
        self.changed("asset.created", asset_id)
        entity_id = self.entity()
        self.client.post(f"/v1/entities/{entity_id}/assets/{asset_id}", {"role": "r"})
        self.changed("asset.linked", asset_id)

    def make(self, count: int) -> None:
        """Changes in turn until `count` were made (single ones fill the end exactly)."""
        turns = [
            (1, self.job),
            (2, self.canceled_job),
            (1, self.toggle_plugin),
            (1, self.configure_plugin),
            (2, self.update_entity),
            (2, self.deleted_entity),
            (3, self.relationship),
            (3, self.linked_asset),
        ]
        turn = 0
        while len(self.expected) < count:
            size, action = turns[turn % len(turns)]
            (action if len(self.expected) + size <= count else self.job)()
            turn += 1


def test_concurrent_changes_write_exactly_one_event_each_in_commit_order(start_server, home):
    # Without ExifTool, so no extraction writes events of its own in the background.
    write_core_json(home, {"tools": {"exiftool_enabled": False}})
    server = start_server(home)
    enabled_plugin(server, "feed", ["feed.work"])
    for worker in range(THREADS):
        write_plugin(server.home, f"p{worker}", minimal_manifest(f"p{worker}"))
    start_after = server.client.get("/v1/events").data["next_after_id"]
    stop, seen = threading.Event(), []
    follower = threading.Thread(target=follow, args=(server.client, stop, seen))
    follower.start()
    makers = [ChangeMaker(server, n) for n in range(THREADS)]
    workers = [threading.Thread(target=m.make, args=(CHANGES_PER_THREAD,)) for m in makers]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    stop.set()
    follower.join()

    assert [len(m.expected) for m in makers] == [CHANGES_PER_THREAD] * THREADS
    feed = [e for e in seen if e["event_id"] > start_after]
    ids = [e["event_id"] for e in feed]
    assert ids == sorted(set(ids)), "the follower saw every event once, in id order"
    assert len(feed) == THREADS * CHANGES_PER_THREAD == 1000
    assert [e["ts"] for e in feed] == sorted(e["ts"] for e in feed)
    everything = server.client.get("/v1/events", query={"after_id": start_after, "limit": 1000})
    assert everything.data["items"] == feed
    for maker in makers:
        mine = {subject for _, subject in maker.expected}
        own_events = [(e["type"], e["subject_id"]) for e in feed if e["subject_id"] in mine]
        assert own_events == maker.expected, f"thread {maker.worker}'s changes out of order"


def test_type_filters_take_an_exact_type_or_a_prefix_ending_in_a_dot(server):
    enabled_plugin(server, "feed", ["feed.work"])
    job = server.client.post("/v1/jobs", {"job_type": "feed.work"}).data
    server.client.post(f"/v1/jobs/{job['job_id']}/cancel")

    def types(event_type):
        items = server.client.get("/v1/events", query={"type": event_type}).data["items"]
        return [e["type"] for e in items]

    assert types("job.") == ["job.created", "job.canceled"]
    assert types("job.canceled") == ["job.canceled"]
    assert types("plugin.") == ["plugin.enabled"]
    assert types("job") == []
    assert types("jo.") == []
    assert types("") == ["plugin.enabled", "job.created", "job.canceled"]


def test_paging_with_after_id_and_limit(server):
    enabled_plugin(server, "feed", ["feed.work"])
    for _ in range(4):
        server.client.post("/v1/jobs", {"job_type": "feed.work"})
    first = server.client.get("/v1/events", query={"limit": 2}).data
    assert [e["event_id"] for e in first["items"]] == [1, 2]
    assert first["next_after_id"] == 2
    rest = server.client.get("/v1/events", query={"after_id": 2}).data
    assert [e["event_id"] for e in rest["items"]] == [3, 4, 5]
    empty = server.client.get("/v1/events", query={"after_id": 5}).data
    assert empty == {"items": [], "next_after_id": 5}


def test_blank_feed_parameters_mean_absent_as_in_every_other_query(server):
    enabled_plugin(server, "feed", ["feed.work"])
    server.client.post("/v1/jobs", {"job_type": "feed.work"})
    blank = server.client.get("/v1/events", query={"after_id": "", "limit": " ", "type": ""})
    assert blank.status == 200, blank.body
    assert blank.data == server.client.get("/v1/events").data


def test_system_info_names_the_newest_event_to_follow_from_now(server):
    assert server.client.get("/v1/system/info").data["events"] == {"last_event_id": 0}
    enabled_plugin(server, "feed", ["feed.work"])
    server.client.post("/v1/jobs", {"job_type": "feed.work"})
    newest = server.client.get("/v1/system/info").data["events"]["last_event_id"]
    assert newest == server.client.get("/v1/events").data["next_after_id"] == 2
    assert server.client.get("/v1/events", query={"after_id": newest}).data["items"] == []


def test_an_event_carries_its_subject_and_data(server):
    enabled_plugin(server, "feed", ["feed.work"])
    job = server.client.post("/v1/jobs", {"job_type": "feed.work"}).data
    [event] = server.client.get("/v1/events", query={"type": "job.created"}).data["items"]
    assert event["subject_type"] == "job"
    assert event["subject_id"] == job["job_id"]
    assert event["data"] == {"job_type": "feed.work", "retry_of_job_id": None}
    assert event["ts"] >= job["created_at"]


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ({"after_id": "-1"}, ["query", "after_id"]),
        ({"after_id": "x"}, ["query", "after_id"]),
        ({"after_id": str(2**64)}, ["query", "after_id"]),
        ({"limit": "0"}, ["query", "limit"]),
        ({"limit": "1001"}, ["query", "limit"]),
    ],
)
def test_bad_feed_parameters_are_422(server, query, loc):
    reply = server.client.get("/v1/events", query=query)
    assert reply.status == 422
    assert reply.error["details"][0]["loc"] == loc
