"""The System page's backups (API.md §11) in a real browser: "Back up now" queues the job,
links to it, and the new backup is listed once it is done; Verify shows what the verify job
found; Restore offers the command that restores that backup; the Export card and "Export this
entity" start the export job and say where the tree went."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import faceforge
from tests.assets_support import upload_raw
from tests.backup_support import back_up
from tests.ui_support import expect


def test_back_up_now_lists_the_new_backup_and_links_to_its_job(ui):
    page = ui.visit("#/system", "System")
    backups = page.get_by_role("region", name="Backups")
    expect(backups).to_contain_text("No backups yet.")
    page.get_by_role("button", name="Back up now").click()
    expect(backups.get_by_role("status")).to_contain_text("Backup succeeded", timeout=30_000)
    [backup] = ui.server.client.get("/v1/admin/backups").data["items"]
    expect(backups.locator("tbody tr")).to_have_count(1)
    expect(backups.locator("tbody tr")).to_contain_text(backup["name"])
    backups.get_by_role("link", name="job").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("system.backup")


def test_verify_shows_the_problem_a_flipped_byte_makes(ui):
    client = ui.server.client
    asset_id = upload_raw(client, b"a file to damage", "damage.txt").data["asset_id"]
    whole, damaged = back_up(client)["result"], back_up(client)["result"]
    path = f"assets/files/{asset_id[:2]}/{asset_id}"
    stored = Path(damaged["path"]) / path
    stored.unlink()  # hard-linked to the first backup's copy: replace it, not change it
    stored.write_bytes(b"A file to damage")
    page = ui.visit("#/system", "System")
    backups = page.get_by_role("region", name="Backups")
    report = backups.get_by_role("status")
    backups.get_by_role("row", name=whole["name"]).get_by_role("button", name="Verify").click()
    expect(report).to_contain_text(f"Backup {whole['name']} is whole: 3 files checked.")
    backups.get_by_role("row", name=damaged["name"]).get_by_role("button", name="Verify").click()
    expect(report).to_contain_text(
        f"Backup {damaged['name']} has 1 problem(s): {path}: content does not match its SHA-256"
    )
    report.get_by_role("link", name="job").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("system.backup_verify")


def test_restore_offers_the_command_that_restores_this_backup(ui, start_server):
    """The command runs this server's own program (here the checkout's faceforge.py with this
    interpreter; the zipapp's in test_release.py), and works as shown."""
    entity_id = ui.server.client.post("/v1/entities", {"display_name": "Kept"}).data["entity_id"]
    backup = back_up(ui.server.client)["result"]
    page = ui.visit("#/system", "System")
    backups = page.get_by_role("region", name="Backups")
    backups.get_by_role("button", name="Restore…").click()
    report = backups.get_by_role("status")
    expect(report).to_contain_text("A running server cannot restore into its own home")
    command = report.get_by_role("textbox", name="Restore command").input_value()
    home = ui.server.config.home.root
    program = [sys.executable, str(Path(faceforge.__file__).parent.parent / "faceforge.py")]
    restore = ["restore", backup["path"], "--home", f"{home}-restored"]
    assert command == shlex.join([*program, *restore])
    report.get_by_role("button", name="Copy").click()
    expect(page.get_by_text(re.compile(r"Command (copied|selected)"))).to_be_visible()
    restored = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=120)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    restored_home = start_server(Path(f"{home}-restored"))
    assert restored_home.client.get(f"/v1/entities/{entity_id}").data["display_name"] == "Kept"


def test_the_export_card_exports_and_shows_a_refusal_with_the_servers_message(ui, tmp_path):
    ui.server.client.post("/v1/entities", {"display_name": "Ann"})
    ui.allow(422, "POST", r"^/v1/admin/exports$")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("mine")
    page = ui.visit("#/system", "System")
    form = page.get_by_role("form", name="Export")
    form.get_by_label("Destination folder").fill(str(taken))
    form.get_by_role("button", name="Export").click()
    expect(form.get_by_role("alert")).to_contain_text(
        f"{taken} is not empty: export into a new or empty folder"
    )
    destination = tmp_path / "export"
    form.get_by_label("Destination folder").fill(str(destination))
    form.get_by_role("button", name="Export").click()
    expect(form.get_by_role("status")).to_contain_text(
        f"Exported 1 entities and 0 files to {destination}.", timeout=30_000
    )
    assert (destination / "faceforge-export.json").is_file()
    form.get_by_role("link", name="job").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("system.export")


def test_an_entity_page_exports_that_entity(ui, tmp_path):
    client = ui.server.client
    ann = client.post("/v1/entities", {"display_name": "Ann"}).data["entity_id"]
    client.post("/v1/entities", {"display_name": "Bob"})
    page = ui.visit(f"#/entities/{ann}", "Ann")
    form = page.get_by_role("form", name="Export this entity")
    destination = tmp_path / "ann"
    form.get_by_label("Destination folder").fill(str(destination))
    form.get_by_role("button", name="Export this entity").click()
    expect(form.get_by_role("status")).to_contain_text(
        f"Exported 1 entities and 0 files to {destination}.", timeout=30_000
    )
    assert sorted(path.name for path in destination.iterdir()) == [
        f"Ann ({ann[:8]})",
        "faceforge-export.json",
    ]
