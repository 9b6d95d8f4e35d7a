"""Fuzzed requests to the asset routes never get a 5xx or a reply that contradicts the
document (test_openapi.py checks that the routes and the document agree)."""

import json

import pytest

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is not installed (pip install -e '.[test]')"
)

from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from faceforge import resources
from tests.support import LiveServer

DOCUMENT = json.loads(resources.read_text("openapi.json"))


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
