"""What the patient reads after a check-in: short, personal, varied (every line has content variants).

The reply says which day of recovery it is (day 1 = the quit date) and what is typical for that day,
how mood and craving compare with the patient's recent check-ins, and, when the craving is at or above
the configured threshold, offers help: the craving tools when a feature handles ``cr:start`` (with the
score, ``cr:start:<craving>``, when it takes one), else the safety plan when /safetyplan exists, else
/sos. Red-flag symptoms get :func:`medical` instead.
"""

from __future__ import annotations

import datetime as dt
import re

from telegram import InlineKeyboardButton
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.db.models import CheckIn
from bot.flows.base import FlowCtx
from bot.progress.milestones import celebrate_due
from bot.recovery.learn import has_timeline, phase_of, stage
from bot.repos import checkins as repo
from bot.safety import promises

CRAVING_CALLBACK = "cr:start"
RECENT = 7  # check-ins the trend compares against
SAME_BAND = 1.0  # a difference smaller than this from the recent mean is "about the same"
Rows = list[list[InlineKeyboardButton]]


async def compose(fc: FlowCtx, row: CheckIn, flagged: list[str]) -> tuple[str, Rows]:
    """The reply to a completed check-in and its buttons (the craving tools, when offered)."""
    cfg = fc.ctx.services.config.checkin
    lines = [fc.t("checkin.reply.thanks")]
    day = recovery_day(fc.patient.quit_date, row.local_date)
    if day is not None:
        lines.append(await _day_line(fc, row, day))
    lines.append(await _trend(fc, row))
    milestone = await celebrate_due(fc.ctx.services, fc.ctx.session, fc.patient)
    if milestone:
        lines.append(milestone)
    if row.used:
        lines.append(fc.t("checkin.reply.used"))
    if row.mood is not None and row.mood <= cfg.mood_flag_threshold:
        lines.append(fc.t("checkin.reply.low_mood"))
    rows: Rows = []
    if row.craving is not None and row.craving >= cfg.craving_threshold:
        text, rows = craving_offer(fc, row.craving)
        lines.append(text)
    if flagged and promises.staff_channel(fc.ctx):  # nobody would see the flag without a staff group
        lines.append(fc.t("checkin.reply.team_told"))
    return "\n\n".join(lines), rows


def medical(fc: FlowCtx, symptoms: list[str]) -> str:
    """Tells the patient to get medical help now, with their country's emergency number first."""
    emergency = fc.ctx.services.helplines.for_country(fc.patient.country).emergency
    names = ", ".join(fc.t(f"checkin.symptoms.{s}") for s in symptoms)
    return fc.t("checkin.medical_now", emergency=emergency, symptoms=names)


# -- the day of recovery -----------------------------------------------------------------------------
def recovery_day(quit_date: dt.date | None, day: dt.date) -> int | None:
    """Day 1 is the quit date; None when there is no quit date yet or it is still ahead."""
    if quit_date is None or quit_date > day:
        return None
    return (day - quit_date).days + 1


def typical_key(day: int) -> str:
    """What is typical for this day, by the stage of withdrawal (:func:`bot.recovery.learn.phase_of`);
    the check-in's short line has one text for everything after the first two weeks."""
    phase = phase_of(day)
    return f"checkin.typical.{'later' if phase in ('settling', 'longer') else phase}"


async def _day_line(fc: FlowCtx, row: CheckIn, day: int) -> str:
    """The day since the quit date, and what is typical for the day since the last use (a slip
    starts the timeline again) with a pointer to /learn."""
    line = fc.t("checkin.reply.day", day=day)
    if has_timeline(fc.patient):
        now = await stage(fc.ctx.services, fc.ctx.session, fc.patient, on=row.local_date)
        line += " " + fc.t(typical_key(now.day or 0)) + " " + fc.t("checkin.reply.learn_more")
    return line


# -- the trend -----------------------------------------------------------------------------------------
def trend_key(metric: str, value: int, average: float) -> str:
    """``better``, ``same`` or ``harder`` for mood (higher is better) or craving (lower is better)."""
    delta = value - average
    if abs(delta) < SAME_BAND:
        word = "same"
    elif (delta > 0) == (metric == "mood"):
        word = "better"
    else:
        word = "harder"
    return f"checkin.trend.{metric}_{word}"


async def _trend(fc: FlowCtx, row: CheckIn) -> str:
    scores = await repo.recent_scores(fc.ctx.session, fc.patient.id, row.id, RECENT)
    parts = []
    for index, metric, value in ((0, "mood", row.mood), (1, "craving", row.craving)):
        earlier = [score for score in (s[index] for s in scores) if score is not None]
        if value is None or not earlier:
            continue
        average = sum(earlier) / len(earlier)
        parts.append(fc.t(trend_key(metric, value, average), average=round(average)))
    return " ".join(parts) if parts else fc.t("checkin.trend.first")


# -- help with a strong craving -----------------------------------------------------------------------
def craving_offer(fc: FlowCtx, craving: int) -> tuple[str, Rows]:
    """The craving tools (told the craving already, "cr:start:<score>", when they accept it), else the
    safety plan, else /sos: only what this bot actually has is offered."""
    app = fc.ctx.application
    scored = f"{CRAVING_CALLBACK}:{craving}"
    data = next((d for d in (scored, CRAVING_CALLBACK) if handles_callback(app, d)), None)
    if data is not None:
        button = InlineKeyboardButton(fc.t("checkin.reply.craving_button"), callback_data=data)
        return fc.t("checkin.reply.craving_tools"), [[button]]
    if handles_command(app, "safetyplan"):
        return fc.t("checkin.reply.craving_plan"), []
    return fc.t("checkin.reply.craving_sos"), []


def handles_callback(app: Application, data: str) -> bool:
    """True when a registered button handler claims ``data`` by its pattern (catch-alls do not count)."""
    return any(
        isinstance(h, CallbackQueryHandler) and isinstance(h.pattern, re.Pattern) and h.pattern.match(data)
        for handlers in app.handlers.values()
        for h in handlers
    )


def handles_command(app: Application, command: str) -> bool:
    return any(
        isinstance(h, CommandHandler) and command in h.commands
        for handlers in app.handlers.values()
        for h in handlers
    )
