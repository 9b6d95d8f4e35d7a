"""Planning a byte response from its request headers (RFC 9110 §13, §14): 200, 206, 304 or 416.

Pure: header values, the size and the validators go in, a `Plan` comes out; `web/files.py`
turns the plan into a response. The choices where the RFC leaves room, and the 0.1.x
behaviours kept on purpose:

- `If-None-Match` (weak comparison, `*` matches) → 304; without it, `If-Modified-Since` at or
  after Last-Modified → 304. Both win over Range.
- `If-Range` that does not match (a weak tag never does; a date must equal Last-Modified)
  → the whole body, 200.
- A Range in another unit, or one that does not parse, is ignored → 200.
- Specs that cannot be satisfied (start ≥ size, `-0`) or are reversed (`3-1`, as in 0.1.x)
  are dropped; when nothing is left the answer is 416.
- More than `MAX_RANGES` ranges are ignored (200, the whole body); overlapping ranges are
  merged, so a request can never make us send more bytes than the file has.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

MAX_RANGES = 64
RANGE_SPEC = re.compile(r"(\d*)-(\d*)")


@dataclass(frozen=True)
class Plan:
    status: int
    # Inclusive (first, last) byte positions, for 206 only.
    ranges: tuple[tuple[int, int], ...] = ()


def entity_tags(header: str) -> list[str]:
    """`"a", W/"b"` → ['"a"', 'W/"b"']; tags may not contain commas, so splitting is safe."""
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def none_match(header: str, etag: str) -> bool:
    """Weak comparison, as RFC 9110 §13.1.2 asks for If-None-Match."""
    tags = entity_tags(header)
    return "*" in tags or opaque(etag) in {opaque(tag) for tag in tags}


def http_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


def whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def not_modified_since(header: str, last_modified: datetime) -> bool:
    since = http_date(header)
    return since is not None and whole_seconds(last_modified) <= since


def if_range_matches(header: str, etag: str, last_modified: datetime) -> bool:
    """Strong comparison for a tag; exact equality for a date (§13.1.5)."""
    value = header.strip()
    if value.startswith(('"', "W/")):
        return value == etag and not etag.startswith("W/")
    moment = http_date(value)
    return moment is not None and moment == whole_seconds(last_modified)


def satisfiable(first: str, last: str, size: int) -> tuple[int, int] | None:
    """One spec as inclusive positions clamped to the file, or None when it cannot be served."""
    if not first:
        length = int(last)
        return (max(0, size - length), size - 1) if length > 0 and size > 0 else None
    start = int(first)
    end = size - 1 if not last else min(int(last), size - 1)
    if start >= size or (last and int(last) < start):
        return None
    return start, end


def merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The ranges as asked, unless some overlap: then merged, in file order."""
    ordered = sorted(ranges)
    if all(ordered[i][1] < ordered[i + 1][0] for i in range(len(ordered) - 1)):
        return ranges
    result = [ordered[0]]
    for start, end in ordered[1:]:
        if start <= result[-1][1] + 1:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


def parse_range(header: str, size: int) -> list[tuple[int, int]] | None:
    """The satisfiable ranges of a `Range` header ([] → 416), or None to ignore it (→ 200)."""
    unit, separator, range_set = header.partition("=")
    if not separator or unit.strip().lower() != "bytes":
        return None
    specs = [spec.strip() for spec in range_set.split(",") if spec.strip()]
    if not specs or len(specs) > MAX_RANGES:
        return None
    parsed = [RANGE_SPEC.fullmatch(spec) for spec in specs]
    if any(match is None or match.group(0) == "-" for match in parsed):
        return None
    ranges = [satisfiable(*match.groups(), size) for match in parsed]
    kept = [found for found in ranges if found is not None]
    return merged(kept) if kept else []


def plan(headers: dict[str, str | None], size: int, etag: str, last_modified: datetime) -> Plan:
    """`headers` holds the request's `range`, `if-range`, `if-none-match` and
    `if-modified-since` values (None when absent)."""
    if headers.get("if-none-match") is not None:
        if none_match(headers["if-none-match"], etag):
            return Plan(304)
    elif headers.get("if-modified-since") is not None and not_modified_since(
        headers["if-modified-since"], last_modified
    ):
        return Plan(304)
    range_header = headers.get("range")
    if range_header is None:
        return Plan(200)
    if_range = headers.get("if-range")
    if if_range is not None and not if_range_matches(if_range, etag, last_modified):
        return Plan(200)
    ranges = parse_range(range_header, size)
    if ranges is None:
        return Plan(200)
    if not ranges:
        return Plan(416)
    return Plan(206, tuple(ranges))
