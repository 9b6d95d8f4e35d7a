"""JSON nested deeper than json_text.MAX_DEPTH (64) levels is refused wherever the server reads
JSON: request bodies, sidecars, plugin manifests, query values, ExifTool's output. Within the
limit it is stored and read back. (Every JSON body route is probed in test_openapi.py.)"""

import base64
import json

from tests.assets_support import NOTHING, leftovers, settled, upload, upload_raw
from tests.bulk_import_support import run_import
from tests.conftest import require_tool
from tests.entity_support import listing
from tests.plugin_support import write_plugin

TOO_DEEP = 100_000


def nested_list(depth: int) -> str:
    """The JSON text of `depth` lists, one inside the other."""
    return "[" * depth + "]" * depth


def deep_xmp(depth: int) -> bytes:
    """An XMP packet whose one property holds `depth` structures, one inside the other."""
    value = "<x:v>1</x:v>"
    for _ in range(depth):
        value = f'<x:s rdf:parseType="Resource">{value}</x:s>'
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:x="http://ns.example/x/">{value}</rdf:Description>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


def create_entity_with_field(client, field_json: str):
    body = f'{{"display_name":"Deep","fields":{{"x":{field_json}}}}}'.encode()
    return client.post("/v1/entities", body=body, headers={"Content-Type": "application/json"})


def test_a_body_at_the_limit_is_stored_and_read_back_and_one_level_more_is_422(client):
    # The body object and `fields` are two of the 64 levels.
    created = create_entity_with_field(client, nested_list(62)).data
    expected = json.loads(nested_list(62))
    assert created["fields"] == {"x": expected}
    assert client.get(f"/v1/entities/{created['entity_id']}").data["fields"] == {"x": expected}
    assert [item["fields"] for item in listing(client)["items"]] == [{"x": expected}]

    refused = create_entity_with_field(client, nested_list(63))
    assert refused.status == 422
    assert refused.error["details"] == [
        {"loc": ["body"], "msg": "JSON nested deeper than 64 levels", "type": "json_invalid"}
    ]
    assert listing(client)["total"] == 1


def test_a_deep_sidecar_is_refused_before_anything_is_stored(server):
    reply = upload(server.client, b"payload", "p.jpg", meta=nested_list(TOO_DEEP).encode())
    assert reply.status == 422
    assert reply.error["details"] == [
        {
            "loc": ["body", "meta"],
            "msg": "_meta.json must not nest deeper than 64 levels",
            "type": "value_error",
        }
    ]
    assert leftovers(server) == NOTHING
    assert server.client.get("/v1/ping").status == 200


def test_a_bulk_import_names_a_deep_sidecar_and_finishes(server, tmp_path):
    (tmp_path / "a.txt").write_bytes(b"alpha")
    (tmp_path / "a.txt_meta.json").write_text(nested_list(TOO_DEEP), encoding="utf-8")
    job = run_import(server.client, path=str(tmp_path))
    assert job["status"] == "succeeded"
    log = server.client.get(f"/v1/jobs/{job['job_id']}/log", query={"limit": 1000}).data
    assert "_meta.json must not nest deeper than 64 levels" in json.dumps(log)


def test_a_deep_plugin_manifest_is_listed_with_its_error(server):
    write_plugin(server.home, "deep", f'{{"id":"deep","name":"D","x":{nested_list(TOO_DEEP)}}}')
    listed = {plugin["folder"]: plugin for plugin in server.client.get("/v1/plugins").data["items"]}
    assert listed["deep"]["error"] == "plugin.json is nested deeper than 64 levels"
    assert server.client.post("/v1/plugins/deep/enable").status == 409


def test_a_deep_cursor_is_malformed_and_a_deep_field_filter_matches_nothing(client):
    deep_text = nested_list(20_000)  # beyond json.loads, within Waitress's 256 KiB of headers
    cursor = base64.urlsafe_b64encode(deep_text.encode()).decode().rstrip("=")
    reply = client.get("/v1/entities", query={"cursor": cursor})
    assert reply.status == 422
    assert reply.error["details"][0]["loc"] == ["query", "cursor"]
    assert listing(client, **{"field.x": deep_text})["total"] == 0


def test_exiftool_output_nested_too_deep_marks_the_extraction_failed(server):
    require_tool("exiftool")
    asset_id = upload_raw(server.client, deep_xmp(100), "deep.xmp").data["asset_id"]
    assert settled(server, asset_id)["metadata_status"] == "failed"
    assert [item["asset_id"] for item in server.client.get("/v1/assets").data["items"]] == [
        asset_id
    ]
