"""Local wall-clock times to UTC instants, correct across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def parse_hhmm(value: str) -> dt.time:
    hour, minute = value.split(":")
    return dt.time(int(hour), int(minute))


def at_local(day: dt.date, hhmm: str, zone: str) -> dt.datetime:
    """The UTC instant of ``hhmm`` on ``day`` in ``zone``.

    A time that does not exist that day (the clocks jump forward over it) is moved forward by the
    jump, so 02:30 on the spring-forward night comes at 03:30; a time that happens twice (clocks go
    back) is taken at its first occurrence.
    """
    # zoneinfo reads a non-existent time with the offset from before the jump (fold=0), which is
    # exactly "moved forward by the jump", and an ambiguous one (fold=0) as its first occurrence.
    return dt.datetime.combine(day, parse_hhmm(hhmm), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def local_date(instant: dt.datetime, zone: str) -> dt.date:
    return instant.astimezone(ZoneInfo(zone)).date()


def next_at(after: dt.datetime, hhmm: str, zone: str, skip_until: dt.date | None = None) -> dt.datetime:
    """The first ``hhmm`` local time strictly after ``after`` (and on or after ``skip_until``)."""
    day = local_date(after, zone)
    if skip_until is not None and skip_until > day:
        day = skip_until
    for offset in range(0, 3):
        candidate = at_local(day + dt.timedelta(days=offset), hhmm, zone)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: a time of day recurs within three days")
