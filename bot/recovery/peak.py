"""The extra supportive message on days 2-4 after the quit date, when cravings are typically strongest.

It goes out at the patient's ``peak_support_time`` (local), set to the clinic's default when onboarding
ends; ``None`` means the patient turned it off (/learn, or the button under the message). Like every
reminder it is a row in ``reminders`` (key ``peak:<local date>``), planned one at a time: the next day's
when one has gone out, all anew when the quit date, time zone or time changes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.db.models import Patient, Reminder
from bot.reminders.kinds import Outgoing, register
from bot.reminders.localtime import at_local
from bot.repos import reminders as repo
from bot.services.container import Services

KIND = "peak"
PEAK_DAYS = (2, 3, 4)  # day 1 is the quit date
OFF_DATA = "lr:peak:off"


def peak_moments(patient: Patient) -> list[tuple[dt.date, dt.datetime]]:
    """(local date, UTC instant) of each peak-day message for this patient's settings."""
    if not (patient.quit_date and patient.peak_support_time and patient.timezone):
        return []
    days = [patient.quit_date + dt.timedelta(days=d - 1) for d in PEAK_DAYS]
    return [(day, at_local(day, patient.peak_support_time, patient.timezone)) for day in days]


async def plan_next(
    services: Services, session: AsyncSession, patient: Patient, after: dt.datetime | None = None
) -> bool:
    """Plans the first peak-day message after ``after`` (and now) not planned before; False: none left."""
    if not (patient.active and patient.onboarded_at):
        return False
    now = services.clock.now()
    moment = max(after or now, now)
    for day, due in peak_moments(patient):
        if due <= moment:
            continue
        key = f"{KIND}:{day.isoformat()}"
        taken = await session.scalar(
            select(Reminder.id).where(Reminder.patient_id == patient.id, Reminder.key == key)
        )
        if taken is None:
            await repo.plan(session, patient.id, KIND, key, due, {"date": day.isoformat()})
            return True
    return False


async def replan(services: Services, session: AsyncSession, patient: Patient) -> None:
    """After a change of quit date, time zone or time (or turning it off): planned anew."""
    await repo.cancel_pending(session, patient.id, (KIND,))
    await session.flush()
    await plan_next(services, session, patient)


def time_choices(services: Services) -> list[str]:
    """The times a patient can choose for the peak-day message (buttons; anything else is refused)."""
    cfg = services.config
    return sorted({cfg.recovery.peak_support_time, *cfg.checkin.time_choices})


async def set_time(services: Services, session: AsyncSession, patient: Patient, hhmm: str | None) -> None:
    """Turns the peak-day message on at ``hhmm`` (one of :func:`time_choices`) or off (None), then plans
    what is left of it anew."""
    if hhmm is not None and hhmm not in time_choices(services):
        raise ValueError(f"not an offered time: {hhmm!r}")
    patient.peak_support_time = hhmm
    patient.updated_at = services.clock.now()
    await replan(services, session, patient)


async def plan_missing(services: Services, session: AsyncSession) -> int:
    """Start-up: patients in or before their peak days get their next message if none is pending."""
    since = services.clock.now().date() - dt.timedelta(days=max(PEAK_DAYS) + 1)
    pending = select(Reminder.patient_id).where(Reminder.kind == KIND, Reminder.status.in_(repo.WAITING))
    stmt = select(Patient).where(
        Patient.active.is_(True),
        Patient.onboarded_at.is_not(None),
        Patient.peak_support_time.is_not(None),
        Patient.quit_date >= since,
        Patient.id.not_in(pending),
    )
    planned = 0
    for patient in (await session.scalars(stmt)).all():
        planned += await plan_next(services, session, patient)
    return planned


async def render_peak(services: Services, session: AsyncSession, patient: Patient, reminder: Reminder):
    """The day's supportive message; none when the patient turned it off or the quit date moved."""
    day = dt.date.fromisoformat((reminder.payload or {})["date"])
    if patient.peak_support_time is None or patient.quit_date is None:
        return None
    number = (day - patient.quit_date).days + 1
    if number not in PEAK_DAYS:
        return None
    content, lang = services.content, services.content.resolve_language(patient.language)
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(content.text(lang, "learn.peak.button_craving"), callback_data="cr:start")],
            [InlineKeyboardButton(content.text(lang, "learn.peak.button_off"), callback_data=OFF_DATA)],
        ]
    )
    return Outgoing(content.text(lang, f"learn.peak.day{number}"), markup)


async def after_peak(services: Services, session: AsyncSession, patient: Patient, reminder: Reminder):
    await plan_next(services, session, patient, reminder.due_at)


register(KIND, render_peak, after_peak)
