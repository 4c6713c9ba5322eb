"""The daily check-in reminder and its nudge, planned in the patient's local time.

After each check-in reminder the next day's is planned, so a patient always has exactly one pending
check-in reminder; a change of time zone or check-in time (or /pause) replans it. A nudge follows a few
hours later the same evening when no check-in came; a run of missed days raises a flag for staff.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.db.models import CheckIn, Patient, Reminder
from bot.reminders import planning
from bot.reminders.kinds import Outgoing, register
from bot.reminders.localtime import local_date, next_at
from bot.repos import reminders as repo
from bot.services.container import Services

NUDGE_LATEST = dt.time(22, 30)


def _ready(patient: Patient) -> bool:
    return bool(patient.active and patient.onboarded_at and patient.checkin_time and patient.timezone)


async def plan_next_checkin(
    services: Services, session: AsyncSession, patient: Patient, after: dt.datetime | None = None
) -> None:
    """Plans the next check-in reminder that has not been planned before (one per local day)."""
    if not _ready(patient):
        return
    moment = after or services.clock.now()
    for _ in range(4):
        day, due = next_checkin(patient, moment)
        key = f"checkin:{day.isoformat()}"
        taken = await session.scalar(
            select(Reminder.id).where(Reminder.patient_id == patient.id, Reminder.key == key)
        )
        if taken is None:
            await repo.plan(session, patient.id, "checkin", key, due, {"date": day.isoformat()})
            return
        moment = due


async def replan(services: Services, session: AsyncSession, patient: Patient) -> None:
    """After a change of time, time zone or pause: the pending check-in reminder is planned anew.

    Tonight's nudge, if one is pending, stays: it follows a reminder already sent (and is not sent
    while the reminders are paused, see :func:`render_nudge`).
    """
    await repo.cancel_pending(session, patient.id, ("checkin",))
    await session.flush()
    await plan_next_checkin(services, session, patient)


def next_checkin(schedule: Any, after: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The local day and instant of the first check-in time strictly after ``after`` (past a pause)."""
    due = next_at(after, schedule.checkin_time, schedule.timezone, schedule.reminders_paused_until)
    return local_date(due, schedule.timezone), due


async def plan_missing(services: Services, session: AsyncSession | None = None) -> int:
    """Start-up: every active, onboarded patient gets a pending check-in reminder if they lack one
    (in ``session``, else in transactions of its own)."""
    transaction = planning.transactions(services, session)
    return await planning.plan_missing(transaction, "checkin", next_checkin, services.clock.now())


async def checked_in_on(session: AsyncSession, patient_id: int, day: dt.date) -> bool:
    stmt = (
        select(func.count())
        .select_from(CheckIn)
        .where(CheckIn.patient_id == patient_id, CheckIn.local_date == day, CheckIn.completed_at.is_not(None))
    )
    return bool(await session.scalar(stmt))


def _start_button(services: Services, lang: str) -> InlineKeyboardMarkup:
    label = services.content.text(lang, "checkin.button_start")
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data="ci:start")]])


def _reminder_day(reminder: Reminder) -> dt.date:
    return dt.date.fromisoformat((reminder.payload or {})["date"])


async def render_checkin(services: Services, session: AsyncSession, patient: Patient, reminder: Reminder):
    """The daily reminder; none when the patient already checked in that day."""
    if await checked_in_on(session, patient.id, _reminder_day(reminder)):
        return None
    lang = services.content.resolve_language(patient.language)
    return Outgoing(services.content.text(lang, "checkin.reminder"), _start_button(services, lang))


async def after_checkin(services: Services, session: AsyncSession, patient: Patient, reminder: Reminder):
    """Plans tomorrow's reminder, tonight's nudge, and flags a run of missed days."""
    await plan_next_checkin(services, session, patient, reminder.due_at)
    day = _reminder_day(reminder)
    nudge_at = reminder.due_at + dt.timedelta(hours=services.config.reminders.nudge_after_hours)
    local_nudge = nudge_at.astimezone(ZoneInfo(patient.timezone or services.config.clinic.default_timezone))
    if local_nudge.date() == day and local_nudge.time() <= NUDGE_LATEST:
        await repo.plan(
            session, patient.id, "nudge", f"nudge:{day.isoformat()}", nudge_at, {"date": day.isoformat()}
        )
    await _flag_missed_days(services, session, patient, day)


async def render_nudge(services: Services, session: AsyncSession, patient: Patient, reminder: Reminder):
    """The evening nudge; none after a check-in that day or while the reminders are paused."""
    day = _reminder_day(reminder)
    paused = patient.reminders_paused_until
    if (paused is not None and paused > day) or await checked_in_on(session, patient.id, day):
        return None
    lang = services.content.resolve_language(patient.language)
    return Outgoing(services.content.text(lang, "checkin.nudge"), _start_button(services, lang))


async def _missed_days(session: AsyncSession, patient_id: int, days: list[dt.date]) -> list[bool]:
    """For each day: was the patient reminded to check in (the reminder went out) and did not?

    A day without a reminder sent (before the first one, paused, the bot down) is not a missed day.
    """
    keys = [f"checkin:{day.isoformat()}" for day in days]
    reminded = set(
        await session.scalars(
            select(Reminder.key).where(
                Reminder.patient_id == patient_id,
                Reminder.key.in_(keys),
                Reminder.status.in_(("sent", "unconfirmed")),
            )
        )
    )
    done = set(
        await session.scalars(
            select(CheckIn.local_date).where(
                CheckIn.patient_id == patient_id,
                CheckIn.local_date.in_(days),
                CheckIn.completed_at.is_not(None),
            )
        )
    )
    return [key in reminded and day not in done for key, day in zip(keys, days, strict=True)]


async def _flag_missed_days(services: Services, session: AsyncSession, patient: Patient, today: dt.date):
    """A routine flag when the days before ``today`` reach the configured run of missed days."""
    from bot.safety.escalation import Escalation
    from bot.safety.review import Priority

    needed = services.config.reminders.missed_days_flag
    days = [today - dt.timedelta(days=n) for n in range(1, needed + 2)]
    missed = await _missed_days(session, patient.id, days)
    if all(missed[:needed]) and not missed[needed]:  # exactly the Nth missed day: one flag per run
        reason = services.content.text(
            services.content.default_language, "checkin.missed_reason", days=needed
        )
        await Escalation(services).raise_flag(session, patient, Priority.ROUTINE, "missed", reason)


register("checkin", render_checkin, after_checkin)
register("nudge", render_nudge)
