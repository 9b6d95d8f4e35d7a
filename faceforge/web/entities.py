"""Entity routes (API.md §3, §6): parse, one domain call, a dict back."""

from faceforge.entities import bulk_upsert
from faceforge.entities import listing as entity_listing
from faceforge.entities import records as entities
from faceforge.web import params


def list_entities(services):
    return entity_listing.list_entities(services.db, params.query())


def create_entity(services):
    return entities.create_entity(services.db, params.json_body(services))


def get_entity(services, entity_id):
    return entities.get_entity(services.db, entity_id)


def update_entity(services, entity_id):
    return entities.update_entity(services.db, entity_id, params.json_body(services))


def delete_entity(services, entity_id):
    return entities.delete_entity(services.db, entity_id)


def bulk_upsert_entities(services):
    return bulk_upsert.bulk_upsert(services.db, params.json_body(services))
