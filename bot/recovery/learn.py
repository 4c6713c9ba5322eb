"""What is typical on the patient's day since their last use, from the clinic's facts (content/learn).

Day 1 is the first day without use: the quit date, or the day after the latest slip when that is later,
so psychoeducation after a slip speaks to where the patient really is. The timeline (withdrawal within
about 72 hours, cravings peaking on days 2-4, acute symptoms easing within one to two weeks, some
psychological ones lingering) is the one known for ketamine; other substances get the general parts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Patient
from bot.progress.summary import local_today
from bot.repos import progress as progress_repo
from bot.services.container import Services

# The typical course of withdrawal is known for these substances only; others get general text.
TIMELINE_SUBSTANCES = ("ketamine",)
PHASES = ("before", "first", "peak", "acute", "settling", "longer")


@dataclass(frozen=True)
class Stage:
    day: (
        int | None
    )  # day since the last use (1 = the first day without; 0 = used today), None: no quit date yet
    phase: str  # one of PHASES


def phase_of(day: int | None) -> str:
    """The stage of withdrawal for a day since the last use."""
    if day is None:
        return "before"
    if day <= 1:
        return "first"
    if day <= 4:
        return "peak"
    if day <= 14:
        return "acute"
    if day <= 90:
        return "settling"
    return "longer"


def first_clean_day(quit_date: dt.date | None, slips: list[dt.date], today: dt.date) -> dt.date | None:
    """The first day without use of the current run: the quit date, or the day after the latest slip."""
    if quit_date is None:
        return None
    latest = max((s for s in slips if s <= today), default=None)
    if latest is not None and latest >= quit_date:
        return latest + dt.timedelta(days=1)
    return quit_date


async def stage(
    services: Services, session: AsyncSession, patient: Patient, on: dt.date | None = None
) -> Stage:
    """Where the patient is on ``on`` (their local today by default): the day since the last use."""
    today = on or local_today(services, patient)
    slips = await progress_repo.slip_days(session, patient.id)
    start = first_clean_day(patient.quit_date, slips, today)
    if start is None or (patient.quit_date is not None and patient.quit_date > today):
        return Stage(None, "before")
    day = (today - start).days + 1  # 0 after a slip today: withdrawal may start again
    return Stage(day, phase_of(day))


def has_timeline(patient: Patient) -> bool:
    return (patient.substance or "") in TIMELINE_SUBSTANCES


# -- what the patient reads ------------------------------------------------------------------------------
def compose(services: Services, patient: Patient, now: Stage, lang: str) -> str:
    """/learn: where the patient is, what is typical now, one thing that helps, when to get help now."""
    content = services.content
    if now.day is None:
        lines = [content.text(lang, "learn.title_before")]
    elif now.day == 0:
        lines = [content.text(lang, "learn.title_used_today")]
    else:
        lines = [content.text(lang, "learn.title_day", day=now.day)]
    if has_timeline(patient):
        lines.append(content.text(lang, f"learn.phase.{now.phase}"))
    else:
        lines.append(
            content.text(lang, "learn.general.before" if now.phase == "before" else "learn.general.after")
        )
    lines.append(content.text(lang, "learn.tips"))
    emergency = services.helplines.for_country(patient.country).emergency
    lines.append(content.text(lang, "learn.red_flags", emergency=emergency))
    lines.append(content.text(lang, "learn.not_clinician"))
    return "\n\n".join(lines)


def peak_status(services: Services, patient: Patient, lang: str) -> str | None:
    """The peak-day support line, while it still matters (before the quit date or up to day 4)."""
    today = local_today(services, patient)
    if patient.quit_date is None or (today - patient.quit_date).days + 1 > 4:
        return None
    if patient.peak_support_time is None:
        return services.content.text(lang, "learn.peak.status_off")
    return services.content.text(lang, "learn.peak.status_on", time=patient.peak_support_time)
