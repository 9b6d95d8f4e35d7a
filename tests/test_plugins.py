"""API.md §7 plugins: discovery, bad manifests listed with their error, enable/disable and
config that persist, config checked against the manifest's schema, job types of enabled
plugins accepted by POST /v1/jobs."""

import shutil

import pytest

from faceforge import __version__
from tests.plugin_support import minimal_manifest, write_plugin

RECOGNIZER = {
    "id": "recognizer",
    "name": "Face recognizer",
    "version": "1.2.0",
    "core_compat": ">=0.1, <1",
    "capabilities": ["faces"],
    "permissions": ["assets:read"],
    "routes_prefix": "/v1/plugins/recognizer",
    "job_types": ["recognizer.match"],
    "entrypoints": {"runner": "python runner.py"},
    "config_schema": {
        "type": "object",
        "properties": {
            "threshold": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.6},
            "model": {"enum": ["small", "large"]},
        },
        "required": ["model"],
        "additionalProperties": False,
    },
}


def plugins_by_folder(client) -> dict:
    return {item["folder"]: item for item in client.get("/v1/plugins").data["items"]}


def test_a_discovered_plugin_is_listed_with_its_manifest(server):
    write_plugin(server.home, "recognizer", RECOGNIZER)
    assert server.client.get("/v1/plugins").data == {
        "items": [
            {
                "plugin_id": "recognizer",
                "folder": "recognizer",
                "name": "Face recognizer",
                "version": "1.2.0",
                "enabled": False,
                "discovered": True,
                "config": {"threshold": 0.6},
                "config_schema": RECOGNIZER["config_schema"],
                "capabilities": ["faces"],
                "job_types": ["recognizer.match"],
                "permissions": ["assets:read"],
                "core_compat": ">=0.1, <1",
                "routes_prefix": "/v1/plugins/recognizer",
                "entrypoints": {"runner": "python runner.py"},
                "error": None,
                "runner": None,
            }
        ]
    }


def test_a_new_plugin_folder_appears_without_a_restart(server):
    assert server.client.get("/v1/plugins").data == {"items": []}
    write_plugin(server.home, "late", minimal_manifest("late"))
    assert [p["plugin_id"] for p in server.client.get("/v1/plugins").data["items"]] == ["late"]


BAD_MANIFESTS = [
    (
        "not-json",
        "{oops",
        "plugin.json is not valid JSON:"
        " Expecting property name enclosed in double quotes at line 1",
    ),
    ("not-utf8", b'{"id": "\xff"}', "plugin.json must be UTF-8"),
    ("array", "[]", "plugin.json must hold a JSON object"),
    ("no-id", {"name": "Nameless", "version": "1"}, "plugin.json lacks 'id'"),
    ("no-name", {"id": "p11", "version": "1"}, "plugin.json lacks 'name'"),
    ("no-version", {"id": "p12", "name": "P12"}, "plugin.json lacks 'version'"),
    ("blank-name", minimal_manifest("p13", name="  "), "plugin.json lacks 'name'"),
    ("null-version", minimal_manifest("p14", version=None), "plugin.json lacks 'version'"),
    ("empty", {}, "plugin.json lacks 'id', 'name', 'version'"),
    ("id-number", minimal_manifest("p15", id=15), "id must be a string"),
    (
        "bad-id",
        minimal_manifest("Bad Id!"),
        "id 'Bad Id!' must match [a-z0-9][a-z0-9._-]* (at most 100 characters)",
    ),
    (
        "dot-first",
        minimal_manifest(".hidden"),
        "id '.hidden' must match [a-z0-9][a-z0-9._-]* (at most 100 characters)",
    ),
    (
        "prefix",
        minimal_manifest("p1", routes_prefix="/v1/other"),
        "routes_prefix must be /v1/plugins/p1",
    ),
    (
        "job-type",
        minimal_manifest("p2", job_types=["other.run"]),
        "job type 'other.run' must be 'p2.<name>'",
    ),
    (
        "job-type-bare",
        minimal_manifest("p3", job_types=["p3."]),
        "job type 'p3.' must be 'p3.<name>'",
    ),
    (
        "lists",
        minimal_manifest("p4", capabilities="faces"),
        "capabilities must be a list of non-empty strings",
    ),
    ("version", minimal_manifest("p5", version=2), "version must be a string"),
    ("entrypoints", minimal_manifest("p6", entrypoints=["run"]), "entrypoints must be an object"),
    (
        "compat",
        minimal_manifest("p7", core_compat=">=9"),
        f"requires FaceForge Core >=9, this is {__version__}",
    ),
    (
        "compat-text",
        minimal_manifest("p8", core_compat="newest"),
        "core_compat 'newest' is not a version range such as '>=0.1, <1'",
    ),
    (
        "schema-keyword",
        minimal_manifest("p9", config_schema={"type": "object", "anyOf": []}),
        "config_schema: /: unsupported keyword 'anyOf'",
    ),
    (
        "schema-type",
        minimal_manifest("p10", config_schema={"type": "string"}),
        "config_schema must describe an object",
    ),
    (
        "lone-surrogate",
        b'{"id": "p11", "name": "Plugin \\ud800", "version": "1.0.0"}',
        "plugin.json is not valid: strings must not hold unpaired surrogate escapes",
    ),
]


@pytest.mark.parametrize(
    ("folder", "manifest", "error"), BAD_MANIFESTS, ids=[b[0] for b in BAD_MANIFESTS]
)
def test_a_bad_manifest_is_listed_with_its_error(server, folder, manifest, error):
    write_plugin(server.home, folder, manifest)
    write_plugin(server.home, "good", minimal_manifest("good"))
    listed = plugins_by_folder(server.client)
    assert listed[folder]["error"] == error
    assert listed[folder]["discovered"] is True
    assert listed[folder]["job_types"] == []
    assert listed["good"]["error"] is None


def test_duplicate_ids_are_an_error_on_both_folders(server):
    write_plugin(server.home, "a", minimal_manifest("twin", version="1"))
    write_plugin(server.home, "b", minimal_manifest("twin", version="2"))
    listed = plugins_by_folder(server.client)
    message = "plugin id 'twin' is declared by a, b"
    assert (listed["a"]["error"], listed["b"]["error"]) == (message, message)
    reply = server.client.post("/v1/plugins/twin/enable")
    assert reply.status == 409
    assert reply.error["message"] == f"Plugin twin cannot be used: {message}"


def test_a_broken_plugin_cannot_be_enabled_or_configured(server):
    write_plugin(server.home, "broken", minimal_manifest("broken", routes_prefix="/x"))
    assert server.client.post("/v1/plugins/broken/enable").status == 409
    assert server.client.put("/v1/plugins/broken/config", {"config": {}}).status == 409
    assert server.client.post("/v1/plugins/broken/disable").data["enabled"] is False


@pytest.mark.parametrize("plugin_id", ["nothing-here", "Bad%20Id", "0" * 64])
def test_unknown_plugins_are_404(server, plugin_id):
    for method, suffix in (("POST", "enable"), ("POST", "disable"), ("GET", "config")):
        reply = server.client.request(method, f"/v1/plugins/{plugin_id}/{suffix}")
        assert reply.status == 404, (method, suffix)
        assert reply.error["code"] == "not_found"


def test_enable_state_and_config_persist_across_restarts(start_server, home):
    first = start_server(home)
    write_plugin(home, "recognizer", RECOGNIZER)
    assert first.client.post("/v1/plugins/recognizer/enable").data["enabled"] is True
    stored = first.client.put("/v1/plugins/recognizer/config", {"config": {"model": "large"}})
    assert stored.data == {
        "plugin_id": "recognizer",
        "config": {"model": "large", "threshold": 0.6},
    }
    first.close()
    second = start_server(home)
    plugin = second.client.get("/v1/plugins").data["items"][0]
    assert (plugin["enabled"], plugin["config"]) == (True, {"model": "large", "threshold": 0.6})
    assert second.client.post("/v1/plugins/recognizer/disable").data["enabled"] is False
    second.close()
    third = start_server(home)
    assert third.client.get("/v1/plugins").data["items"][0]["enabled"] is False


def test_config_that_breaks_the_schema_is_422_with_every_problem_and_nothing_stored(server):
    write_plugin(server.home, "recognizer", RECOGNIZER)
    reply = server.client.put(
        "/v1/plugins/recognizer/config", {"config": {"threshold": 2, "extra": 1}}
    )
    assert reply.status == 422
    error = reply.error
    assert error["message"] == "Config does not match the plugin's config_schema"
    assert error["details"] == [
        {
            "loc": ["body", "config", "model"],
            "msg": "is required",
            "type": "schema",
            "path": "/model",
            "message": "is required",
        },
        {
            "loc": ["body", "config", "threshold"],
            "msg": "must be at most 1",
            "type": "schema",
            "path": "/threshold",
            "message": "must be at most 1",
        },
        {
            "loc": ["body", "config", "extra"],
            "msg": "is not an allowed property",
            "type": "schema",
            "path": "/extra",
            "message": "is not an allowed property",
        },
    ]
    assert server.client.get("/v1/plugins/recognizer/config").data["config"] == {"threshold": 0.6}
    assert server.client.get("/v1/events", query={"type": "plugin."}).data["items"] == []


@pytest.mark.parametrize("body", [{}, {"config": None}, {"config": [1]}, {"config": "x"}])
def test_config_must_be_an_object(server, body):
    write_plugin(server.home, "free", minimal_manifest("free"))
    reply = server.client.put("/v1/plugins/free/config", body)
    assert reply.status == 422
    assert reply.error["details"][0]["loc"] == ["body", "config"]


def test_a_plugin_without_a_schema_takes_any_object(server):
    write_plugin(server.home, "free", minimal_manifest("free"))
    config = {"anything": [1, {"goes": True}]}
    assert server.client.put("/v1/plugins/free/config", {"config": config}).data["config"] == config


def test_changes_write_one_event_each_and_repeats_write_none(server):
    write_plugin(server.home, "recognizer", RECOGNIZER)
    client = server.client
    client.post("/v1/plugins/recognizer/enable")
    client.post("/v1/plugins/recognizer/enable")
    client.put("/v1/plugins/recognizer/config", {"config": {"model": "small"}})
    client.put("/v1/plugins/recognizer/config", {"config": {"model": "small"}})
    client.post("/v1/plugins/recognizer/disable")
    client.post("/v1/plugins/recognizer/disable")
    feed = client.get("/v1/events", query={"type": "plugin."}).data["items"]
    assert [(e["type"], e["subject_type"], e["subject_id"]) for e in feed] == [
        ("plugin.enabled", "plugin", "recognizer"),
        ("plugin.config_changed", "plugin", "recognizer"),
        ("plugin.disabled", "plugin", "recognizer"),
    ]


def test_job_types_are_accepted_only_while_their_plugin_is_enabled(server):
    write_plugin(server.home, "recognizer", RECOGNIZER)
    job = {"job_type": "recognizer.match", "input": {"asset_id": "a"}}
    refused = server.client.post("/v1/jobs", job)
    assert refused.status == 422
    assert refused.error["details"][0]["loc"] == ["body", "job_type"]
    server.client.post("/v1/plugins/recognizer/enable")
    assert server.client.post("/v1/jobs", job).data["status"] == "queued"
    server.client.post("/v1/plugins/recognizer/disable")
    assert server.client.post("/v1/jobs", job).status == 422


GONE_MESSAGE = (
    "Plugin recognizer has no folder in plugins/ any more; put its folder back to enable or"
    " configure it (its enable state and config are kept)"
)


def only_plugin(client) -> dict:
    [plugin] = client.get("/v1/plugins").data["items"]
    return plugin


def test_a_plugin_whose_folder_went_away_stays_listed_and_comes_back_as_it_was(start_server, home):
    first = start_server(home)
    write_plugin(home, "recognizer", RECOGNIZER)
    first.client.post("/v1/plugins/recognizer/enable")
    first.client.put("/v1/plugins/recognizer/config", {"config": {"model": "large"}})
    shutil.rmtree(home / "plugins" / "recognizer")
    first.close()
    second = start_server(home)
    assert only_plugin(second.client) == {
        "plugin_id": "recognizer",
        "folder": None,
        "name": "Face recognizer",
        "version": "1.2.0",
        "enabled": True,
        "discovered": False,
        "config": {"model": "large"},
        "config_schema": None,
        "capabilities": [],
        "job_types": [],
        "permissions": [],
        "core_compat": None,
        "routes_prefix": None,
        "entrypoints": None,
        "error": "no folder in plugins/ declares this id any more",
        "runner": None,
    }
    config_path = "/v1/plugins/recognizer/config"
    assert second.client.get(config_path).data == {
        "plugin_id": "recognizer",
        "config": {"model": "large"},
    }
    write_plugin(home, "recognizer", RECOGNIZER)
    plugin = only_plugin(second.client)
    assert (plugin["discovered"], plugin["enabled"], plugin["error"]) == (True, True, None)
    assert plugin["config"] == {"model": "large", "threshold": 0.6}
    job = {"job_type": "recognizer.match", "input": {}}
    assert second.client.post("/v1/jobs", job).data["status"] == "queued"


def test_a_plugin_whose_folder_went_away_can_be_disabled_but_not_enabled_or_configured(server):
    write_plugin(server.home, "recognizer", RECOGNIZER)
    server.client.post("/v1/plugins/recognizer/enable")
    shutil.rmtree(server.home / "plugins" / "recognizer")
    assert server.client.post("/v1/jobs", {"job_type": "recognizer.match"}).status == 422
    for method, suffix, body in (("POST", "enable", None), ("PUT", "config", {"config": {}})):
        reply = server.client.request(method, f"/v1/plugins/recognizer/{suffix}", json_body=body)
        assert reply.status == 409, suffix
        assert reply.error == {"code": "conflict", "message": GONE_MESSAGE, "details": None}
    assert server.client.post("/v1/plugins/recognizer/disable").data["enabled"] is False
    assert only_plugin(server.client)["enabled"] is False


def test_a_manifest_without_an_id_is_listed_under_its_folder_name(server):
    write_plugin(server.home, "nameless-folder", {"name": "No id", "version": "1"})
    plugin = only_plugin(server.client)
    assert (plugin["plugin_id"], plugin["folder"]) == ("nameless-folder", "nameless-folder")
    assert (plugin["name"], plugin["error"]) == ("No id", "plugin.json lacks 'id'")
    assert server.client.post("/v1/plugins/nameless-folder/enable").status == 409
