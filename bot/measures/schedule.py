"""The weekly reminder for the measures: on the clinic's weekday, 30 minutes after the check-in time.

A patient has exactly one pending weekly reminder (key ``weekly:<local date>``); after it is sent (or
skipped) the next week's is planned. A change of time zone, check-in time or pause replans it with
:func:`replan_weekly`; :func:`plan_missing_weekly` gives every active, onboarded patient one at start-up.
The reminder is skipped when the patient answered the measures in the last few days (e.g. by /weekly).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.db.models import Patient, Reminder
from bot.measures.instruments import PHQ9_ITEM9
from bot.reminders import planning
from bot.reminders.kinds import Outgoing, register
from bot.reminders.localtime import at_local, local_date
from bot.repos import measures as measure_repo
from bot.repos import reminders as repo
from bot.services.container import Services

KIND = "weekly"
AFTER_CHECKIN = dt.timedelta(minutes=30)
RECENTLY_DONE = dt.timedelta(days=3)
START_DATA = "wk:start"


def _ready(patient: Patient) -> bool:
    return bool(patient.active and patient.onboarded_at and patient.checkin_time and patient.timezone)


def next_weekly(patient: Any, weekday: int, after: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The first weekly moment strictly after ``after``: (the local weekday's date, the UTC instant).

    The moment is the check-in time on that day plus 30 minutes of real time, so a check-in at 23:45
    gives a reminder at 00:15 the next morning, still keyed by the weekday's date.
    """
    assert patient.timezone and patient.checkin_time
    # From the day before: its moment may fall after midnight, still ahead. A pause starts later.
    day = local_date(after, patient.timezone) - dt.timedelta(days=1)
    paused = patient.reminders_paused_until
    if paused is not None and paused > day:
        day = paused
    for offset in range(16):
        candidate = day + dt.timedelta(days=offset)
        if candidate.weekday() != weekday:
            continue
        due = at_local(candidate, patient.checkin_time, patient.timezone) + AFTER_CHECKIN
        if due > after:
            return candidate, due
    raise AssertionError("unreachable: a weekday recurs within two weeks")


async def plan_next_weekly(
    services: Services, session: AsyncSession, patient: Patient, after: dt.datetime | None = None
) -> None:
    """Plans the next weekly reminder that has not been planned before (one per week)."""
    if not _ready(patient):
        return
    moment = after or services.clock.now()
    weekday = services.config.reminders.weekly_day
    for _ in range(4):
        day, due = next_weekly(patient, weekday, moment)
        key = f"{KIND}:{day.isoformat()}"
        taken = await session.scalar(
            select(Reminder.id).where(Reminder.patient_id == patient.id, Reminder.key == key)
        )
        if taken is None:
            await repo.plan(session, patient.id, KIND, key, due, {"date": day.isoformat()})
            return
        moment = due


async def replan_weekly(services: Services, session: AsyncSession, patient: Patient) -> None:
    """After onboarding or a change of time, time zone or pause: the pending weekly reminder anew."""
    await repo.cancel_pending(session, patient.id, (KIND,))
    await session.flush()
    await plan_next_weekly(services, session, patient)


async def plan_missing_weekly(services: Services, session: AsyncSession | None = None) -> int:
    """Start-up: every active, onboarded patient gets a pending weekly reminder if they lack one
    (planned in bulk: the same moments as :func:`plan_next_weekly`, chunk by chunk; in ``session``,
    else in transactions of its own)."""
    weekday = services.config.reminders.weekly_day

    def moment(schedule: Any, after: dt.datetime) -> tuple[dt.date, dt.datetime]:
        return next_weekly(schedule, weekday, after)

    transaction = planning.transactions(services, session)
    return await planning.plan_missing(transaction, KIND, moment, services.clock.now())


async def render_weekly(services: Services, session: AsyncSession, patient: Patient, reminder: Reminder):
    """The weekly invitation; none while paused or when the measures were answered a few days ago."""
    day = dt.date.fromisoformat((reminder.payload or {}).get("date") or reminder.due_at.date().isoformat())
    paused = patient.reminders_paused_until
    if paused is not None and paused > day:
        return None
    if await measure_repo.done_since(session, patient.id, PHQ9_ITEM9.kind, reminder.due_at - RECENTLY_DONE):
        return None
    lang = services.content.resolve_language(patient.language)
    label = services.content.text(lang, "measures.button_start")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=START_DATA)]])
    return Outgoing(services.content.text(lang, "measures.reminder"), markup)


async def after_weekly(services: Services, session: AsyncSession, patient: Patient, reminder: Reminder):
    """Plans next week's reminder."""
    await plan_next_weekly(services, session, patient, reminder.due_at)


register(KIND, render_weekly, after_weekly)
