"""Helpers shared by the entity, descriptor and relationship tests (all through HTTP, except
reading the events table, whose feed route belongs to another module)."""

import json


def create(client, **body) -> dict:
    return client.post("/v1/entities", body).data


def bulk(client, items: list[dict], **options) -> dict:
    return client.post("/v1/entities/bulk-upsert", {"items": items, **options}).data


def seed(client, count: int, start: int = 0, **extra) -> list[dict]:
    """`count` entities named "Person <n>" with external id person:<n>, in one bulk call."""
    items = [
        {"display_name": f"Person {n:05d}", "external_ids": {"person": str(n)}, **extra}
        for n in range(start, start + count)
    ]
    return bulk(client, items)["items"]


def listing(client, **query) -> dict:
    return client.get("/v1/entities", query=query).data


def names(page: dict) -> list[str]:
    return [item["display_name"] for item in page["items"]]


def events(server, subject_id: str | None = None) -> list[tuple[str, str, dict | None]]:
    """`(type, subject_id, data)` of the events written so far, oldest first."""
    with server.services.db.read() as connection:
        rows = connection.execute(
            "SELECT type, subject_id, data_json FROM events ORDER BY event_id"
        ).fetchall()
    return [
        (row[0], row[1], json.loads(row[2]) if row[2] else None)
        for row in rows
        if subject_id is None or row[1] == subject_id
    ]


def event_count(server) -> int:
    with server.services.db.read() as connection:
        return connection.execute("SELECT count(*) FROM events").fetchone()[0]


def upload_asset(server, data: bytes = b"thumbnail bytes", *, deleted: bool = False) -> str:
    """An asset uploaded through the API (optionally deleted again); returns its id."""
    asset_id = server.client.request(
        "POST",
        "/v1/assets/upload?filename=thumb.jpg",
        body=data,
        headers={"Content-Type": "application/octet-stream"},
    ).data["asset_id"]
    if deleted:
        assert server.client.delete(f"/v1/assets/{asset_id}").data == {"deleted": True}
    return asset_id


def link_asset(server, entity_id: str, asset_id: str, role: str = "photo") -> None:
    reply = server.client.post(f"/v1/entities/{entity_id}/assets/{asset_id}", {"role": role})
    assert reply.data["linked"] is True


def assert_validation_error(reply, *locs: list) -> dict:
    """A 422 whose details name exactly the given places (in any order)."""
    assert reply.status == 422, reply.body
    error = reply.error
    assert error["code"] == "validation_error"
    assert sorted(map(tuple, (d["loc"] for d in error["details"]))) == sorted(map(tuple, locs))
    return error
