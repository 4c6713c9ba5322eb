"""What the patient sees of their progress: the /progress figures and chart, and the weekly summary.

The weekly summary is a reminder kind (``summary``), planned on the clinic's weekly day an hour after the
patient's check-in time, in their local time; after each one the next week's is planned, so a patient
always has exactly one pending. Its key (``summary:<local date>``) makes planning it twice a no-op.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content import Content
from bot.db.models import Patient, Reminder
from bot.progress import chart, stats
from bot.progress.stats import DayScores, Progress
from bot.reminders import planning
from bot.reminders.kinds import Outgoing, register
from bot.reminders.localtime import at_local, local_date
from bot.repos import progress as repo
from bot.repos import reminders as reminder_repo
from bot.services.container import Services

log = logging.getLogger(__name__)

CHART_DAYS = 30
WEEK = 7
KIND = "summary"


@dataclass(frozen=True)
class Report:
    lang: str
    progress: Progress
    days: list[DayScores]  # the last 30 local days, oldest first
    checkin_days: frozenset[dt.date]

    @property
    def has_chart(self) -> bool:
        return any(d.mood is not None or d.craving is not None for d in self.days)


# -- reading ---------------------------------------------------------------------------------------
def zone_of(services: Services, patient: Patient) -> str:
    return patient.timezone or services.config.clinic.default_timezone


def local_today(services: Services, patient: Patient) -> dt.date:
    return local_date(services.clock.now(), zone_of(services, patient))


async def load(services: Services, session: AsyncSession, patient: Patient) -> Report:
    """The patient's figures and the last 30 days of scores, as of their local today."""
    today = local_today(services, patient)
    slips = await repo.slip_days(session, patient.id)
    checkins = await repo.checkin_days(session, patient.id)
    progress = stats.compute(today, patient.quit_date, slips, checkins)
    since = today - dt.timedelta(days=CHART_DAYS - 1)
    scores = await repo.checkin_scores(session, patient.id, since)
    lang = services.content.resolve_language(patient.language)
    days = stats.daily_scores(today, scores, slips, CHART_DAYS)
    return Report(lang, progress, days, frozenset(checkins))


# -- words -----------------------------------------------------------------------------------------
def days_text(content: Content, lang: str, count: int) -> str:
    return content.text(lang, "progress.days.one" if count == 1 else "progress.days.other", count=count)


def date_text(content: Content, lang: str, day: dt.date) -> str:
    month = content.text(lang, f"progress.months.m{day.month:02d}")
    return content.text(lang, "progress.date", day=day.day, month=month, year=day.year)


def progress_text(content: Content, lang: str, p: Progress) -> str:
    """The /progress message: the day counts (or a kind word without a quit date) and check-ins."""
    lines = [content.text(lang, "progress.report.title"), ""]
    lines += _day_lines(content, lang, p)
    lines.append("")
    if p.checkins:
        streak = days_text(content, lang, p.checkin_streak)
        lines.append(content.text(lang, "progress.report.checkins", count=p.checkins, streak=streak))
    else:
        lines.append(content.text(lang, "progress.report.no_checkins"))
    return "\n".join(lines)


def _day_lines(content: Content, lang: str, p: Progress) -> list[str]:
    def days(n: int | None) -> str:
        return days_text(content, lang, n or 0)

    if p.quit_date is None:
        return [content.text(lang, "progress.report.not_set")]
    date = date_text(content, lang, p.quit_date)
    if p.days_until_quit is not None:
        return [content.text(lang, "progress.report.upcoming", date=date, days=days(p.days_until_quit))]
    if p.days_since_quit == 0:
        first = content.text(lang, "progress.report.quit_today", date=date)
    else:
        first = content.text(
            lang, "progress.report.since_quit", day=p.day_number, days=days(p.days_since_quit), date=date
        )
    lines = [
        first,
        content.text(lang, "progress.report.current", days=days(p.current_streak)),
        content.text(lang, "progress.report.longest", days=days(p.longest_streak)),
        content.text(lang, "progress.report.without_use", days=days(p.days_without_use)),
    ]
    if p.slip_days:
        lines.append(content.text(lang, "progress.report.after_slip"))
    lines.append(content.text(lang, "progress.report.counting"))
    return lines


def chart_text(content: Content, lang: str) -> chart.ChartText:
    def t(key: str) -> str:
        return content.text(lang, f"progress.chart.{key}")

    months = tuple(content.text(lang, f"progress.months.m{m:02d}") for m in range(1, 13))
    return chart.ChartText(
        title=t("title"),
        subtitle=t("subtitle"),
        mood=t("mood"),
        craving=t("craving"),
        slip=t("slip"),
        no_data=t("no_data"),
        today=t("today"),
        months=months,
        day_format=content.variants(lang, "progress.chart.day")[0],  # filled in per tick by the chart
    )


def chart_caption(content: Content, report: Report) -> str:
    slips = any(d.slip for d in report.days)
    return content.text(
        report.lang, "progress.report.chart_caption_slips" if slips else "progress.report.chart_caption"
    )


async def chart_png(services: Services, report: Report) -> bytes | None:
    """The chart as PNG, drawn off the event loop; None (and logged) when drawing fails."""
    try:
        return await chart.render(report.days, chart_text(services.content, report.lang))
    except Exception:
        log.exception("progress chart could not be drawn")
        return None


def photo_job(services: Services, report: Report) -> Callable[[], Awaitable[bytes | None]] | None:
    """The chart as a job to run later, outside any transaction (a report holds plain data only)."""
    return functools.partial(chart_png, services, report) if report.has_chart else None


def weekly_text(content: Content, report: Report) -> str:
    """The weekly summary: check-ins and averages of the last 7 days, the day counts, a pointer."""
    lang, p, week = report.lang, report.progress, report.days[-WEEK:]
    lines = [content.text(lang, "progress.weekly.title"), ""]
    first = p.today - dt.timedelta(days=WEEK - 1)
    done = sum(1 for d in report.checkin_days if first <= d <= p.today)
    if done:
        lines.append(content.text(lang, "progress.weekly.checkins", count=done))
        mood, craving = stats.averages(week)
        point = content.text(lang, "progress.decimal_point")
        lines.append(
            content.text(
                lang, "progress.weekly.averages", mood=_number(mood, point), craving=_number(craving, point)
            )
        )
    else:
        lines.append(content.text(lang, "progress.weekly.no_checkins"))
    if p.status == "started":
        lines.append("")
        lines += _day_lines(content, lang, p)[:2]
    lines += ["", content.text(lang, "progress.weekly.more")]
    return "\n".join(lines)


def _number(value: float | None, point: str) -> str:
    return "-" if value is None else f"{value:.1f}".replace(".", point)


# -- the weekly summary as a reminder ----------------------------------------------------------------
def _ready(patient: Patient) -> bool:
    return bool(patient.active and patient.onboarded_at and patient.checkin_time and patient.timezone)


def next_summary_day(services: Services, patient: Any, after: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The first weekly day whose summary moment (check-in time + 1 hour, local) is after ``after``."""
    assert patient.checkin_time and patient.timezone
    weekday = services.config.reminders.weekly_day
    day = local_date(after, patient.timezone) - dt.timedelta(days=1)
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    while True:
        due = at_local(day, patient.checkin_time, patient.timezone) + dt.timedelta(hours=1)
        if due > after:
            return day, due
        day += dt.timedelta(days=WEEK)


async def plan_next_summary(
    services: Services, session: AsyncSession, patient: Patient, after: dt.datetime | None = None
) -> None:
    """Plans the next weekly summary not planned before (idempotent: one per patient and week)."""
    if not _ready(patient):
        return
    moment = after or services.clock.now()
    for _ in range(4):
        day, due = next_summary_day(services, patient, moment)
        key = f"{KIND}:{day.isoformat()}"
        if not await repo.reminder_planned(session, patient.id, key):
            await reminder_repo.plan(session, patient.id, KIND, key, due, {"date": day.isoformat()})
            return
        moment = due


async def replan_summary(services: Services, session: AsyncSession, patient: Patient) -> None:
    """After a change of check-in time or time zone: the pending summary is planned anew."""
    await reminder_repo.cancel_pending(session, patient.id, (KIND,))
    await session.flush()
    await plan_next_summary(services, session, patient)


async def plan_missing_summaries(services: Services, session: AsyncSession | None = None) -> int:
    """Start-up: every active, onboarded patient without a pending summary gets one (planned in bulk:
    the same moments as :func:`plan_next_summary`, chunk by chunk; in ``session``, else in transactions
    of its own)."""

    def moment(schedule: Any, after: dt.datetime) -> tuple[dt.date, dt.datetime]:
        return next_summary_day(services, schedule, after)

    transaction = planning.transactions(services, session)
    return await planning.plan_missing(transaction, KIND, moment, services.clock.now())


async def render_summary(
    services: Services, session: AsyncSession, patient: Patient, reminder: Reminder
) -> Outgoing | None:
    """This week's summary; none while the patient has paused their reminders (/pause)."""
    report = await load(services, session, patient)
    paused = patient.reminders_paused_until
    if paused is not None and paused > report.progress.today:
        return None
    return Outgoing(weekly_text(services.content, report))


async def after_summary(
    services: Services, session: AsyncSession, patient: Patient, reminder: Reminder
) -> None:
    await plan_next_summary(services, session, patient, reminder.due_at)


register(KIND, render_summary, after_summary)
