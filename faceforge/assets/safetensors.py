"""Model files: the JSON header of a `.safetensors` file as a metadata entry (API.md §10).

A safetensors file starts with the length of its header (8 bytes, little-endian), then the
header: a JSON object with one key per tensor (its dtype, shape and offsets) and an optional
`__metadata__` object of strings, where trainers such as kohya's sd-scripts note what the
model is and how it was trained. Reading it costs two reads at the start of the file, the
length and the header, whatever the file's size; the tensors are never read. Ingest reads it
from the staged bytes before they are stored, so it costs the same on every storage.
"""

import logging
from collections import Counter
from typing import Any, BinaryIO

from faceforge import json_text

log = logging.getLogger("faceforge.safetensors")

SUFFIX = ".safetensors"
LENGTH_BYTES = 8
MAX_HEADER_BYTES = 100 * 1024 * 1024
METADATA_KEY = "__metadata__"
MAX_TRIGGER_WORDS = 20
# kohya's `ss_network_module` → the kind of network it trains (another module: its last part).
NETWORK_KINDS = {
    "networks.lora": "lora",
    "networks.dylora": "dylora",
    "networks.oft": "oft",
    "lycoris.kohya": "lycoris",
}


class InvalidHeader(ValueError):
    """The header cannot be read as safetensors says; the message says why."""


def is_model_file(filename: str) -> bool:
    return filename.lower().endswith(SUFFIX)


def metadata_entry(stream: BinaryIO, byte_size: int, label: str) -> dict[str, Any] | None:
    """The `Safetensors` entry of a model file of `byte_size` bytes read from `stream`; None,
    with a log line naming `label`, when its header is not valid."""
    try:
        data = header_data(read_header(stream, byte_size))
    except InvalidHeader as error:
        log.warning("safetensors header of %s not read: %s", label, error)
        return None
    return {
        "Source": "Safetensors",
        "Type": "JsonMetadata",
        "Name": None,
        "NameHashes": None,
        "Data": data,
    }


def read_header(stream: BinaryIO, byte_size: int) -> dict[str, Any]:
    """The header object; its length is checked against the limit and the file's size before
    a byte of it is read."""
    prefix = stream.read(LENGTH_BYTES)
    if len(prefix) < LENGTH_BYTES:
        raise InvalidHeader(f"the file is shorter than the {LENGTH_BYTES}-byte header length")
    length = int.from_bytes(prefix, "little")
    if length > MAX_HEADER_BYTES:
        limit = MAX_HEADER_BYTES
        raise InvalidHeader(f"the header claims {length} bytes, over the {limit} allowed")
    if LENGTH_BYTES + length > byte_size:
        raise InvalidHeader(f"the header length {length} points past the end of the file")
    try:
        header = json_text.loads(
            stream.read(length).decode("utf-8"), parse_constant=json_text.refuse_constant
        )
    except ValueError as error:
        raise InvalidHeader(f"the header is not JSON ({error})") from None
    if not isinstance(header, dict):
        raise InvalidHeader("the header is not a JSON object")
    if not isinstance(header.get(METADATA_KEY, {}), dict):
        raise InvalidHeader(f"{METADATA_KEY} is not a JSON object")
    return header


def header_data(header: dict[str, Any]) -> dict[str, Any]:
    """The entry's Data: `__metadata__` with its JSON strings parsed, and the summary."""
    metadata = {key: parsed(value) for key, value in header.get(METADATA_KEY, {}).items()}
    data = {"metadata": metadata, "summary": summary(header, metadata)}
    try:
        json_text.dumps(data).encode("utf-8")
    except UnicodeEncodeError:
        # An unpaired `\ud800` escape parses into a string that UTF-8 (and SQLite) cannot hold.
        raise InvalidHeader("the header holds an unpaired surrogate escape") from None
    return data


def parsed(value: Any) -> Any:
    """A string that holds a JSON object or array, parsed (kohya keeps ss_tag_frequency,
    ss_dataset_dirs and others that way); any other value as it is. Strings such as "32" or
    "True" stay strings: only containers are worth unpacking, and a number's text is kept
    exactly as the trainer wrote it."""
    if not isinstance(value, str) or value.lstrip()[:1] not in ("{", "["):
        return value
    try:
        return json_text.loads(value, parse_constant=json_text.refuse_constant)
    except ValueError:
        return value


def summary(header: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "architecture": architecture(metadata),
        "base_model": base_model(metadata),
        "trigger_words": trigger_words(metadata.get("ss_tag_frequency")),
        "tensor_count": len(header) - (METADATA_KEY in header),
    }


def text(metadata: dict[str, Any], key: str) -> str | None:
    """A non-blank string value of `metadata`, trimmed; None otherwise."""
    value = metadata.get(key)
    return (value.strip() or None) if isinstance(value, str) else None


def architecture(metadata: dict[str, Any]) -> str | None:
    """modelspec's `architecture` when the trainer wrote one (`stable-diffusion-xl-v1-base/lora`);
    else the same shape from kohya's keys: base model version, then the kind of network
    (`sdxl_base_v1-0/lora`), either alone when the other is unknown."""
    declared = text(metadata, "modelspec.architecture")
    if declared is not None:
        return declared
    module = text(metadata, "ss_network_module")
    network = None if module is None else NETWORK_KINDS.get(module, module.rsplit(".", 1)[-1])
    parts = [part for part in (text(metadata, "ss_base_model_version"), network) if part]
    return "/".join(parts) or None


def base_model(metadata: dict[str, Any]) -> str | None:
    """The model it was trained on: kohya's `ss_sd_model_name`, else its
    `ss_base_model_version`, else the base part of modelspec's architecture."""
    declared = text(metadata, "modelspec.architecture")
    return (
        text(metadata, "ss_sd_model_name")
        or text(metadata, "ss_base_model_version")
        or (None if declared is None else declared.split("/", 1)[0])
    )


def trigger_words(tag_frequency: Any) -> list[str]:
    """The most frequent training tags of kohya's `ss_tag_frequency` ({dataset: {tag: count}}),
    counts summed over the datasets: at most MAX_TRIGGER_WORDS, most frequent first, ties in
    alphabetical order."""
    if not isinstance(tag_frequency, dict):
        return []
    totals: Counter[str] = Counter()
    for tags in tag_frequency.values():
        if not isinstance(tags, dict):
            continue
        for tag, count in tags.items():
            if tag.strip() and isinstance(count, int) and not isinstance(count, bool):
                totals[tag.strip()] += count
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return [tag for tag, _count in ranked[:MAX_TRIGGER_WORDS]]
