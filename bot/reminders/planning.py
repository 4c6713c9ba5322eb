"""Start-up planning in bulk: every patient without a pending reminder of a kind gets their next one.

Planning patient by patient costs an ORM object and two statements each: minutes for 100,000 patients,
all before the bot answers anyone. Here the patients are read as plain rows, each one's next moment is
computed in Python (memoised: patients share time zones and check-in times), the keys already used are
read with one query per chunk, and the new reminders are written with one statement per chunk. The
result is the per-patient planners' one: the first moment after now whose key was not used before.

At start-up this runs while the bot already answers patients, so each chunk is a transaction of its own
(a writer holds SQLite's lock for milliseconds, not seconds) and leaves out the patients who got a pending
reminder of the kind in the meantime (set-up or /settings planned it: theirs is the newer one).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.repos import reminders as repo

CHUNK = 2_000
TRIES = 4  # moments looked at per patient when keys were used already (as the per-patient planners)

# (schedule, after) -> (local day, instant) of the first moment strictly after ``after``. ``schedule``
# has the patient's ``checkin_time``, ``timezone`` and ``reminders_paused_until``, like a Patient.
NextMoment = Callable[[Any, dt.datetime], tuple[dt.date, dt.datetime]]
# Opens a transaction: ``services.db.transaction``, or :func:`within` an open session.
Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def transactions(services: Any, session: AsyncSession | None) -> Transaction:
    """Planning inside ``session`` when one is given, else in transactions of its own."""
    return within(session) if session is not None else services.db.transaction


def within(session: AsyncSession) -> Transaction:
    """Every "transaction" is the given session (its owner commits): planning inside a larger unit."""

    @asynccontextmanager
    async def same() -> AsyncIterator[AsyncSession]:
        yield session

    return same


async def plan_missing(transaction: Transaction, kind: str, next_moment: NextMoment, now: dt.datetime) -> int:
    """Plans ``kind`` (key ``<kind>:<local date>``) for each active, onboarded patient lacking one."""
    async with transaction() as session:
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
        ids = [s.id for s in part]
        async with transaction() as session:
            meanwhile = await repo.with_pending(session, ids, kind)
            used = await repo.used_keys(session, ids, kind, since)
            rows = [
                row
                for s in part
                if s.id not in meanwhile and (row := _first_free(s, kind, now, moment, used)) is not None
            ]
            await repo.plan_many(session, rows)
        planned += len(rows)
        await asyncio.sleep(0)  # let the bot answer patients between chunks
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


def in_transaction(planner: Callable[[Any, AsyncSession], Awaitable[int]]) -> Callable[[Any], Awaitable[int]]:
    """A planner that takes a session, run in a transaction of its own (for small start-up planners)."""

    async def run(services: Any) -> int:
        async with services.db.transaction() as session:
            return await planner(services, session)

    return run
