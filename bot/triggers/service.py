"""Triggers and risky times: the rules (what may be stored) and when their reminders are due.

A risky time is weekly ("Friday 21:00") or one-off ("Saturday 12 December 22:00"), always in the
patient's local time, and tied to one of their triggers. Its reminder comes ``lead_minutes`` ahead with
the trigger's if-then plan; ``outcome_after_hours`` after the risky time a short "how did it go?" follows.
The database is the source of truth: each risky time has at most one pending reminder, keyed
``risky:<time id>:<local date>`` (so planning twice is a no-op), and the next one is planned when it has
gone out; a change of time zone replans them all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Outcome, Patient, RiskyTime, Trigger
from bot.reminders.localtime import at_local, local_date
from bot.repos import reminders as reminder_repo
from bot.repos import triggers as repo
from bot.services.container import Services

KINDS = ("people", "places", "situations", "feelings", "times")
FEELINGS = ("hungry", "angry", "lonely", "tired")  # HALT: offered as buttons for the "feelings" kind
ANSWERS = ("fine", "hard", "used")
MAX_TEXT = 300
MAX_TRIGGERS = 30
MAX_TIMES = 20
RISKY, OUTCOME = "risky", "riskout"


class Refused(Exception):
    """What the patient asked for cannot be stored; ``key`` is the content key that says why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Occurrence:
    day: dt.date  # the local date of the risky time
    at: dt.datetime  # the risky time itself (UTC)
    due: dt.datetime  # when its reminder is due (UTC)


# -- triggers ----------------------------------------------------------------------------------------------
async def add_trigger(
    services: Services, session: AsyncSession, patient: Patient, kind: str, description: str
) -> Trigger:
    """Stores a trigger of ``kind`` in the patient's words (the plan comes next)."""
    if kind not in KINDS:
        raise Refused("triggers.unknown_kind")
    if await repo.count_triggers(session, patient.id) >= MAX_TRIGGERS:
        raise Refused("triggers.too_many")
    text = description.strip()[:MAX_TEXT]
    if not text:
        raise Refused("triggers.empty")
    row = Trigger(patient_id=patient.id, kind=kind, description=text, created_at=services.clock.now())
    return await repo.add_trigger(session, row)


async def set_plan(session: AsyncSession, patient: Patient, trigger_id: int, plan: str | None) -> Trigger:
    trigger = await repo.trigger_of(session, patient.id, trigger_id)
    if trigger is None:
        raise Refused("triggers.gone")
    trigger.plan = plan.strip()[:MAX_TEXT] if plan and plan.strip() else None
    return trigger


# -- risky times -------------------------------------------------------------------------------------------
async def add_risky_time(
    services: Services,
    session: AsyncSession,
    patient: Patient,
    trigger_id: int,
    when: tuple[int | None, dt.date | None, str],
    lead_minutes: int,
) -> tuple[RiskyTime, Occurrence | None]:
    """Stores a weekly (weekday) or one-off (date) risky time and plans its first reminder."""
    weekday, on_date, hhmm = when
    if await repo.trigger_of(session, patient.id, trigger_id) is None:
        raise Refused("triggers.gone")
    if await repo.count_risky_times(session, patient.id) >= MAX_TIMES:
        raise Refused("triggers.too_many_times")
    if not patient.timezone:
        raise Refused("triggers.no_timezone")
    if on_date is not None and at_local(on_date, hhmm, patient.timezone) <= services.clock.now():
        raise Refused("triggers.in_the_past")
    row = RiskyTime(
        patient_id=patient.id,
        trigger_id=trigger_id,
        weekday=weekday if on_date is None else None,
        on_date=on_date,
        local_time=hhmm,
        lead_minutes=lead_minutes,
        active=True,
        created_at=services.clock.now(),
    )
    await repo.add_risky_time(session, row)
    return row, await plan_next(services, session, patient, row)


def next_occurrence(time: RiskyTime, zone: str, now: dt.datetime, after: dt.datetime) -> Occurrence | None:
    """The first occurrence strictly after ``after`` whose risky time is still ahead of ``now``.

    Its reminder is due ``lead_minutes`` before it, or at once when that moment has passed already (a
    risky time added shortly before it starts). A one-off time that has passed has none.
    """
    lead = dt.timedelta(minutes=time.lead_minutes)
    if time.on_date is not None:
        days = [time.on_date]
    elif time.weekday is not None:  # from the day before: its time may still be ahead in UTC
        start = local_date(after, zone) - dt.timedelta(days=1)
        start += dt.timedelta(days=(time.weekday - start.weekday()) % 7)
        days = [start + dt.timedelta(weeks=n) for n in range(3)]
    else:
        days = []
    for day in days:
        at = at_local(day, time.local_time, zone)
        if at > after and at > now:
            return Occurrence(day, at, max(at - lead, now))
    return None


async def plan_next(
    services: Services,
    session: AsyncSession,
    patient: Patient,
    time: RiskyTime,
    after: dt.datetime | None = None,
) -> Occurrence | None:
    """Plans the reminder of the next occurrence; a one-off time with none left becomes inactive."""
    now = services.clock.now()
    if not (time.active and patient.active and patient.timezone):
        return None
    occurrence = next_occurrence(time, patient.timezone, now, after or now)
    if occurrence is None:
        time.active = False
        return None
    payload = {"time_id": time.id, "date": occurrence.day.isoformat(), "at": occurrence.at.isoformat()}
    key = f"{RISKY}:{time.id}:{occurrence.day.isoformat()}"
    await reminder_repo.plan(session, patient.id, RISKY, key, occurrence.due, payload)
    return occurrence


async def replan_all(services: Services, session: AsyncSession, patient: Patient) -> None:
    """After a change of time zone (or anything that moves local times): every reminder planned anew."""
    for time in await repo.risky_times(session, patient.id, active_only=True):
        await repo.cancel_reminders_of(session, patient.id, time.id)
    await session.flush()
    for time in await repo.risky_times(session, patient.id, active_only=True):
        await plan_next(services, session, patient, time)


async def plan_missing(services: Services, session: AsyncSession) -> int:
    """Start-up: each active risky time without a pending reminder gets its next one."""
    planned = 0
    for time, patient in await repo.times_without_pending(session):
        planned += await plan_next(services, session, patient, time) is not None
    return planned


# -- "how did it go?" --------------------------------------------------------------------------------------
async def record_outcome(
    services: Services, session: AsyncSession, patient: Patient, reminder_id: int, answer: str
) -> Outcome | None:
    """Stores the answer to the "how did it go?" reminder ``reminder_id`` (an id from a button: it must
    be this patient's); None when that occurrence was answered already (once per occurrence)."""
    if answer not in ANSWERS:
        raise Refused("triggers.outcome_unknown")
    reminder = await repo.reminder_of(session, patient.id, reminder_id)
    if reminder is None or reminder.kind != OUTCOME:
        raise Refused("common.unknown_button")
    time_id = int((reminder.payload or {}).get("time_id", 0))
    if await repo.outcome_for(session, patient.id, time_id, reminder.due_at):
        return None
    time = await repo.risky_time_of(session, patient.id, time_id)
    row = Outcome(
        patient_id=patient.id,
        risky_time_id=time.id if time is not None else None,
        answer=answer,
        at=services.clock.now(),
    )
    return await repo.add_outcome(session, row)
