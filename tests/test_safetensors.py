"""API.md §10, model files: a `.safetensors` upload gets a `Safetensors` metadata entry read
from the file's header (its `__metadata__` with JSON strings parsed, and a summary), whichever
way it arrives; a header that is not valid leaves the asset stored without the entry and says
why in the log."""

import hashlib
import json

import pytest

from tests.assets_support import upload, upload_raw
from tests.bulk_import_support import run_import
from tests.support import log_once_it_holds, write_core_json
from tests.tus_support import create

TENSORS = {
    "lora_unet_down.alpha": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]},
    "lora_unet_down.lora_down.weight": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
}
TENSOR_BYTES = bytes(range(12))
TAG_FREQUENCY = {
    "1_ada": {"ada": 40, "smile": 12, "red dress": 3},
    "2_ada closeup": {"ada": 20, "smile": 5, " portrait ": 9},
}
KOHYA = {
    "ss_network_module": "networks.lora",
    "ss_base_model_version": "sdxl_base_v1-0",
    "ss_sd_model_name": "sd_xl_base_1.0.safetensors",
    "ss_network_dim": "32",
    "ss_tag_frequency": json.dumps(TAG_FREQUENCY),
    "ss_dataset_dirs": json.dumps({"1_ada": {"n_repeats": 1, "img_count": 40}}),
    "ss_training_comment": "{not json",
}
MODELSPEC = {"modelspec.architecture": "stable-diffusion-xl-v1-base/lora"}


def model_file(metadata: dict | None = None) -> bytes:
    """A safetensors file: the header's length (8 bytes, little-endian), the header, the
    tensors' bytes."""
    header = TENSORS if metadata is None else {"__metadata__": metadata, **TENSORS}
    return with_header(json.dumps(header).encode())


def with_header(header: bytes, claimed_length: int | None = None) -> bytes:
    length = len(header) if claimed_length is None else claimed_length
    return length.to_bytes(8, "little") + header + TENSOR_BYTES


def model_entries(asset: dict) -> list:
    return [entry for entry in asset["meta"]["metadata"] if entry["Source"] == "Safetensors"]


def read_back(server, asset_id: str) -> list:
    return model_entries(server.client.get(f"/v1/assets/{asset_id}").data)


def test_kohya_lora_gets_its_metadata_and_summary(server):
    data = model_file({**KOHYA, **MODELSPEC})
    asset = upload(server.client, data, "ada.safetensors", kind="lora").data
    assert (
        read_back(server, asset["asset_id"])
        == model_entries(asset)
        == [
            {
                "Source": "Safetensors",
                "Type": "JsonMetadata",
                "Name": None,
                "NameHashes": None,
                "Data": {
                    "metadata": {
                        **KOHYA,
                        **MODELSPEC,
                        "ss_tag_frequency": TAG_FREQUENCY,
                        "ss_dataset_dirs": {"1_ada": {"n_repeats": 1, "img_count": 40}},
                    },
                    "summary": {
                        "architecture": "stable-diffusion-xl-v1-base/lora",
                        "base_model": "sd_xl_base_1.0.safetensors",
                        "trigger_words": ["ada", "smile", "portrait", "red dress"],
                        "tensor_count": 2,
                    },
                },
            }
        ]
    )


SUMMARIES = {
    "kohya without modelspec": (
        KOHYA,
        {"architecture": "sdxl_base_v1-0/lora", "base_model": "sd_xl_base_1.0.safetensors"},
    ),
    "modelspec only": (
        MODELSPEC,
        {
            "architecture": "stable-diffusion-xl-v1-base/lora",
            "base_model": "stable-diffusion-xl-v1-base",
        },
    ),
    "base version only": (
        {"ss_base_model_version": "sd_v1"},
        {"architecture": "sd_v1", "base_model": "sd_v1"},
    ),
    "network module only": (
        {"ss_network_module": "lycoris.kohya"},
        {"architecture": "lycoris", "base_model": None},
    ),
    "no metadata": (None, {"architecture": None, "base_model": None}),
}


@pytest.mark.parametrize("metadata, expected", SUMMARIES.values(), ids=SUMMARIES.keys())
def test_architecture_and_base_model_from_what_the_header_says(server, metadata, expected):
    asset = upload(server.client, model_file(metadata), "m.safetensors").data
    summary = model_entries(asset)[0]["Data"]["summary"]
    assert {key: summary[key] for key in expected} == expected
    assert summary["tensor_count"] == 2


def test_trigger_words_are_the_twenty_most_frequent_tags(server):
    frequencies = {f"tag{number:02}": number for number in range(1, 26)}
    frequencies["tie"] = 25
    metadata = {"ss_tag_frequency": json.dumps({"a": frequencies, "b": {"tag01": 100}})}
    asset = upload(server.client, model_file(metadata), "m.safetensors").data
    words = model_entries(asset)[0]["Data"]["summary"]["trigger_words"]
    expected = ["tag01", "tag25", "tie", *(f"tag{number:02}" for number in range(24, 7, -1))]
    assert words == expected


def test_every_way_in_reads_the_header(server, tmp_path):
    """Upload (multipart and raw), tus and bulk import all pass through ingest."""
    files = {
        f"{way}.safetensors": model_file({"ss_sd_model_name": way})
        for way in ("multipart", "raw", "tus", "bulk")
    }
    upload(server.client, files["multipart.safetensors"], "multipart.safetensors")
    upload_raw(server.client, files["raw.safetensors"], "raw.safetensors")
    tus_file = files["tus.safetensors"]
    create(server.client, len(tus_file), {"filename": "tus.safetensors"}, body=tus_file)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "bulk.safetensors").write_bytes(files["bulk.safetensors"])
    assert run_import(server.client, path=str(tmp_path / "models"))["status"] == "succeeded"
    for name, data in files.items():
        entries = read_back(server, hashlib.sha256(data).hexdigest())
        assert [entry["Data"]["summary"]["base_model"] for entry in entries] == [
            name.removesuffix(".safetensors")
        ]


def test_only_model_files_get_the_entry_once(server):
    data = model_file(KOHYA)
    assert model_entries(upload(server.client, data, "ada.bin").data) == []
    for _again in range(2):
        entries = model_entries(upload(server.client, data, "ada.safetensors").data)
        assert [entry["Data"]["summary"]["tensor_count"] for entry in entries] == [2]


CORRUPT = {
    "length past the end": (with_header(b"{}", claimed_length=100), "points past the end"),
    "not JSON": (with_header(b"not json at all"), "is not JSON"),
    "over 100 MB claimed": (
        with_header(b"{}", claimed_length=100 * 2**20 + 1),
        "claims 104857601 bytes, over the 104857600 allowed",
    ),
    "not an object": (with_header(b"[1, 2]"), "is not a JSON object"),
    "metadata not an object": (
        with_header(b'{"__metadata__": "x"}'),
        "__metadata__ is not a JSON object",
    ),
    "shorter than the length": (b"\x01\x02\x03", "shorter than the 8-byte header length"),
    "nested too deep": (with_header(b"[" * 100 + b"]" * 100), "nested deeper than 64 levels"),
    "NaN": (with_header(b'{"a": NaN}'), "NaN is not JSON"),
    "not UTF-8": (with_header(b'{"\xff": 1}'), "is not JSON"),
    "unpaired surrogate": (
        with_header(b'{"__metadata__": {"x": "[\\"\\\\ud800\\"]"}}'),
        "unpaired surrogate",
    ),
}


@pytest.mark.parametrize("data, reason", CORRUPT.values(), ids=CORRUPT.keys())
def test_invalid_header_stores_the_asset_without_the_entry_and_logs_why(server, data, reason):
    reply = upload(server.client, data, "bad.safetensors")
    assert reply.status == 200
    asset_id = reply.data["asset_id"]
    assert read_back(server, asset_id) == []
    download = server.client.get(f"/v1/assets/{asset_id}/download")
    assert download.status == 200 and download.body == data
    logged = f"safetensors header of {asset_id} (bad.safetensors) not read: "
    log_text = log_once_it_holds(server, logged)
    assert reason in log_text.split(logged, 1)[1].splitlines()[0]


def test_a_large_model_file_gets_its_entry(start_server, tmp_path):
    """200 MB, sparse on disk: the header is read at the start, the rest is never needed."""
    home = tmp_path / "home"
    write_core_json(home, {"tools": {"exiftool_enabled": False}})
    server = start_server(home)
    path = tmp_path / "big.safetensors"
    with path.open("wb") as handle:
        handle.write(model_file(KOHYA))
        handle.truncate(200 * 2**20)
    with path.open("rb") as body:
        reply = upload_raw(
            server.client, body, "big.safetensors", {"Content-Length": str(200 * 2**20)}
        )
    asset = reply.data
    try:
        assert asset["byte_size"] == 200 * 2**20
        summary = model_entries(asset)[0]["Data"]["summary"]
        assert summary["base_model"] == "sd_xl_base_1.0.safetensors"
    finally:
        (server.config.home.assets_dir / asset["storage_key"]).unlink()
