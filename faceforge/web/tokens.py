"""API keys over HTTP (`/v1/admin/tokens`, API.md §12): create, list, delete."""

from faceforge import api_keys, validate
from faceforge.web import params


def list_tokens(services):
    return api_keys.list_keys(services.db)


def create_token(services):
    request = params.json_body(services)
    name = validate.name(validate.required(request, "name"), ("body", "name"))
    scopes = api_keys.scope_list(validate.required(request, "scopes"), ("body", "scopes"))
    expires_at = request.get("expires_at")
    if expires_at is not None:
        expires_at = validate.timestamp(expires_at, ("body", "expires_at"))
    return api_keys.create_key(services.db, name, scopes, expires_at)


def delete_token(services, token_id):
    api_keys.delete_key(services.db, token_id)
    return {"deleted": True}
