"""New ids (API.md §1): 64 hex characters that start with their creation time in milliseconds
(12 hex digits), so that rows made together land together in the id indexes; through HTTP."""

import re
import time

from tests.entity_support import bulk, create
from tests.test_relationships import relate


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def made_at(new_id: str) -> int:
    """The creation time an id carries, in milliseconds since 1970."""
    assert re.fullmatch("[0-9a-f]{64}", new_id), new_id
    return int(new_id[:12], 16)


def test_new_ids_start_with_the_time_they_were_made(client):
    begin = now_ms()
    ann = create(client, display_name="Ann")["entity_id"]
    bob = create(client, display_name="Bob")["entity_id"]
    field_def = client.post(
        "/v1/admin/field-defs", {"field_key": "eyes", "field_type": "string"}
    ).data["field_def_id"]
    descriptor = client.post(
        f"/v1/entities/{ann}/descriptors", {"field_key": "eyes", "value": "blue"}
    ).data["descriptor_id"]
    relationship = relate(client, ann, bob).data["relationship_id"]
    job = client.post("/v1/admin/thumbnails/rebuild").data["job_id"]
    key = client.post("/v1/admin/tokens", {"name": "ids", "scopes": ["read"]}).data["token_id"]
    end = now_ms()
    made = [ann, bob, field_def, descriptor, relationship, job, key]
    assert all(begin <= made_at(new_id) <= end for new_id in made), (begin, made, end)
    assert [made_at(new_id) for new_id in made] == sorted(made_at(new_id) for new_id in made)


def test_a_bulk_calls_ids_are_distinct_and_later_than_the_earlier_calls(client):
    """A bulk call draws the random part of its ids in bulk; every id still has its own."""
    first = [item["entity_id"] for item in bulk(client, [{"display_name": "A"}] * 1500)["items"]]
    time.sleep(0.002)
    second = [item["entity_id"] for item in bulk(client, [{"display_name": "B"}] * 10)["items"]]
    assert len(set(first + second)) == len(first + second)
    assert max(map(made_at, first)) < min(map(made_at, second))
    assert len({new_id[12:] for new_id in first}) == len(first)
