"""The two reminders of a risky time: "coming up, here is your plan" ahead of it, "how did it go?" after.

Both are rows in ``reminders`` sent by the dispatcher (exactly once, at local time, paced under
Telegram's limits). After the first has gone out, the "how did it go?" is planned and, for a weekly time,
next week's reminder; a one-off time then ends. A reminder whose risky time was removed is not sent.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content import Content
from bot.db.models import Patient, Reminder, RiskyTime, Trigger
from bot.reminders.kinds import Outgoing, register
from bot.repos import reminders as reminder_repo
from bot.repos import triggers as repo
from bot.services.container import Services
from bot.triggers import service
from bot.triggers.service import OUTCOME, RISKY

ONE_TAP_TOOL = "breathing"


def when_text(content: Content, lang: str, time: RiskyTime) -> str:
    """ "Fridays at 21:00" or "Saturday 12 December at 22:00", in the patient's language."""
    if time.on_date is not None:
        day = time.on_date
        weekday = content.text(lang, f"triggers.weekdays.d{day.weekday()}")
        month = content.text(lang, f"progress.months.m{day.month:02d}")
        date = content.text(lang, "triggers.date", weekday=weekday, day=day.day, month=month)
        return content.text(lang, "triggers.when_once", day=date, time=time.local_time)
    weekday = content.text(lang, f"triggers.weekdays_plural.d{time.weekday}")
    return content.text(lang, "triggers.when_weekly", days=weekday, time=time.local_time)


async def _time_and_trigger(
    session: AsyncSession, patient: Patient, reminder: Reminder
) -> tuple[RiskyTime, Trigger | None] | None:
    time_id = int((reminder.payload or {}).get("time_id", 0))
    time = await repo.risky_time_of(session, patient.id, time_id)
    if time is None:
        return None
    trigger = await repo.trigger_of(session, patient.id, time.trigger_id) if time.trigger_id else None
    return time, trigger


async def render_risky(services: Services, session: AsyncSession, patient: Patient, reminder: Reminder):
    """Ahead of a risky time: what is coming, the patient's own if-then plan, and one-tap help."""
    found = await _time_and_trigger(session, patient, reminder)
    if found is None:
        return None
    time, trigger = found
    content, lang = services.content, services.content.resolve_language(patient.language)
    lines = [content.text(lang, "triggers.reminder", when=when_text(content, lang, time))]
    if trigger is not None:
        lines.append(content.text(lang, "triggers.reminder_trigger", trigger=trigger.description))
        plan = trigger.plan or content.text(lang, "triggers.reminder_no_plan")
        lines.append(content.text(lang, "triggers.reminder_plan", plan=plan))
    lines.append(content.text(lang, "triggers.reminder_close"))
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    content.text(lang, "triggers.button_tool"), callback_data=f"cr:tool:{ONE_TAP_TOOL}"
                )
            ],
            [InlineKeyboardButton(content.text(lang, "triggers.button_craving"), callback_data="cr:start")],
        ]
    )
    return Outgoing("\n\n".join(lines), markup)


async def after_risky(services: Services, session: AsyncSession, patient: Patient, reminder: Reminder):
    """Plans "how did it go?" after this occurrence and the next occurrence (weekly times)."""
    found = await _time_and_trigger(session, patient, reminder)
    if found is None:
        return
    time, _ = found
    payload = reminder.payload or {}
    at = dt.datetime.fromisoformat(payload["at"])
    hours = dt.timedelta(hours=services.config.triggers.outcome_after_hours)
    key = f"{OUTCOME}:{time.id}:{payload['date']}"
    await reminder_repo.plan(session, patient.id, OUTCOME, key, at + hours, dict(payload))
    if time.on_date is not None:
        time.active = False
    else:
        await service.plan_next(services, session, patient, time, after=at)


async def render_outcome(services: Services, session: AsyncSession, patient: Patient, reminder: Reminder):
    """After the risky time: "how did it go?" with three one-tap answers."""
    found = await _time_and_trigger(session, patient, reminder)
    if found is None:
        return None
    time, _ = found
    content, lang = services.content, services.content.resolve_language(patient.language)
    text = content.text(lang, "triggers.outcome_ask", when=when_text(content, lang, time))
    rows = [
        [
            InlineKeyboardButton(
                content.text(lang, f"triggers.outcome.{answer}"),
                callback_data=f"tr:out:{reminder.id}:{answer}",
            )
        ]
        for answer in service.ANSWERS
    ]
    return Outgoing(text, InlineKeyboardMarkup(rows))


register(RISKY, render_risky, after_risky)
register(OUTCOME, render_outcome)
