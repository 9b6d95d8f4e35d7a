"""Timestamps as UTC text `YYYY-MM-DDTHH:MM:SS.sssZ`, which sort as they compare."""

import time
from datetime import UTC, datetime, timedelta


def format_time(moment: datetime) -> str:
    # isoformat() is several times faster than strftime(), and ingest stamps every row.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


_last_stamp: tuple[int, str] = (-1, "")


def now() -> str:
    """The current time; within one millisecond (a batch of rows) the same text is reused."""
    global _last_stamp
    milliseconds = time.time_ns() // 1_000_000
    cached, text = _last_stamp
    if milliseconds != cached:
        moment = datetime.fromtimestamp(milliseconds // 1000, UTC)
        text = format_time(moment.replace(microsecond=milliseconds % 1000 * 1000))
        _last_stamp = (milliseconds, text)
    return text


def parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def after(seconds: float) -> str:
    """The time `seconds` from now, in the same format."""
    return format_time(datetime.now(UTC) + timedelta(seconds=seconds))
