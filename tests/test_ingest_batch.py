"""Batched ingest (bulk import): bytes are durable before any row points at them, so a crash
between the two leaves only unrecorded bytes, which the next start removes (or a re-import
adopts); duplicates within one batch; a cancel in the middle of a batch."""

import json

from faceforge.assets import maintenance
from tests.assets_support import leftovers, sha256
from tests.bulk_import_support import file_lines, run_import, sidecars, wait_for_end
from tests.support import wait_until

SAME = b"the same bytes twice"


def stored_path(server, data: bytes):
    digest = sha256(data)
    return server.config.home.assets_dir / "files" / digest[:2] / digest


def store_without_row(home, data: bytes):
    """What a crash between a batch's sync and its transaction leaves behind."""
    digest = sha256(data)
    path = home / "assets" / "files" / digest[:2] / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_bytes_a_crashed_batch_never_recorded_are_removed_at_the_next_start(
    start_server, home, tmp_path
):
    first = start_server(home)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "kept.bin").write_bytes(b"recorded before the crash")
    run_import(first.client, path=str(tmp_path / "photos"))
    first.close()
    orphan = store_without_row(home, b"stored, never recorded")
    kept = stored_path(first, b"recorded before the crash")
    journal = home / "tmp" / "placing-0123456789abcdef.txt"
    journal.write_text(f"{sha256(b'stored, never recorded')}\n{sha256(kept.read_bytes())}\n")

    second = start_server(home)
    assert not orphan.exists()
    assert kept.read_bytes() == b"recorded before the crash"
    assert list((home / "tmp").iterdir()) == []
    assert maintenance.check(second.services.db, second.services.storage) == []


def test_a_reimport_adopts_bytes_stored_without_a_row(server, tmp_path):
    # After a power loss the journal may be gone and the unrecorded file half-written.
    stale = store_without_row(server.home, b"half of it")
    stale.write_bytes(b"half")
    stale.rename(stored_path(server, b"half of it"))
    root = tmp_path / "photos"
    root.mkdir()
    (root / "whole.bin").write_bytes(b"half of it")
    assert maintenance.check(server.services.db, server.services.storage) != []

    job = run_import(server.client, path=str(root))
    assert job["result"]["imported"] == 1
    assert stored_path(server, b"half of it").read_bytes() == b"half of it"
    assert maintenance.check(server.services.db, server.services.storage) == []


def test_identical_files_in_one_batch_are_one_asset_with_both_sidecars(server, tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    for name, who in (("first.jpg", "first"), ("second.jpg", "second")):
        (root / name).write_bytes(SAME)
        (root / f"{name}_meta.json").write_text(json.dumps({"who": who}))
    job = run_import(server.client, path=str(root))
    result = job["result"]
    assert (result["imported"], result["skipped_existing"], result["errors"]) == (1, 1, 0)
    lines = [
        (line["message"], line["data"]["file"]) for line in file_lines(server.client, job["job_id"])
    ]
    assert lines == [
        ("Imported", "first.jpg"),
        ("Sidecar JSON skipped", "first.jpg_meta.json"),
        ("Skipped (already imported)", "second.jpg"),
        ("Sidecar JSON skipped", "second.jpg_meta.json"),
    ]
    asset = server.client.get(f"/v1/assets/{sha256(SAME)}").data
    assert asset["filename"] == "first.jpg"
    assert sidecars(asset) == [{"who": "first"}, {"who": "second"}]
    stored = leftovers(server)
    assert (len(stored["rows"]), len(stored["assets"]), stored["tmp"]) == (1, 1, [])


def test_a_cancel_in_the_middle_of_a_batch_keeps_what_was_copied_and_leaves_nothing_else(
    server, tmp_path
):
    root = tmp_path / "photos"
    root.mkdir()
    small = [f"small {index}".encode() for index in range(5)]
    for index, data in enumerate(small):
        (root / f"a{index}.bin").write_bytes(data)
    with open(root / "z-huge.bin", "wb") as handle:
        handle.truncate(64 * 2**30)  # sparse: read for minutes, cancelled long before
    job = server.client.post("/v1/assets/bulk-import", {"path": str(root)}).data
    wait_until(lambda: huge_is_being_read(server))
    server.client.post(f"/v1/jobs/{job['job_id']}/cancel")
    ended = wait_for_end(server.client, job["job_id"])
    assert ended["status"] == "canceled"
    lines = [
        (line["message"], line["data"]["file"]) for line in file_lines(server.client, job["job_id"])
    ]
    assert lines == [("Imported", f"a{index}.bin") for index in range(5)]
    stored = leftovers(server)
    assert sorted(stored["rows"]) == sorted(sha256(data) for data in small)
    assert stored["tmp"] == []
    assert maintenance.check(server.services.db, server.services.storage) == []


def huge_is_being_read(server) -> bool:
    """The job has moved on to the big file: a temp file larger than the small ones."""
    for path in server.config.home.tmp_dir.glob("ingest-*.part"):
        try:
            if path.stat().st_size > 2**20:
                return True
        except FileNotFoundError:
            pass  # a small file, moved into the store meanwhile
    return False
