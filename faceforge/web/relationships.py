"""Relationship routes (API.md §3, §6): parse, one domain call, a dict back."""

from faceforge import validate
from faceforge.entities import relationships
from faceforge.web import params


def list_relationships(services):
    entity_id = validate.name(
        validate.required(params.query(), "entity_id", ("query",)), ("query", "entity_id")
    )
    return relationships.list_relationships(services.db, entity_id)


def create_relationship(services):
    return relationships.create_relationship(services.db, params.json_body(services))


def delete_relationship(services, relationship_id):
    return relationships.delete_relationship(services.db, relationship_id)


def relation_types(services):
    query = params.query()
    limit = params.optional_integer(query, "limit", 20, 1, 200)
    prefix = params.optional(query, "query") or ""
    return relationships.relation_types(services.db, prefix, limit)
