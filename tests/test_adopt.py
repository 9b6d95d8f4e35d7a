"""Adopting a home written by FaceForge Core 0.1.x (API.md §11): a real server started on an
extracted copy of each fixture in tests/fixtures/ (`home-0.1.*.tar.gz` + its
`.expected.json`), everything the expected file lists checked through the v1 API. The checks
read the expected file only, so a fixture from another seed is checked the same way."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import urllib.parse
from pathlib import Path

import pytest

from tests.support import REPO_ROOT, LiveServer, faceforge_command, run_cli, wait_until

FIXTURES = REPO_ROOT / "tests" / "fixtures"
TARBALLS = sorted(FIXTURES.glob("home-0.1.*.tar.gz"))
# The fixture that the tests changing a 0.1.x database before adopting it start from.
SAMPLE = FIXTURES / "home-0.1.9-sample.tar.gz"
# Keys of the expected file's objects that describe the fixture rather than the API object.
NOT_IN_API = {"sha256", "sidecar_entries", "links", "origin", "log"}


def expected_of(tarball: Path) -> dict:
    expected_path = tarball.with_name(tarball.name.replace(".tar.gz", ".expected.json"))
    return json.loads(expected_path.read_text(encoding="utf-8"))


def extract_moved(tarball: Path, folder: Path) -> Path:
    """The fixture's home, extracted and then moved to another folder (as a person moving
    their data would), so nothing may depend on where it was written."""
    first = folder / "first-place"
    with tarfile.open(tarball) as archive:
        archive.extractall(first, filter="data")
    moved = folder / "moved" / "home"
    moved.parent.mkdir()
    shutil.move(first, moved)
    return moved


def database_dump(db_path: Path) -> list[str]:
    """The database's content as SQL text (independent of its journal mode)."""
    connection = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


@pytest.fixture(scope="module", params=TARBALLS, ids=lambda path: path.name)
def adopted(request, tmp_path_factory):
    """(server, expected, home, the 0.1.x database's dump) for one fixture, adopted once."""
    home = extract_moved(request.param, tmp_path_factory.mktemp("adopt"))
    before = database_dump(home / "db" / "core.sqlite3")
    server = LiveServer(home)
    yield server, expected_of(request.param), home, before
    server.close()


def data_of(server, path, **query):
    reply = server.client.get(path, query=query or None)
    assert reply.status == 200, (path, reply.body)
    return reply.data


def api_part(expected_object: dict) -> dict:
    return {key: value for key, value in expected_object.items() if key not in NOT_IN_API}


def subset_of(found: dict, expected_object: dict) -> dict:
    return {key: found.get(key) for key in api_part(expected_object)}


def test_the_install_token_is_kept_and_the_config_written_back_private(adopted):
    server, expected, home, _ = adopted
    assert server.token == expected["install_token"]
    assert server.anonymous.get("/v1/ping").status == 401
    assert data_of(server, "/v1/ping") == {"pong": True}
    config_path = home / "config" / "core.json"
    document = json.loads(config_path.read_text(encoding="utf-8"))
    assert document["auth"]["install_token"] == expected["install_token"]
    assert len(document["auth"]["url_signing_key"]) >= 32
    assert config_path.stat().st_mode & 0o777 == 0o600


def test_entities_carry_over_with_aliases_tags_fields_and_times(adopted):
    server, expected, _, _ = adopted
    for entity in expected["entities"]:
        found = data_of(server, f"/v1/entities/{entity['entity_id']}")
        assert subset_of(found, entity) == api_part(entity)
    listed = data_of(server, "/v1/entities", limit=200)
    assert listed["total"] == len(expected["entities"]) == expected["counts"]["entities"]
    assert {e["entity_id"] for e in listed["items"]} == {
        e["entity_id"] for e in expected["entities"]
    }


def test_deleted_entities_stay_hidden_with_their_links_and_descriptors(adopted):
    server, expected, _, _ = adopted
    live_ids = {entity["entity_id"] for entity in expected["entities"]}
    for entity in expected["deleted_entities"]:
        entity_id = entity["entity_id"]
        assert server.client.get(f"/v1/entities/{entity_id}").status == 404
        assert server.client.get(f"/v1/entities/{entity_id}/assets").status == 404
        assert server.client.get(f"/v1/entities/{entity_id}/descriptors").status == 404
        for descriptor_id in entity["descriptor_ids"]:
            reply = server.client.patch(f"/v1/descriptors/{descriptor_id}", {"value": "x"})
            assert reply.status == 404
        for asset_id in entity["linked_asset_ids"]:
            assert entity_id not in linked_entities(server, asset_id, live_ids)
        assert entity_id not in search_ids(server, q=entity["display_name"])
    hidden = {entity["entity_id"] for entity in expected["deleted_entities"]}
    related = relationships_of(server, live_ids).values()
    assert not [r for r in related if {r["src_entity_id"], r["dst_entity_id"]} & hidden]


def relationships_of(server, entity_ids) -> dict:
    """{relationship_id: Relationship} of the entities, either side."""
    return {
        item["relationship_id"]: item
        for entity_id in entity_ids
        for item in data_of(server, "/v1/relationships", entity_id=entity_id)["items"]
    }


def linked_entities(server, asset_id: str, entity_ids) -> dict:
    """{entity_id: role} of the live links of the asset, read from each entity's assets."""
    links = {}
    for entity_id in entity_ids:
        for item in data_of(server, f"/v1/entities/{entity_id}/assets", limit=200)["items"]:
            if item["asset_id"] == asset_id:
                links[entity_id] = item["role"]
    return links


def test_field_definitions_carry_over(adopted):
    server, expected, _, _ = adopted
    found = {
        item["field_def_id"]: item for item in data_of(server, "/v1/admin/field-defs")["items"]
    }
    assert len(found) == len(expected["field_defs"])
    for field_def in expected["field_defs"]:
        assert subset_of(found[field_def["field_def_id"]], field_def) == api_part(field_def)


def test_descriptors_carry_over_and_deleted_ones_stay_deleted(adopted):
    server, expected, _, _ = adopted
    found = {}
    for entity in expected["entities"]:
        path = f"/v1/entities/{entity['entity_id']}/descriptors"
        found.update({item["descriptor_id"]: item for item in data_of(server, path)["items"]})
    assert {key: subset_of(found[key], d) for key, d in ids_of(expected["descriptors"])} == {
        key: api_part(d) for key, d in ids_of(expected["descriptors"])
    }
    assert set(found) == {d["descriptor_id"] for d in expected["descriptors"]}
    assert not set(expected["deleted_descriptor_ids"]) & set(found)


def ids_of(descriptors: list) -> list:
    return [(d["descriptor_id"], d) for d in descriptors]


def test_assets_keep_their_rows_sidecars_links_and_bytes(adopted):
    server, expected, _, _ = adopted
    live_ids = [entity["entity_id"] for entity in expected["entities"]]
    for asset in expected["assets"]:
        found = data_of(server, f"/v1/assets/{asset['asset_id']}")
        assert subset_of(found, asset) == api_part(asset)
        assert found["content_hash"] == asset["sha256"]
        sidecars = [e for e in found["meta"]["metadata"] if e["Source"] == "UserSidecar"]
        assert sidecars == asset["sidecar_entries"]
        expected_links = {link["entity_id"]: link["role"] for link in asset["links"]}
        assert linked_entities(server, asset["asset_id"], live_ids) == expected_links
        download = server.client.get(f"/v1/assets/{asset['asset_id']}/download")
        assert download.status == 200, asset["filename"]
        assert hashlib.sha256(download.body).hexdigest() == asset["sha256"]
        exact_name = download.headers["Content-Disposition"].split("filename*=UTF-8''")[1]
        assert urllib.parse.unquote(exact_name) == asset["filename"]
    listed = data_of(server, "/v1/assets", limit=200)
    assert listed["total"] == len(expected["assets"])


def test_removed_links_stay_removed(adopted):
    server, expected, _, _ = adopted
    for link in expected["removed_links"]:
        items = data_of(server, f"/v1/entities/{link['entity_id']}/assets", limit=200)["items"]
        assert link["asset_id"] not in {item["asset_id"] for item in items}


def test_relationships_carry_over_and_deleted_ones_stay_deleted(adopted):
    server, expected, _, _ = adopted
    found = relationships_of(server, [entity["entity_id"] for entity in expected["entities"]])
    assert {key: subset_of(found[key], r) for key, r in relationship_ids(expected)} == {
        key: api_part(r) for key, r in relationship_ids(expected)
    }
    assert set(found) == {r["relationship_id"] for r in expected["relationships"]}
    assert not set(expected["deleted_relationship_ids"]) & set(found)


def relationship_ids(expected: dict) -> list:
    return [(r["relationship_id"], r) for r in expected["relationships"]]


def test_jobs_carry_over_with_their_logs(adopted):
    server, expected, _, _ = adopted
    for job in expected["jobs"]:
        found = data_of(server, f"/v1/jobs/{job['job_id']}")
        assert subset_of(found, job) == api_part(job)
        log_page = data_of(server, f"/v1/jobs/{job['job_id']}/log", limit=1000)
        lines = [
            {key: line[key] for key in ("level", "message", "data")} for line in log_page["items"]
        ]
        assert lines == job["log"]
    assert data_of(server, "/v1/jobs")["total"] == len(expected["jobs"])


def test_plugins_keep_enable_state_and_config(adopted):
    server, expected, _, _ = adopted
    found = {p["plugin_id"]: p for p in data_of(server, "/v1/plugins")["items"]}
    for plugin in expected["plugins"]:
        assert subset_of(found[plugin["plugin_id"]], plugin) == api_part(plugin)
        config = data_of(server, f"/v1/plugins/{plugin['plugin_id']}/config")
        assert config == {"plugin_id": plugin["plugin_id"], "config": plugin["config"]}


def search_ids(server, **query) -> set[str]:
    return {e["entity_id"] for e in data_of(server, "/v1/entities", limit=200, **query)["items"]}


def test_search_tag_filter_and_total_work_on_adopted_rows(adopted):
    server, expected, _, _ = adopted
    for entity in expected["entities"]:
        name_part = entity["display_name"][1:-1]
        assert entity["entity_id"] in search_ids(server, q=name_part.upper())
        for tag in entity["tags"]:
            tagged = {e["entity_id"] for e in expected["entities"] if tag in e["tags"]}
            assert search_ids(server, tag=tag.swapcase()) >= tagged
            page = data_of(server, "/v1/entities", tag=tag, limit=1)
            assert page["total"] == len(search_ids(server, tag=tag))
    for descriptor in expected["descriptors"]:
        if isinstance(descriptor["value"], str):
            assert descriptor["entity_id"] in search_ids(server, q=descriptor["value"])


def test_routes_of_0_1_x_answer_the_same_shapes(adopted):
    """What a 0.1.x client reads: pages, the objects' keys (ours add keys, never drop one)."""
    server, expected, _, _ = adopted
    page = data_of(server, "/v1/entities", limit=2, offset=1)
    assert {"items", "total", "limit", "offset"} <= set(page)
    assert (page["limit"], page["offset"]) == (2, 1)
    assert set(api_part(expected["entities"][0])) <= set(page["items"][0])
    assets = data_of(server, "/v1/assets", limit=1)["items"]
    assert set(api_part(expected["assets"][0])) <= set(assets[0])
    job_page = data_of(server, "/v1/jobs", limit=1)
    assert {"items", "total", "limit", "offset"} <= set(job_page)
    assert set(api_part(expected["jobs"][0])) <= set(job_page["items"][0])
    some_id = expected["entities"][0]["entity_id"]
    for path in (
        "/v1/plugins",
        "/v1/admin/field-defs",
        f"/v1/entities/{some_id}/descriptors",
        f"/v1/relationships?entity_id={some_id}",
    ):
        assert set(data_of(server, path)) == {"items"}
    job_id = expected["jobs"][0]["job_id"]
    assert "items" in data_of(server, f"/v1/jobs/{job_id}/log")
    assert "version" in data_of(server, "/v1/system/info")


def test_the_pre_adoption_backup_holds_the_0_1_x_database(adopted):
    _, _, home, before = adopted
    backups = sorted((home / "backups").glob("core-v0-*.sqlite3"))
    assert len(backups) == 1
    assert database_dump(backups[0]) == before


def test_one_summary_line_says_what_was_adopted(adopted):
    _, expected, home, _ = adopted
    log_text = (home / "logs" / "core.log").read_text(encoding="utf-8")
    summary = [line for line in log_text.splitlines() if "adopted the FaceForge 0.1.x" in line]
    assert len(summary) == 1
    assert f"{expected['counts']['entities']} entities" in summary[0]
    assert f"{expected['counts']['assets']} assets" in summary[0]


def test_random_ids_of_0_1_x_work_next_to_new_time_ordered_ones(tmp_path):
    """API.md §1: new ids start with their creation time; the random ids an adopted home
    holds are ids like any other: matched by bulk-upsert, described, related to new ones."""
    expected = expected_of(SAMPLE)
    old = expected["entities"][0]["entity_id"]
    field_key = expected["field_defs"][0]["field_key"]
    server = LiveServer(extract_moved(SAMPLE, tmp_path))
    try:
        client = server.client
        items = [{"entity_id": old, "tags": ["adopted"]}, {"display_name": "New Person"}]
        upserted = client.post("/v1/entities/bulk-upsert", {"items": items}).data["items"]
        assert [item["status"] for item in upserted] == ["updated", "created"]
        new = upserted[1]["entity_id"]
        for path, body in (
            (
                "/v1/relationships",
                {"src_entity_id": old, "dst_entity_id": new, "relationship_type": "mentor"},
            ),
            (f"/v1/entities/{old}/descriptors", {"field_key": field_key, "value": "blue"}),
        ):
            reply = client.post(path, body)
            assert reply.status == 200, reply.body
        page = data_of(server, "/v1/entities", tag="adopted")
        assert [entity["entity_id"] for entity in page["items"]] == [old]
        related = data_of(server, "/v1/relationships", entity_id=new)["items"]
        assert [(r["src_entity_id"], r["dst_entity_id"]) for r in related] == [(old, new)]
    finally:
        server.close()


@pytest.mark.parametrize("tarball", TARBALLS, ids=lambda path: path.name)
def test_a_second_start_changes_nothing(tarball, tmp_path):
    home = extract_moved(tarball, tmp_path)
    LiveServer(home).close()
    adopted_once = database_dump(home / "db" / "core.sqlite3")
    backups = sorted((home / "backups").iterdir())
    LiveServer(home).close()
    assert database_dump(home / "db" / "core.sqlite3") == adopted_once
    assert sorted((home / "backups").iterdir()) == backups


@pytest.mark.parametrize("tarball", TARBALLS, ids=lambda path: path.name)
def test_a_failing_conversion_leaves_the_database_as_it_was(tarball, tmp_path):
    """A row our schema refuses (a negative size) makes the conversion fail half-way: the
    one transaction is rolled back, so the 0.1.x database is as it was, and its backup is
    there."""
    home = extract_moved(tarball, tmp_path)
    db_path = home / "db" / "core.sqlite3"
    connection = sqlite3.connect(db_path)
    connection.execute(
        "UPDATE assets SET byte_size = -1 WHERE rowid = (SELECT max(rowid) FROM assets)"
    )
    connection.commit()
    connection.close()
    before = database_dump(db_path)
    result = run_cli("migrate", home=home)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "faceforge: adopting the FaceForge 0.1.x database failed and was rolled back:"
        " CHECK constraint failed: byte_size >= 0"
    )
    assert database_dump(db_path) == before
    assert len(list((home / "backups").glob("core-v0-*.sqlite3"))) == 1


def test_a_database_of_an_unknown_schema_is_refused_with_one_line_and_left_unchanged(tmp_path):
    home = tmp_path / "home"
    db_path = home / "db" / "core.sqlite3"
    db_path.parent.mkdir(parents=True)
    connection = sqlite3.connect(db_path)
    connection.execute("CREATE TABLE notes (note TEXT)")
    connection.execute("INSERT INTO notes VALUES ('not FaceForge')")
    connection.commit()
    connection.close()
    original = db_path.read_bytes()
    result = run_cli("migrate", home=home)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"faceforge: the database {db_path} has an unknown schema (neither FaceForge's nor"
        " FaceForge 0.1.x's): it was left unchanged; point FACEFORGE_HOME at another folder"
    ]
    assert db_path.read_bytes() == original
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["core.sqlite3"]


def test_what_0_1_x_allowed_and_we_refuse_is_mended_and_logged(tmp_path):
    """A duplicate of a live relationship, blank names and a job 0.1.x left running: adopted
    without failing, mended as docs/adopting.md says, each kind logged with its count."""
    expected = expected_of(SAMPLE)
    home = extract_moved(SAMPLE, tmp_path)
    original = expected["relationships"][0]
    unnamed = expected["entities"][0]["entity_id"]
    job_id = "ab" * 32
    connection = sqlite3.connect(home / "db" / "core.sqlite3")
    with connection:
        connection.execute(
            "INSERT INTO relationships (relationship_id, src_entity_id, dst_entity_id,"
            " relationship_type, created_at) VALUES (?, ?, ?, ?, '2030-01-01T00:00:00.000Z'),"
            " (?, ?, ?, '  ', '2030-01-01T00:00:00.000Z')",
            (
                *("cd" * 32, original["src_entity_id"], original["dst_entity_id"]),
                f" {original['relationship_type']} ",
                *("ef" * 32, original["src_entity_id"], original["dst_entity_id"]),
            ),
        )
        connection.execute(
            "UPDATE entities SET display_name = ' ', tags_json = '[\"\", \" x \"]'"
            " WHERE entity_id = ?",
            (unnamed,),
        )
        connection.execute(
            "INSERT INTO jobs (job_id, job_type, status, started_at)"
            " VALUES (?, 'assets.bulk-import', 'running', '2026-01-01T00:00:00.000Z')",
            (job_id,),
        )
    connection.close()
    server = LiveServer(home)
    try:
        related = relationships_of(server, [original["src_entity_id"]])
        same_pair = [
            r["relationship_type"]
            for r in related.values()
            if (r["src_entity_id"], r["dst_entity_id"])
            == (original["src_entity_id"], original["dst_entity_id"])
        ]
        assert sorted(same_pair) == sorted([original["relationship_type"], "related"])
        assert original["relationship_id"] in related
        entity = data_of(server, f"/v1/entities/{unnamed}")
        assert (entity["display_name"], entity["tags"]) == ("(no name)", ["x"])
        assert unnamed in search_ids(server, tag="X")
        job = data_of(server, f"/v1/jobs/{job_id}")
        assert (job["status"], job["error"]["code"]) == ("failed", "interrupted")
    finally:
        server.close()
    log_text = (home / "logs" / "core.log").read_text(encoding="utf-8")
    for line in (
        "1 entities with a blank name were named '(no name)'",
        "1 relationships with a blank type were given the type 'related'",
        "1 duplicate live relationships were ended (the oldest of each is kept)",
        "1 jobs left queued or running by 0.1.x were failed as interrupted",
    ):
        assert f"adopting FaceForge 0.1.x: {line}" in log_text


def test_killing_the_process_mid_conversion_leaves_the_database_as_it_was(tmp_path):
    """`kill -9` while the conversion runs (50,000 more entities make it last): the database
    is the 0.1.x one as it was, and the next start adopts it."""
    home = extract_moved(SAMPLE, tmp_path)
    db_path = home / "db" / "core.sqlite3"
    connection = sqlite3.connect(db_path)
    with connection:
        connection.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)"
            " INSERT INTO entities (entity_id, display_name, tags_json)"
            " SELECT lower(hex(randomblob(32))), 'Person ' || i, '[\"bulk\"]' FROM n"
        )
    connection.close()
    before = database_dump(db_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    process = subprocess.Popen(
        faceforge_command("--home", str(home), "migrate"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    log_path = home / "logs" / "core.log"
    try:
        wait_until(lambda: "before adopting it" in log_path.read_text(encoding="utf-8"), 60, 0.005)
    finally:
        process.kill()
    assert process.wait(timeout=10) != 0
    assert database_dump(db_path) == before
    assert run_cli("migrate", home=home).returncode == 0
    adopted_db = sqlite3.connect(db_path)
    try:
        live = adopted_db.execute("SELECT live_count FROM entity_totals").fetchone()[0]
    finally:
        adopted_db.close()
    assert live == len(expected_of(SAMPLE)["entities"]) + 50000


def test_a_database_of_an_early_0_1_x_is_refused_with_what_to_do(tmp_path):
    """An early 0.1.x database lacks columns the conversion reads: 0.1.9 upgrades it first."""
    home = extract_moved(SAMPLE, tmp_path)
    db_path = home / "db" / "core.sqlite3"
    connection = sqlite3.connect(db_path)
    with connection:
        connection.execute("DELETE FROM schema_migrations WHERE name LIKE '0004_%'")
    connection.close()
    original = db_path.read_bytes()
    result = run_cli("migrate", home=home)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"faceforge: the database {db_path} was written by an early FaceForge 0.1.x: open it"
        " once with FaceForge 0.1.9, then start this version; it was left unchanged"
    )
    assert db_path.read_bytes() == original
