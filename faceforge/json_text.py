"""The one writer of compact JSON text (the database's JSON columns, SQL parameters, response
bodies), fast for many short values, and the one reader of JSON from outside (request bodies,
sidecars, manifests), which bounds its nesting."""

import json

# Deeper JSON breaks things later: json.loads raises RecursionError near 1000 levels, json.dumps
# and the recursive validators (json_schema.py) a little below that, and SQLite's JSON functions
# refuse more than 1000. Values are stored inside other JSON (a sidecar sits three levels down
# in meta_json), so the limit stays far below all of those.
MAX_DEPTH = 64
CONTAINERS = (dict, list)

# json.dumps() with options builds a new encoder per call; everything shares this one.
ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# What `compact_encoder` checks its fast path against: every kind of JSON value once.
PROBE = {"text": 'Zo\u00eb \u2603 "q"\\', "list": [1, -2.5, True, False, None], "empty": {}}


def compact_encoder():
    """A function from a value to its compact JSON text, the same text as `ENCODER.encode`.

    No public API is as fast: `JSONEncoder.encode` builds the C encoder again on every call,
    which costs more than encoding a short column (bulk-upsert encodes 60,000 per call; a
    million short entity values take 1.7 s this way, 3.5 to 6 s through a bound `encode` or
    `json.dumps`). So this builds the C encoder once, with the arguments
    `JSONEncoder.iterencode` passes it, minus the circular-reference markers (a value parsed
    from JSON cannot refer to itself). `c_make_encoder` is private: should a Python lack it,
    or take other arguments, or write other text for the probe, this is `ENCODER.encode`."""
    try:
        encode = json.encoder.c_make_encoder(
            None,
            ENCODER.default,
            json.encoder.c_encode_basestring,
            None,
            ENCODER.key_separator,
            ENCODER.item_separator,
            False,
            False,
            True,
        )

        def fast(value) -> str:
            return "".join(encode(value, 0))

        if fast(PROBE) == ENCODER.encode(PROBE):
            return fast
    except TypeError:
        pass
    return ENCODER.encode


ENCODE = compact_encoder()


def dumps(value) -> str:
    """Compact JSON text. Empty lists and objects, common in bulk data, skip the encoder."""
    if value == []:
        return "[]"
    if value == {}:
        return "{}"
    return ENCODE(value)


DECODER = json.JSONDecoder()


def parse(text: str):
    """A JSON column as written by `dumps`. raw_decode skips json.loads' whitespace checks,
    which cost more than the decoding itself for these short values (a page has 250)."""
    return DECODER.raw_decode(text)[0]


def dumps_nullable(value) -> str | None:
    """A nullable JSON column: None stays SQL NULL."""
    return None if value is None else dumps(value)


def parse_nullable(text: str | None):
    return None if text is None else parse(text)


class Encoded(str):
    """A value already encoded as JSON text (by SQLite, say): the response envelope puts it
    in as it is, instead of encoding a Python value."""


class TooDeep(ValueError):
    """JSON from outside nests deeper than MAX_DEPTH levels."""

    def __init__(self):
        super().__init__(f"JSON nested deeper than {MAX_DEPTH} levels")


def nested_deeper_than(document, limit: int) -> bool:
    """Whether containers in `document` nest more than `limit` levels. It goes one level at a
    time instead of recursing, so any depth is safe to measure."""
    level = [document] if isinstance(document, CONTAINERS) else []
    for _ in range(limit):
        if not level:
            return False
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, CONTAINERS)
        ]
    return bool(level)


def refuse_constant(name: str):
    """A `parse_constant` for `loads`: Python's json accepts NaN and Infinity; JSON (and
    SQLite's JSON functions) do not."""
    raise ValueError(f"{name} is not JSON")


def loads(text: str, parse_constant=None):
    """JSON text from outside, parsed; TooDeep (a ValueError) when it nests deeper than
    MAX_DEPTH levels, also when it is so deep that json.loads itself runs out of stack."""
    try:
        document = json.loads(text, parse_constant=parse_constant)
    except RecursionError:
        raise TooDeep from None
    if nested_deeper_than(document, MAX_DEPTH):
        raise TooDeep
    return document
