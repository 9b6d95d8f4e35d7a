"""Crash safety and housekeeping: tmp/ is emptied at start, `faceforge check` finds rows
without bytes and bytes without rows, and the purge removes only what nothing refers to."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from faceforge import clock, ids
from tests.assets_support import events_of, files_under, insert_entity, upload
from tests.support import run_cli


def test_leftovers_in_tmp_are_removed_at_start(start_server, home):
    tmp = home / "tmp"
    (tmp / "half-upload").mkdir(parents=True)
    (tmp / "half-upload" / "part").write_bytes(b"x" * 100)
    (tmp / "ingest-0000.part").write_bytes(b"y" * 100)
    start_server(home)
    assert files_under(tmp) == []
    assert list(tmp.iterdir()) == []


@pytest.fixture
def stored_home(start_server, home):
    """A home with three assets, its server stopped (as `check` is run by hand)."""
    server = start_server(home)
    assets = [upload(server.client, f"asset {n}".encode() * 50, f"{n}.txt").data for n in range(3)]
    server.close()
    return home, assets


def run_check(home, *flags):
    return run_cli("check", *flags, home=home)


def test_check_of_a_healthy_home_passes(stored_home):
    home, _ = stored_home
    result = run_check(home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("no problems")


def test_check_reports_every_kind_of_damage(stored_home):
    home, assets = stored_home
    files = home / "assets"
    (files / assets[0]["storage_key"]).unlink()
    with open(files / assets[1]["storage_key"], "ab") as handle:
        handle.write(b"!")
    damaged = bytearray((files / assets[2]["storage_key"]).read_bytes())
    damaged[0] ^= 0xFF
    (files / assets[2]["storage_key"]).write_bytes(bytes(damaged))
    orphan_id = ids.new_id()
    (files / "files" / orphan_id[:2]).mkdir(parents=True, exist_ok=True)
    (files / "files" / orphan_id[:2] / orphan_id).write_bytes(b"nobody's")
    (files / "stray.txt").write_bytes(b"?")
    result = run_check(home)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"asset {assets[0]['asset_id']} (0.txt): bytes are missing" in lines
    size = assets[1]["byte_size"]
    assert (
        f"asset {assets[1]['asset_id']} (1.txt): size is {size + 1} bytes, the row says {size}"
        in lines
    )
    assert f"asset {assets[2]['asset_id']} (2.txt): content no longer matches its SHA-256" in lines
    assert f"fs:files/{orphan_id[:2]}/{orphan_id} is stored but no asset row owns it" in lines
    assert "fs:stray.txt is stored but no asset row owns it" in lines
    assert lines[-1] == "5 problem(s) found (checked sizes and SHA-256)"


def test_quick_check_compares_sizes_only(stored_home):
    home, assets = stored_home
    path = home / "assets" / assets[2]["storage_key"]
    damaged = bytearray(path.read_bytes())
    damaged[0] ^= 0xFF
    path.write_bytes(bytes(damaged))
    assert run_check(home, "--quick").returncode == 0
    assert run_check(home).returncode == 1


def test_deleted_assets_still_own_their_bytes(start_server, home):
    server = start_server(home)
    asset = upload(server.client, b"deleted but kept", "d.txt").data
    server.client.delete(f"/v1/assets/{asset['asset_id']}")
    server.close()
    assert run_check(home).returncode == 0


def age_deletion(server, asset_id: str, days: int) -> None:
    """Pretend the asset was deleted `days` ago."""
    moment = clock.format_time(datetime.now(UTC) - timedelta(days=days))
    with server.services.db.write() as connection:
        connection.execute(
            "UPDATE assets SET deleted_at = ? WHERE asset_id = ?", (moment, asset_id)
        )


def purge(server, **body):
    return server.client.post("/v1/admin/purge", body or None).data


def test_purge_removes_rows_and_bytes_deleted_long_enough_ago(server):
    old = upload(server.client, b"old and deleted", "old.txt").data
    recent = upload(server.client, b"recently deleted", "recent.txt").data
    live = upload(server.client, b"still here", "live.txt").data
    for asset in (old, recent):
        server.client.delete(f"/v1/assets/{asset['asset_id']}")
    age_deletion(server, old["asset_id"], 31)
    age_deletion(server, recent["asset_id"], 2)
    result = purge(server)
    assert result == {
        "purged": [
            {
                "asset_id": old["asset_id"],
                "filename": "old.txt",
                "byte_size": old["byte_size"],
                "storage_provider": "fs",
            }
        ],
        "count": 1,
        "bytes_freed": old["byte_size"],
        "failed": [],
        "uploads_expired": 0,
    }
    stored = files_under(server.config.home.assets_dir)
    assert stored == sorted([recent["storage_key"], live["storage_key"]])
    with server.services.db.read() as connection:
        assert (
            connection.execute(
                "SELECT count(*) FROM assets WHERE asset_id = ?", (old["asset_id"],)
            ).fetchone()[0]
            == 0
        )
    assert purge(server, older_than_days=1)["count"] == 1
    assert files_under(server.config.home.assets_dir) == [live["storage_key"]]


def test_purge_keeps_what_is_still_referenced(server):
    source = upload(server.client, b"source", "s.png").data["asset_id"]
    child = upload(server.client, b"child", "c.png", derived_from=source).data["asset_id"]
    thumb = upload(server.client, b"thumbnail", "t.png").data["asset_id"]
    entity_id = insert_entity(server)
    for asset_id in (source, thumb):
        server.client.delete(f"/v1/assets/{asset_id}")
    # Deleting an asset clears it as a thumbnail; a home adopted from 0.1.x may still hold one.
    with server.services.db.write() as connection:
        connection.execute(
            "UPDATE entities SET primary_thumbnail_asset_id = ? WHERE entity_id = ?",
            (thumb, entity_id),
        )
    assert purge(server, older_than_days=0)["count"] == 0
    server.client.delete(f"/v1/assets/{child}")
    purged = {item["asset_id"] for item in purge(server, older_than_days=0)["purged"]}
    assert purged == {source, child}, "the child first, then its source in the next round"


def test_purged_bytes_can_be_uploaded_again_as_a_new_asset(server):
    asset = upload(server.client, b"phoenix", "p.txt").data
    server.client.delete(f"/v1/assets/{asset['asset_id']}")
    purge(server, older_than_days=0)
    again = upload(server.client, b"phoenix", "p2.txt").data
    assert again["asset_id"] == asset["asset_id"]
    assert again["filename"] == "p2.txt"
    created = [
        json.loads(d) if d else d
        for k, d in events_of(server, asset["asset_id"])
        if k == "asset.created"
    ]
    assert created[-1] != {"restored": True}
    assert server.client.get(f"/v1/assets/{asset['asset_id']}/download").body == b"phoenix"


@pytest.mark.parametrize("body", [{"older_than_days": -1}, {"older_than_days": "x"}])
def test_bad_purge_request_is_422(server, body):
    reply = server.client.post("/v1/admin/purge", body)
    assert reply.status == 422
    assert reply.error["details"][0]["loc"] == ["body", "older_than_days"]


def test_purge_needs_the_token(server):
    assert server.anonymous.post("/v1/admin/purge", {}).status == 401
