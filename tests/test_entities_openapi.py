"""Fuzzing the entity, descriptor, field-definition and relationship routes with a real entity
to find (test_openapi.py fuzzes every route, but mostly reaches the 404 branch of id paths):
no 5xx and no reply the document does not describe."""

import json

import pytest

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is not installed (pip install -e '.[test]')"
)

from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from faceforge import resources
from tests.support import LiveServer

OUR_PATHS = r"^/v1/(entities|descriptors|admin/field-defs|relationships|relation-types)"
DOCUMENT = json.loads(resources.read_text("openapi.json"))
schema = schemathesis.openapi.from_dict(DOCUMENT).include(path_regex=OUR_PATHS)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("fuzz") / "home")
    # Something to find, so that paths with ids reach more than the 404 branch.
    entity = server.client.post("/v1/entities", {"display_name": "Fuzzed"}).data
    server.client.post("/v1/admin/field-defs", {"field_key": "k", "field_type": "json"})
    server.entity_id = entity["entity_id"]
    yield server
    server.close()


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzzing_gets_no_server_error_and_only_documented_replies(case, live):
    if "entity_id" in (case.path_parameters or {}):
        case.path_parameters["entity_id"] = live.entity_id
    case.call_and_validate(
        base_url=live.url,
        headers={"X-FaceForge-Token": live.token},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
