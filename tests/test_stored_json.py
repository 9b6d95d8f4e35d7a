"""Every JSON column is written by one encoder (`json_text.dumps`): compact text, with
non-ASCII characters kept as they are. Values go in over HTTP; the columns are read back."""

import json

from faceforge import json_text
from tests.assets_support import settled, upload
from tests.plugin_support import minimal_manifest, write_plugin


def column(server, sql: str, *parameters) -> str:
    with server.services.db.read() as connection:
        return connection.execute(sql, parameters).fetchone()[0]


def assert_compact_utf8(text: str, expected_value) -> None:
    assert json.loads(text) == expected_value
    assert text == json_text.dumps(expected_value), "compact, non-ASCII kept as it is"


def test_every_json_column_holds_compact_utf8_text(server):
    client = server.client
    sidecar = {"caption": "Zoë à la plage", "people": ["Zoë", "Åsa"]}
    asset_id = upload(client, b"plain bytes", "zoe.txt", meta=json.dumps(sidecar).encode()).data[
        "asset_id"
    ]
    settled(server, asset_id)
    user_metadata = {"ville": "Zürich", "note": "été"}
    assert client.patch(f"/v1/assets/{asset_id}", {"user_metadata": user_metadata}).status == 200
    options = {"options": ["bleu", "marrón"]}
    definition = client.post(
        "/v1/admin/field-defs", {"field_key": "yeux", "field_type": "enum", "options": options}
    ).data
    write_plugin(server.home, "tagger", minimal_manifest("tagger"))
    config = {"modèle": "grand"}
    assert client.put("/v1/plugins/tagger/config", {"config": config}).status == 200

    meta_json = column(server, "SELECT meta_json FROM assets WHERE asset_id = ?", asset_id)
    assert_compact_utf8(meta_json, json.loads(meta_json))
    assert "Zoë à la plage" in meta_json
    assert_compact_utf8(
        column(server, "SELECT user_metadata_json FROM assets WHERE asset_id = ?", asset_id),
        user_metadata,
    )
    assert_compact_utf8(
        column(
            server,
            "SELECT options_json FROM field_definitions WHERE field_def_id = ?",
            definition["field_def_id"],
        ),
        options,
    )
    assert_compact_utf8(
        column(server, "SELECT config_json FROM plugin_registry WHERE plugin_id = ?", "tagger"),
        config,
    )
