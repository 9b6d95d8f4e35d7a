"""The handwritten OpenAPI document is the contract: valid, equal to the route table, and
true of the live server under fuzzing."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from openapi_spec_validator import validate

from faceforge import resources
from faceforge.web import ROUTES
from tests.support import REPO_ROOT

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def document() -> dict:
    return json.loads(resources.read_text("openapi.json"))


def openapi_path(bottle_path: str) -> str:
    """`/v1/entities/<entity_id>` → `/v1/entities/{entity_id}`; `/ui/<path:path>` → `/ui/{path}`."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", bottle_path)


def test_document_is_valid_openapi_3_1():
    spec = document()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_routes_and_document_describe_the_same_operations():
    routed = {(route.method, openapi_path(route.path)) for route in ROUTES}
    documented = {
        (method.upper(), path)
        for path, item in document()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    assert routed - documented == set(), "routes missing from openapi.json"
    assert documented - routed == set(), "documented operations with no route"


def test_every_operation_documents_its_errors():
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            assert "default" in operation["responses"], f"{method} {path} lacks a default error"
            assert operation.get("summary"), f"{method} {path} lacks a summary"


def test_document_version_is_the_package_version():
    from faceforge import __version__

    assert document()["info"]["version"] == __version__


def json_operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every documented operation that takes a JSON body, path parameters
    filled with an id that names nothing."""
    return [
        (method.upper(), re.sub(r"\{\w+\}", "0" * 64, path))
        for path, item in document()["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
        and "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


@pytest.mark.parametrize("depth", [100_000, 500])
def test_every_json_body_nested_too_deep_is_422_and_the_server_keeps_answering(server, depth):
    """Every route that reads JSON, present and future, refuses deep nesting before anything
    looks at the body: 100,000 levels are beyond what json.loads can parse, 500 are within it
    but beyond what json.dumps, the validators and SQLite's JSON functions can take."""
    body = ('{"deep":' + "[" * depth + "]" * depth + "}").encode("utf-8")
    headers = {"Content-Type": "application/json"}
    operations = json_operations()
    assert len(operations) > 20
    for method, path in operations:
        reply = server.client.request(method, path, body=body, headers=headers)
        if reply.status == 413:  # a route whose own limit is below the body's size (/ui/login)
            assert reply.error["code"] == "payload_too_large", (method, path)
            continue
        assert reply.status == 422, (method, path, reply.body[:300])
        assert reply.error["details"] == [
            {"loc": ["body"], "msg": "JSON nested deeper than 64 levels", "type": "json_invalid"}
        ], (method, path)
    assert server.client.get("/v1/ping").status == 200


FUZZ_CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "unsupported_method",
    ]
)


@pytest.mark.slow
def test_fuzzing_every_operation_finds_no_server_error_and_no_contract_violation(server, tmp_path):
    """Every route, present and future, is fuzzed here with bounded examples per operation."""
    executable = shutil.which("schemathesis") or shutil.which("st")
    if executable is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{server.url}/openapi.json",
        "--url",
        server.url,
        "--checks",
        FUZZ_CHECKS,
        "--max-examples",
        "12",
        "--seed",
        "20261124",
        "--max-redirects",
        "0",
        "--phases",
        "examples,coverage,fuzzing",
        "--generation-database",
        "none",
        "--header",
        f"X-FaceForge-Token: {server.token}",
        "--request-timeout",
        "30",
        "--workers",
        "1",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    # cwd: schemathesis keeps a cache folder in the current directory.
    hooks = {"SCHEMATHESIS_HOOKS": str(REPO_ROOT / "tests" / "schemathesis_hooks.py")}
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        env={**os.environ, **hooks},
    )
    assert completed.returncode == 0, completed.stdout[-8000:] + completed.stderr[-2000:]
