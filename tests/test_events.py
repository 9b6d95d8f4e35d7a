"""API.md §7 events: the feed holds exactly one event per committed change, in commit order,
and a client following it with after_id misses nothing."""

import threading

import pytest

from tests.plugin_support import enabled_plugin, write_plugin

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


def make_changes(server, worker: int, expected: list) -> None:
    """125 changes of mixed kinds (jobs, plugins, entities, relationships); appends the
    (type, subject_id) of the event each one must write, in the order they were made."""
    client = server.client
    plugin_id = f"p{worker}"
    enabled = False
    entities: list[str] = []
    made = 0

    def change(event_type: str, subject_id: str) -> None:
        nonlocal made
        expected.append((event_type, subject_id))
        made += 1

    while made < CHANGES_PER_THREAD:
        step = len(expected) % 8
        if step in (1, 7) and CHANGES_PER_THREAD - made < 2:
            step = 4  # the two-change steps would overshoot: one more entity instead
        if step in (0, 1):
            job = client.post("/v1/jobs", {"job_type": "feed.work", "input": {"w": worker}}).data
            change("job.created", job["job_id"])
            if step == 1:
                client.post(f"/v1/jobs/{job['job_id']}/cancel")
                change("job.canceled", job["job_id"])
        elif step == 2:
            enabled = not enabled
            client.post(f"/v1/plugins/{plugin_id}/{'enable' if enabled else 'disable'}")
            change("plugin.enabled" if enabled else "plugin.disabled", plugin_id)
        elif step == 3:
            client.put(f"/v1/plugins/{plugin_id}/config", {"config": {"n": made}})
            change("plugin.config_changed", plugin_id)
        elif step == 4 or len(entities) < 2:
            entity = client.post("/v1/entities", {"display_name": f"w{worker} #{made}"}).data
            entities.append(entity["entity_id"])
            change("entity.created", entity["entity_id"])
        elif step == 5:
            client.patch(f"/v1/entities/{entities[-1]}", {"tags": [f"t{made}"]})
            change("entity.updated", entities[-1])
        elif step == 6:
            relationship = client.post(
                "/v1/relationships",
                {
                    "src_entity_id": entities[-2],
                    "dst_entity_id": entities[-1],
                    "relationship_type": "friend",
                },
            ).data
            change("relationship.created", relationship["relationship_id"])
        else:
            lonely = client.post("/v1/entities", {"display_name": "gone soon"}).data
            change("entity.created", lonely["entity_id"])
            client.delete(f"/v1/entities/{lonely['entity_id']}")
            change("entity.deleted", lonely["entity_id"])


def test_concurrent_changes_write_exactly_one_event_each_in_commit_order(server):
    enabled_plugin(server, "feed", ["feed.work"])
    for worker in range(THREADS):
        write_plugin(server.home, f"p{worker}", {"id": f"p{worker}"})
    start_after = server.client.get("/v1/events").data["next_after_id"]
    stop, seen = threading.Event(), []
    follower = threading.Thread(target=follow, args=(server.client, stop, seen))
    follower.start()
    expected = [[] for _ in range(THREADS)]
    workers = [
        threading.Thread(target=make_changes, args=(server, n, expected[n])) for n in range(THREADS)
    ]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    stop.set()
    follower.join()

    assert [len(changes) for changes in expected] == [CHANGES_PER_THREAD] * THREADS
    feed = [e for e in seen if e["event_id"] > start_after]
    ids = [e["event_id"] for e in feed]
    assert ids == sorted(set(ids)), "the follower saw every event once, in id order"
    assert len(feed) == THREADS * CHANGES_PER_THREAD == 1000
    assert [e["ts"] for e in feed] == sorted(e["ts"] for e in feed)
    everything = server.client.get("/v1/events", query={"after_id": start_after, "limit": 1000})
    assert everything.data["items"] == feed
    for worker in range(THREADS):
        mine = {subject for _, subject in expected[worker]}
        own_events = [(e["type"], e["subject_id"]) for e in feed if e["subject_id"] in mine]
        assert own_events == expected[worker], f"thread {worker}'s changes out of order"


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


def test_an_event_carries_its_subject_and_data(server):
    enabled_plugin(server, "feed", ["feed.work"])
    job = server.client.post("/v1/jobs", {"job_type": "feed.work"}).data
    [event] = server.client.get("/v1/events", query={"type": "job.created"}).data["items"]
    assert event["subject_type"] == "job"
    assert event["subject_id"] == job["job_id"]
    assert event["data"] == {"job_type": "feed.work"}
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
