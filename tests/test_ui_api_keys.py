"""The System page's API keys (API.md §12) in a real browser: create one with scopes, see its
secret once with Copy, and revoke it."""

from tests.support import Client
from tests.ui_support import expect


def test_create_copy_and_revoke_an_api_key(ui):
    page = ui.visit("#/system", "System")
    keys = page.get_by_role("region", name="API keys")
    expect(keys).to_contain_text("No API keys yet.")
    form = keys.get_by_role("form", name="New API key")
    form.get_by_label("Name").fill("photo sync")
    form.get_by_label("write").check()
    form.get_by_role("button", name="Create key").click()
    shown = keys.get_by_label("New key")
    expect(shown).not_to_have_value("")
    secret = shown.input_value()
    expect(keys).to_contain_text("it is not shown again")
    keys.get_by_role("button", name="Copy").click()
    ui.notice("Key")
    expect(keys.locator("tbody tr")).to_have_count(1)
    expect(keys.locator("tbody tr")).to_contain_text("read, write")
    key_client = Client("127.0.0.1", ui.server.port, secret)
    assert key_client.get("/v1/entities").status == 200

    dialog = ui.dialog_from("Revoke key photo sync")
    dialog.get_by_role("button", name="Revoke").click()
    expect(keys).to_contain_text("No API keys yet.")
    assert key_client.get("/v1/entities").status == 401
