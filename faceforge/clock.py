"""Timestamps as UTC text `YYYY-MM-DDTHH:MM:SS.sssZ`, which sort as they compare."""

from datetime import UTC, datetime, timedelta


def format_time(moment: datetime) -> str:
    # isoformat() is several times faster than strftime(), and ingest stamps every row.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def now() -> str:
    return format_time(datetime.now(UTC))


def parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def after(seconds: float) -> str:
    """The time `seconds` from now, in the same format."""
    return format_time(datetime.now(UTC) + timedelta(seconds=seconds))
