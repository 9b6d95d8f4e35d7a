"""API.md §12 triggers: a manifest's triggers queue their job for each matching event while
the plugin is enabled, with `where` filters and prefixes, durably across restarts, off the
request path. Each test ends its actions with a config change that a `settled` trigger of
the same plugin answers: the dispatcher handles events in order, so once that job exists,
every earlier event has been handled and job counts are final."""

import sqlite3

import pytest

from faceforge import ids
from tests.assets_support import upload
from tests.plugin_support import enabled_plugin, minimal_manifest, write_plugin
from tests.support import log_once_it_holds, wait_until


def trigger(event: str, job_type: str, **where) -> dict:
    return {"event": event, "job_type": job_type, **({"where": where} if where else {})}


def triggered_plugin(server, plugin_id: str, *triggers: dict) -> dict:
    """Install and enable a plugin with `triggers`, plus the `settled` one `settle` uses."""
    all_triggers = [*triggers, trigger("plugin.config_changed", f"{plugin_id}.settled")]
    job_types = sorted({t["job_type"] for t in all_triggers})
    return enabled_plugin(server, plugin_id, job_types, triggers=all_triggers)


def jobs_of(client, job_type: str) -> list[dict]:
    """Every job of `job_type`, in the order of the events that queued them."""
    items, query = [], {"job_type": job_type, "limit": 200}
    while True:
        page = client.get("/v1/jobs", query=query).data
        items += page["items"]
        if page["next_cursor"] is None:
            return sorted(items, key=lambda job: job["input"]["event"]["event_id"])
        query = {**query, "cursor": page["next_cursor"]}


def settle(client, plugin_id: str, timeout: float = 30.0) -> None:
    """Wait until the dispatcher has handled every event written so far (see the docstring)."""
    settled_type = f"{plugin_id}.settled"
    before = len(jobs_of(client, settled_type))
    reply = client.put(f"/v1/plugins/{plugin_id}/config", {"config": {"mark": ids.new_id()}})
    assert reply.status == 200, reply.body
    wait_until(lambda: len(jobs_of(client, settled_type)) == before + 1, timeout)


def upload_text(client, number: int, **query) -> dict:
    reply = upload(client, f"note {number}".encode(), filename=f"note{number}.txt", **query)
    assert reply.status == 200, reply.body
    return reply.data


def test_a_trigger_queues_one_job_per_matching_event_with_the_event_as_input(server):
    client = server.client
    triggered_plugin(server, "tagger", trigger("asset.created", "tagger.tag"))
    uploaded = [upload_text(client, number)["asset_id"] for number in range(3)]
    settle(client, "tagger")
    created = client.get("/v1/events", query={"type": "asset.created"}).data["items"]
    assert [event["subject_id"] for event in created] == uploaded
    jobs = jobs_of(client, "tagger.tag")
    assert [job["input"] for job in jobs] == [{"event": event} for event in created]
    assert {job["status"] for job in jobs} == {"queued"}


def test_where_filters_on_mime_prefix_and_kind(server):
    client = server.client
    triggered_plugin(
        server,
        "faces",
        trigger("asset.created", "faces.photo", mime_prefix="image/", kind="photo"),
        trigger("asset.created", "faces.text", mime_prefix="text/"),
    )
    photo = upload(client, b"not really a png 1", filename="a.png", kind="photo").data
    upload(client, b"not really a png 2", filename="b.png", kind="scan")
    text = upload_text(client, 1, kind="photo")
    settle(client, "faces")
    photo_jobs = jobs_of(client, "faces.photo")
    text_jobs = jobs_of(client, "faces.text")
    assert [job["input"]["event"]["subject_id"] for job in photo_jobs] == [photo["asset_id"]]
    assert [job["input"]["event"]["subject_id"] for job in text_jobs] == [text["asset_id"]]


def test_an_event_ending_with_a_dot_is_a_prefix(server):
    client = server.client
    triggered_plugin(server, "watcher", trigger("entity.", "watcher.entity"))
    entity = client.post("/v1/entities", {"display_name": "Ada"}).data
    client.patch(f"/v1/entities/{entity['entity_id']}", {"display_name": "Ada L."})
    upload_text(client, 1)
    settle(client, "watcher")
    types = [job["input"]["event"]["type"] for job in jobs_of(client, "watcher.entity")]
    assert types == ["entity.created", "entity.updated"]


def test_a_disabled_plugin_queues_nothing_and_skips_what_happened_meanwhile(server):
    client = server.client
    triggered_plugin(server, "tagger", trigger("asset.created", "tagger.tag"))
    upload_text(client, 1)
    settle(client, "tagger")
    assert client.post("/v1/plugins/tagger/disable").data["enabled"] is False
    upload_text(client, 2)
    assert client.post("/v1/plugins/tagger/enable").data["enabled"] is True
    third = upload_text(client, 3)
    settle(client, "tagger")
    subjects = [job["input"]["event"]["subject_id"] for job in jobs_of(client, "tagger.tag")]
    assert len(subjects) == 2 and subjects[1] == third["asset_id"]


def test_a_newly_enabled_plugin_starts_at_the_end_of_the_feed(server):
    client = server.client
    upload_text(client, 1)
    triggered_plugin(server, "late", trigger("asset.created", "late.tag"))
    settle(client, "late")
    assert jobs_of(client, "late.tag") == []


def test_across_restarts_no_event_is_lost_or_repeated(start_server, home):
    first = start_server(home)
    triggered_plugin(first, "tagger", trigger("asset.created", "tagger.tag"))
    uploaded = [upload_text(first.client, number)["asset_id"] for number in range(5)]
    first.close()  # some of the five may not have been handled yet
    second = start_server(home)
    uploaded += [upload_text(second.client, number)["asset_id"] for number in range(5, 8)]
    settle(second.client, "tagger")
    second.close()
    third = start_server(home)
    uploaded.append(upload_text(third.client, 8)["asset_id"])
    settle(third.client, "tagger")
    jobs = jobs_of(third.client, "tagger.tag")
    assert [job["input"]["event"]["subject_id"] for job in jobs] == uploaded


BAD_TRIGGERS = [
    ("not-a-list", {"event": "asset.created"}, "triggers must be a list of objects"),
    ("not-an-object", ["asset.created"], "triggers[0]: must be an object"),
    (
        "unknown-key",
        [{"event": "asset.created", "job_type": "p.run", "when": "now"}],
        "triggers[0]: unknown key 'when' (a trigger has event, job_type, where)",
    ),
    (
        "bad-event",
        [{"event": "asset.*", "job_type": "p.run"}],
        "triggers[0]: event must be an event type such as 'asset.created',"
        " or a prefix such as 'asset.'",
    ),
    (
        "undeclared-job-type",
        [{"event": "asset.created", "job_type": "p.other"}],
        "triggers[0]: job_type 'p.other' is not among the manifest's job_types",
    ),
    (
        "unknown-where",
        [{"event": "asset.created", "job_type": "p.run", "where": {"size": "big"}}],
        "triggers[0]: where has unknown key 'size' (known: mime_prefix, kind)",
    ),
    (
        "blank-where",
        [{"event": "asset.created", "job_type": "p.run", "where": {"kind": ""}}],
        "triggers[0]: where.kind must be a non-empty string",
    ),
    (
        "twice",
        [{"event": "asset.", "job_type": "p.run"}, {"event": "asset.", "job_type": "p.run"}],
        "triggers[1]: another trigger has the same event and job_type",
    ),
]


@pytest.mark.parametrize(
    ("case", "triggers", "error"), BAD_TRIGGERS, ids=[case[0] for case in BAD_TRIGGERS]
)
def test_a_bad_trigger_lists_the_plugin_with_its_error(server, case, triggers, error):
    write_plugin(server.home, "p", minimal_manifest("p", job_types=["p.run"], triggers=triggers))
    [plugin] = server.client.get("/v1/plugins").data["items"]
    assert (plugin["plugin_id"], plugin["error"]) == ("p", error)
    reply = server.client.post("/v1/plugins/p/enable")
    assert reply.status == 409
    assert reply.error["message"] == f"Plugin p cannot be used: {error}"


def test_a_burst_of_500_uploads_queues_500_jobs(server):
    client = server.client
    triggered_plugin(server, "tagger", trigger("asset.created", "tagger.tag", mime_prefix="text/"))
    for number in range(500):
        upload_text(client, number)
    settle(client, "tagger", timeout=60)
    jobs = jobs_of(client, "tagger.tag")
    assert len(jobs) == 500
    assert len({job["input"]["event"]["event_id"] for job in jobs}) == 500


def test_events_pruned_before_a_trigger_read_them_are_skipped_with_a_warning(start_server, home):
    first = start_server(home)
    triggered_plugin(first, "tagger", trigger("asset.created", "tagger.tag"))
    settle(first.client, "tagger")
    first.close()
    # As a pruning of the feed would: five events written while Core was down, then the
    # oldest three removed before any trigger read them.
    connection = sqlite3.connect(first.config.home.db_path)
    with connection:
        for number in range(5):
            connection.execute(
                "INSERT INTO events (ts, type, subject_type, subject_id)"
                " VALUES ('2026-01-01T00:00:00.000Z', 'asset.created', 'asset', ?)",
                (f"asset{number}",),
            )
        written = [
            row[0] for row in connection.execute("SELECT event_id FROM events ORDER BY event_id")
        ][-5:]
        connection.execute(
            "DELETE FROM events WHERE event_id BETWEEN ? AND ?", (written[0], written[2])
        )
    connection.close()
    second = start_server(home)
    settle(second.client, "tagger")
    subjects = [job["input"]["event"]["subject_id"] for job in jobs_of(second.client, "tagger.tag")]
    assert subjects == ["asset3", "asset4"]
    log_once_it_holds(
        second,
        f"trigger 'asset.created tagger.tag' of plugin tagger: events {written[0]} to"
        f" {written[2]} left the feed before it read them; they queued no job",
    )


def test_a_trigger_added_to_an_enabled_plugin_starts_at_the_end_of_the_feed(server):
    client = server.client
    manifest = triggered_plugin(server, "tagger", trigger("entity.created", "tagger.entity"))
    upload_text(client, 1)
    settle(client, "tagger")
    added = trigger("asset.created", "tagger.tag")
    write_plugin(
        server.home,
        "tagger",
        minimal_manifest(
            "tagger",
            job_types=[*manifest["job_types"], "tagger.tag"],
            triggers=[added, trigger("plugin.config_changed", "tagger.settled")],
        ),
    )
    # The second settle's batch read the manifests after the first one's batch committed,
    # so after the new manifest was written: the dispatcher has seen the new trigger.
    settle(client, "tagger")
    settle(client, "tagger")
    second = upload_text(client, 2)
    settle(client, "tagger")
    subjects = [job["input"]["event"]["subject_id"] for job in jobs_of(client, "tagger.tag")]
    assert subjects == [second["asset_id"]]
