"""The System page's backups (API.md §11) in a real browser: "Back up now" queues the job,
links to it, and the new backup is listed once it is done."""

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
