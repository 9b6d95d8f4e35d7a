"""The change feed over HTTP: `GET /v1/events?after_id=&type=&limit=`."""

from faceforge import events
from faceforge.web import params


def list_events(services):
    query = params.query()
    after_id, limit = params.after_id_page(query)
    return events.feed(services.db, after_id, params.optional(query, "type"), limit)
