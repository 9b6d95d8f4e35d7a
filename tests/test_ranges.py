"""The Range planner as a table: request headers in, status and byte positions out."""

from datetime import UTC, datetime

import pytest

from faceforge.web.ranges import MAX_RANGES, plan

SIZE = 100
ETAG = '"abc"'
MODIFIED = datetime(2024, 5, 1, 12, 30, 15, 250_000, tzinfo=UTC)
MODIFIED_HTTP = "Wed, 01 May 2024 12:30:15 GMT"
EARLIER_HTTP = "Wed, 01 May 2024 12:30:14 GMT"

CASES = [
    # (id, headers, status, ranges)
    ("no-range", {}, 200, ()),
    ("closed", {"range": "bytes=0-9"}, 206, ((0, 9),)),
    ("open-ended", {"range": "bytes=90-"}, 206, ((90, 99),)),
    ("suffix", {"range": "bytes=-10"}, 206, ((90, 99),)),
    ("suffix-longer-than-file", {"range": "bytes=-500"}, 206, ((0, 99),)),
    ("end-past-eof-clamped", {"range": "bytes=95-1000"}, 206, ((95, 99),)),
    ("last-byte", {"range": "bytes=99-99"}, 206, ((99, 99),)),
    ("whole-file-as-range", {"range": "bytes=0-"}, 206, ((0, 99),)),
    ("unit-case-insensitive", {"range": "BYTES=0-0"}, 206, ((0, 0),)),
    ("spaces-around-specs", {"range": "bytes= 0-1 , 5-6 "}, 206, ((0, 1), (5, 6))),
    ("start-at-size", {"range": "bytes=100-"}, 416, ()),
    ("start-past-size", {"range": "bytes=150-200"}, 416, ()),
    ("suffix-zero", {"range": "bytes=-0"}, 416, ()),
    ("reversed", {"range": "bytes=3-1"}, 416, ()),
    ("unknown-unit", {"range": "items=0-5"}, 200, ()),
    ("no-equals", {"range": "bytes 0-5"}, 200, ()),
    ("garbage", {"range": "bytes=abc"}, 200, ()),
    ("lone-dash", {"range": "bytes=-"}, 200, ()),
    ("empty-set", {"range": "bytes="}, 200, ()),
    ("negative-start", {"range": "bytes=--5"}, 200, ()),
    ("one-bad-spec-spoils-all", {"range": "bytes=0-5,x-y"}, 200, ()),
    ("two-ranges", {"range": "bytes=0-1,10-19"}, 206, ((0, 1), (10, 19))),
    ("order-kept", {"range": "bytes=50-59,0-9"}, 206, ((50, 59), (0, 9))),
    ("overlap-merged", {"range": "bytes=0-10,5-20,50-"}, 206, ((0, 20), (50, 99))),
    ("adjacent-after-overlap", {"range": "bytes=0-4,3-9,10-12"}, 206, ((0, 12),)),
    ("unsatisfiable-dropped", {"range": "bytes=0-1,200-300"}, 206, ((0, 1),)),
    ("all-unsatisfiable", {"range": "bytes=200-300,-0"}, 416, ()),
    ("too-many-ranges-ignored", {"range": "bytes=" + ",".join(["0-0"] * 65)}, 200, ()),
    ("if-none-match-hit", {"if-none-match": '"abc"', "range": "bytes=0-1"}, 304, ()),
    ("if-none-match-weak-hit", {"if-none-match": 'W/"abc"'}, 304, ()),
    ("if-none-match-list", {"if-none-match": '"x", "abc"'}, 304, ()),
    ("if-none-match-star", {"if-none-match": "*"}, 304, ()),
    ("if-none-match-miss", {"if-none-match": '"other"'}, 200, ()),
    ("if-modified-since-same", {"if-modified-since": MODIFIED_HTTP}, 304, ()),
    ("if-modified-since-earlier", {"if-modified-since": EARLIER_HTTP}, 200, ()),
    ("if-modified-since-garbage", {"if-modified-since": "yesterday"}, 200, ()),
    (
        "if-none-match-overrides-modified-since",
        {"if-none-match": '"other"', "if-modified-since": MODIFIED_HTTP},
        200,
        (),
    ),
    ("if-range-tag-hit", {"range": "bytes=0-1", "if-range": '"abc"'}, 206, ((0, 1),)),
    ("if-range-tag-stale", {"range": "bytes=0-1", "if-range": '"old"'}, 200, ()),
    ("if-range-weak-never", {"range": "bytes=0-1", "if-range": 'W/"abc"'}, 200, ()),
    ("if-range-date-hit", {"range": "bytes=0-1", "if-range": MODIFIED_HTTP}, 206, ((0, 1),)),
    ("if-range-date-stale", {"range": "bytes=0-1", "if-range": EARLIER_HTTP}, 200, ()),
    ("if-range-garbage", {"range": "bytes=0-1", "if-range": "soon"}, 200, ()),
    ("if-range-without-range", {"if-range": '"abc"'}, 200, ()),
]


@pytest.mark.parametrize(
    ("headers", "status", "ranges"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_range_plan(headers, status, ranges):
    result = plan(headers, SIZE, ETAG, MODIFIED)
    assert (result.status, result.ranges) == (status, ranges)


def test_one_byte_file_suffix_and_start():
    assert plan({"range": "bytes=-1"}, 1, ETAG, MODIFIED).ranges == ((0, 0),)
    assert plan({"range": "bytes=1-"}, 1, ETAG, MODIFIED).status == 416


def test_the_limit_itself_is_served():
    header = "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(MAX_RANGES))
    assert len(plan({"range": header}, SIZE * 2, ETAG, MODIFIED).ranges) == MAX_RANGES
