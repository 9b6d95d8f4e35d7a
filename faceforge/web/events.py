"""The change feed over HTTP: `GET /v1/events?after_id=&type=&limit=`."""

from faceforge import events, validate
from faceforge.web import params

PAGE_DEFAULT = 100
PAGE_MAX = 1000


def list_events(services):
    query = params.query()
    after_id = validate.integer(query.get("after_id", 0), ("query", "after_id"), 0)
    limit = validate.integer(query.get("limit", PAGE_DEFAULT), ("query", "limit"), 1, PAGE_MAX)
    event_type = query.get("type", "").strip() or None
    return events.feed(services.db, after_id, event_type, limit)
