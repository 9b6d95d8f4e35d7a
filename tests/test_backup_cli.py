"""`python faceforge.py backup | verify | restore` as real subprocesses (API.md §11): a backup
through the running server or in-process, a restore that a real server then serves with the
same ids, links, metadata and token, and verify naming a flipped byte."""

import json
from pathlib import Path

from faceforge import runtime
from tests.assets_support import settled, upload_raw
from tests.backup_support import back_up, manifest
from tests.entity_support import create, link_asset
from tests.support import install_token, run_cli, write_core_json


def backup_path(completed) -> Path:
    """The folder named by `backup`'s last line: `Backup <path>: ...`."""
    assert completed.returncode == 0, completed.stderr
    return Path(completed.stdout.splitlines()[-1].removeprefix("Backup ").split(": ")[0])


def fill(server) -> dict:
    """Entities, a descriptor, a relationship, and an asset with metadata linked to one."""
    client = server.client
    ann = create(client, display_name="Ann Ö", tags=["friend"], fields={"eyes": "green"})
    bob = create(client, display_name="Bob")
    assert client.post("/v1/admin/field-defs", {"field_key": "note", "field_type": "string"}).data
    descriptor = {"field_key": "note", "value": "hi"}
    assert client.post(f"/v1/entities/{ann['entity_id']}/descriptors", descriptor).data
    relation = {"src_entity_id": ann["entity_id"], "dst_entity_id": bob["entity_id"]}
    assert client.post("/v1/relationships", {**relation, "relationship_type": "friend"}).data
    asset_id = upload_raw(client, b"the bytes of a photo", "photo.jpg").data["asset_id"]
    assert client.patch(f"/v1/assets/{asset_id}", {"user_metadata": {"caption": "lake"}}).data
    link_asset(server, ann["entity_id"], asset_id, role="portrait")
    settled(server, asset_id)
    return {"entity_id": ann["entity_id"], "asset_id": asset_id}


def visible(client, ids: dict) -> dict:
    """What a client sees of the filled home."""
    entity_id, asset_id = ids["entity_id"], ids["asset_id"]
    return {
        "entities": client.get("/v1/entities").data["items"],
        "entity": client.get(f"/v1/entities/{entity_id}").data,
        "descriptors": client.get(f"/v1/entities/{entity_id}/descriptors").data,
        "relationships": client.get("/v1/relationships", query={"entity_id": entity_id}).data,
        "links": client.get(f"/v1/entities/{entity_id}/assets").data,
        "asset": client.get(f"/v1/assets/{asset_id}").data,
        "bytes": client.get(f"/v1/assets/{asset_id}/download").body,
    }


def test_backup_then_restore_serves_the_same_home(start_server, tmp_path):
    home = tmp_path / "home"
    server = start_server(home)
    runtime.write_ports(server.config.home, core=server.port)
    ids = fill(server)
    before = visible(server.client, ids)

    completed = run_cli("backup", home=home)
    assert "in the running server" in completed.stderr
    assert "100.0%" in completed.stderr
    folder = backup_path(completed)
    assert folder.parent == home / "backups"
    assert run_cli("verify", str(folder), home=home).returncode == 0

    restored_home = tmp_path / "restored"
    restored = run_cli("restore", str(folder), "--home", str(restored_home), home=home)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert install_token(restored_home) == install_token(home)
    restored_server = start_server(restored_home)
    assert visible(restored_server.client, ids) == before
    assert restored_server.token == server.token


def test_restore_refuses_a_home_that_is_not_empty_unless_forced(start_server, tmp_path):
    home = tmp_path / "home"
    start_server(home).close()
    folder = backup_path(run_cli("backup", home=home))
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    refused = run_cli("restore", str(folder), "--home", str(occupied), home=home)
    assert refused.returncode == 1
    assert refused.stderr == (
        f"faceforge: {occupied} is not empty: restore into an empty folder or add --force\n"
    )
    assert sorted(path.name for path in occupied.iterdir()) == ["keep.txt"]
    forced = run_cli("restore", str(folder), "--home", str(occupied), "--force", home=home)
    assert forced.returncode == 0, forced.stderr
    assert install_token(occupied) == install_token(home)


def test_backup_without_a_server_runs_in_process(start_server, tmp_path):
    home = tmp_path / "home"
    server = start_server(home)
    ids = fill(server)
    server.close()
    (tmp_path / "elsewhere").mkdir()
    completed = run_cli("backup", "--to", str(tmp_path / "elsewhere"), home=home)
    assert "in this process" in completed.stderr
    folder = backup_path(completed)
    assert folder.parent == tmp_path / "elsewhere"
    assert manifest(folder)["counts"]["entities"] == 2
    assert stored_path(ids["asset_id"]) in {entry["path"] for entry in manifest(folder)["files"]}


def stored_path(asset_id: str) -> str:
    return f"assets/files/{asset_id[:2]}/{asset_id}"


def filled_backup(start_server, home: Path) -> tuple[Path, str]:
    """A filled home, stopped, then backed up in-process: the backup folder and the path of
    its asset file inside it."""
    server = start_server(home)
    ids = fill(server)
    server.close()
    return backup_path(run_cli("backup", home=home)), stored_path(ids["asset_id"])


def test_verify_names_a_flipped_byte_and_restore_refuses(start_server, home, tmp_path):
    folder, asset_path = filled_backup(start_server, home)
    damaged = bytearray((folder / asset_path).read_bytes())
    damaged[3] ^= 0x01
    (folder / asset_path).write_bytes(bytes(damaged))

    checked = run_cli("verify", str(folder), home=home)
    assert checked.returncode == 1
    assert checked.stdout.splitlines() == [
        f"{asset_path}: content does not match its SHA-256 in the manifest",
        f"1 problem(s) found in {folder}",
    ]
    target = tmp_path / "restored"
    refused = run_cli("restore", str(folder), "--home", str(target), home=home)
    assert refused.returncode == 1
    assert refused.stdout.splitlines() == [
        f"{asset_path}: content does not match its SHA-256 in the manifest"
    ]
    assert refused.stderr == f"faceforge: {folder} did not verify; nothing restored\n"
    assert not target.exists()


def test_verify_names_a_missing_file_and_a_damaged_snapshot(start_server, home):
    folder, asset_path = filled_backup(start_server, home)
    (folder / asset_path).unlink()
    database = folder / "db" / "core.sqlite3"
    database.write_bytes(b"not a database" + database.read_bytes()[14:])
    checked = run_cli("verify", str(folder), home=home)
    assert checked.returncode == 1
    lines = checked.stdout.splitlines()
    assert "db/core.sqlite3: content does not match its SHA-256 in the manifest" in lines
    assert f"{asset_path}: missing" in lines
    assert "db/core.sqlite3: file is not a database" in lines


def test_verify_names_a_manifest_path_that_no_backup_writes(start_server, home):
    folder, _ = filled_backup(start_server, home)
    document = manifest(folder)
    document["files"].append({"sha256": "0" * 64, "byte_size": 1, "path": "../outside.txt"})
    (folder / "MANIFEST.json").write_text(json.dumps(document), encoding="utf-8")
    checked = run_cli("verify", str(folder), home=home)
    assert checked.returncode == 1
    assert "../outside.txt: not a file a backup holds" in checked.stdout.splitlines()


def test_restore_refuses_to_replace_a_database_its_settings_place_outside_the_home(
    start_server, home, tmp_path
):
    write_core_json(home, {"paths": {"db_dir": str(tmp_path / "shared-db")}})
    start_server(home).close()
    folder = backup_path(run_cli("backup", home=home))
    refused = run_cli("restore", str(folder), "--home", str(tmp_path / "new"), home=home)
    assert refused.returncode == 1
    database = tmp_path / "shared-db" / "core.sqlite3"
    assert refused.stderr == f"faceforge: {database} already exists: move it away or add --force\n"
    assert not (tmp_path / "new").exists()


def test_a_home_restored_from_a_backup_job_shows_that_job_succeeded(start_server, tmp_path):
    home = tmp_path / "home"
    server = start_server(home)
    job = back_up(server.client)
    assert job["status"] == "succeeded"
    restored_home = tmp_path / "restored"
    restored = run_cli("restore", job["result"]["path"], "--home", str(restored_home), home=home)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    seen = start_server(restored_home).client.get(f"/v1/jobs/{job['job_id']}").data
    assert (seen["status"], seen["error"], seen["progress_percent"]) == ("succeeded", None, 100)
    assert seen["result"]["path"] == job["result"]["path"]
    assert "restored from the backup this job took" in seen["result"]["note"]
