"""Descriptor and field-definition routes (API.md §3, §4): parse, one domain call, a dict."""

from faceforge.entities import descriptors, field_defs
from faceforge.web import params


def list_descriptors(services, entity_id):
    return descriptors.list_descriptors(services.db, entity_id)


def create_descriptor(services, entity_id):
    return descriptors.create_descriptor(services.db, entity_id, params.json_body(services))


def update_descriptor(services, descriptor_id):
    return descriptors.update_descriptor(services.db, descriptor_id, params.json_body(services))


def delete_descriptor(services, descriptor_id):
    return descriptors.delete_descriptor(services.db, descriptor_id)


def scope_parameter() -> str | None:
    """`?scope=`, which picks the scope a field_key in the path is looked up in."""
    return params.optional(params.query(), "scope")


def list_field_defs(services):
    return field_defs.list_field_defs(services.db, scope_parameter())


def create_field_def(services):
    return field_defs.create_field_def(services.db, params.json_body(services))


def get_field_def(services, field_def_id_or_key):
    return field_defs.get_field_def(services.db, field_def_id_or_key, scope_parameter())


def update_field_def(services, field_def_id_or_key):
    return field_defs.update_field_def(
        services.db, field_def_id_or_key, scope_parameter(), params.json_body(services)
    )


def delete_field_def(services, field_def_id_or_key):
    return field_defs.delete_field_def(services.db, field_def_id_or_key, scope_parameter())
