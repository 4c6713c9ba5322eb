"""Start-up planning in bulk: every patient without a pending reminder of a kind gets their next one.

Planning patient by patient costs an ORM object and two statements each: minutes for 100,000 patients,
all before the bot answers anyone. Here the patients are read as plain rows, each one's next moment is
computed in Python (memoised: patients share time zones and check-in times), the keys already used are
read with one query per chunk, and the new reminders are written with one statement per chunk. The
result is the per-patient planners' one: the first moment after now whose key was not used before.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.repos import reminders as repo

log = logging.getLogger(__name__)
CHUNK = 2_000
TRIES = 4  # moments looked at per patient when keys were used already (as the per-patient planners)

# (schedule, after) -> (local day, instant) of the first moment strictly after ``after``. ``schedule``
# has the patient's ``checkin_time``, ``timezone`` and ``reminders_paused_until``, like a Patient.
NextMoment = Callable[[Any, dt.datetime], tuple[dt.date, dt.datetime]]


async def plan_missing(session: AsyncSession, kind: str, next_moment: NextMoment, now: dt.datetime) -> int:
    """Plans ``kind`` (key ``<kind>:<local date>``) for each active, onboarded patient lacking one."""
    schedules = await repo.schedules_without(session, kind)
    memo: dict[tuple[Any, ...], tuple[dt.date, dt.datetime]] = {}

    def moment(schedule: Any, after: dt.datetime) -> tuple[dt.date, dt.datetime]:
        key = (schedule.checkin_time, schedule.timezone, schedule.reminders_paused_until, after)
        if key not in memo:
            memo[key] = next_moment(schedule, after)
        return memo[key]

    since = f"{kind}:{(now - dt.timedelta(days=3)).date().isoformat()}"
    planned = 0
    for start in range(0, len(schedules), CHUNK):
        part = schedules[start : start + CHUNK]
        used = await repo.used_keys(session, [s.id for s in part], kind, since)
        rows = [row for s in part if (row := _first_free(s, kind, now, moment, used)) is not None]
        await repo.plan_many(session, rows)
        planned += len(rows)
    return planned


def _first_free(
    schedule: Any, kind: str, now: dt.datetime, moment: NextMoment, used: set[tuple[int, str]]
) -> dict[str, Any] | None:
    after = now
    for _ in range(TRIES):
        day, due = moment(schedule, after)
        key = f"{kind}:{day.isoformat()}"
        if (schedule.id, key) not in used:
            payload = {"date": day.isoformat()}
            return {"patient_id": schedule.id, "kind": kind, "key": key, "due_at": due, "payload": payload}
        after = due
    return None


async def plan_at_start(
    services: Any, planner: Callable[[Any, AsyncSession], Awaitable[int]], what: str
) -> None:
    """Runs a feature's start-up planner in its own transaction; a failure is logged, never fatal (the
    reminders it would plan are planned again at the next start and after each change)."""
    try:
        async with services.db.transaction() as session:
            planned = await planner(services, session)
    except Exception:
        log.exception("could not plan %s at start-up", what)
        return
    if planned:
        log.info("planned %d %s at start-up", planned, what)
