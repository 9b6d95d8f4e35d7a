"""The asset routes and openapi.json agree, and fuzzed requests never get a 5xx or a reply
that contradicts the document."""

import json
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from faceforge import resources
from faceforge.web import ROUTES
from tests.support import LiveServer

DOCUMENT = json.loads(resources.read_text("openapi.json"))
ASSET_PATHS = re.compile(r"/v1/(assets|entities/\{entity_id\}/assets|admin/purge)")


def documented(path: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)


def test_document_is_valid_openapi():
    validate(DOCUMENT)


def test_asset_routes_and_document_agree():
    routed = {
        (route.method, documented(route.path))
        for route in ROUTES
        if ASSET_PATHS.match(documented(route.path))
    }
    described = {
        (method.upper(), path)
        for path, item in DOCUMENT["paths"].items()
        if ASSET_PATHS.match(path)
        for method in item
    }
    assert routed == described
    assert ("HEAD", "/v1/assets/{asset_id}/download") in routed


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("fuzz") / "home")
    yield server
    server.close()


SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@SCHEMA.include(tag="assets").parametrize()
@settings(max_examples=15, suppress_health_check=list(HealthCheck), deadline=None)
def test_fuzzed_asset_requests_conform(case, live):
    case.call_and_validate(
        base_url=live.url, headers={"X-FaceForge-Token": live.token}, checks=CHECKS
    )
