"""/slip: recording a use without judgement, one short question at a time, with a way out at each.

Steps::

    when --Today / Yesterday / a typed date--> [slip stored, flag for staff if configured] --> detail
    when --Not now--> nothing stored
    detail --typed "what and how much" / Skip--> note --typed / Skip--> done: figures and support

The slip is stored as soon as its day is known (the rest is optional), in the same transaction as the
move to the next step, so a patient who stops half-way (or types /cancel) still has it recorded and
their care team still hears of it. A slip ends the current streak only: the figures in the reply show
that the days without using and the longest streak stay. The safety gate screens every typed message
before it reaches this flow, so "what and how much" that sounds like an overdose gets the crisis reply.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Patient, Slip
from bot.flows.base import FlowCtx, Press
from bot.flows.setup import parse_date
from bot.ingest.unit import after_commit
from bot.progress import summary
from bot.progress.stats import Progress
from bot.repos import progress as repo
from bot.safety import promises
from bot.safety.escalation import Escalation
from bot.safety.review import Priority
from bot.services.container import Services
from bot.services.privacy import exporter

FLOW = "slip"
MAX_TEXT = 1000
OLDEST_DAYS = 366


# -- the rule: storing a slip ------------------------------------------------------------------------
async def record_slip(
    services: Services, session: AsyncSession, patient: Patient, day: dt.date, source: str = "slip"
) -> tuple[Slip, bool]:
    """Stores a slip on ``day`` and, when the clinic asks for it, a routine flag; returns (slip, flagged)."""
    slip = Slip(patient_id=patient.id, local_date=day, recorded_at=services.clock.now(), source=source)
    await repo.add_slip(session, slip)
    if not services.config.progress.slip_flags:
        return slip, False
    content = services.content
    reason = content.text(content.default_language, "progress.slip.flag_reason", date=day.isoformat())
    await Escalation(services).raise_flag(session, patient, Priority.ROUTINE, "slip", reason)
    return slip, True


def day_problem(day: dt.date, today: dt.date) -> str | None:
    """The content key of what is wrong with a slip's day, or None when it can be recorded."""
    if day > today:
        return "progress.slip.date_future"
    if day < today - dt.timedelta(days=OLDEST_DAYS):
        return "progress.slip.date_too_old"
    return None


# -- starting and showing steps ------------------------------------------------------------------------
async def start(fc: FlowCtx) -> None:
    """Opens /slip at its first step (any other flow the patient was in is left)."""
    await fc.move(FLOW, "when", {})
    await ask(fc)


async def ask(fc: FlowCtx) -> None:
    """Shows the current step again (after a restart, a stale button or a wrong answer)."""
    assert fc.state is not None
    await ASK[fc.state.step](fc)


async def ask_when(fc: FlowCtx) -> None:
    await fc.say(fc.t("progress.slip.ask_when"), _when_rows(fc))


def _when_rows(fc: FlowCtx, typing: bool = False):
    """Today / Yesterday, and Another day / Not now (only Not now while a date is being typed)."""
    rows = [
        [
            fc.button(fc.t("progress.slip.today"), "pick", "today"),
            fc.button(fc.t("progress.slip.yesterday"), "pick", "yesterday"),
        ]
    ]
    if typing:
        return [*rows, [fc.button(fc.t("progress.slip.not_now"), "stop")]]
    other = fc.button(fc.t("progress.slip.other_day"), "type")
    return [*rows, [other, fc.button(fc.t("progress.slip.not_now"), "stop")]]


async def ask_detail(fc: FlowCtx) -> None:
    day = dt.date.fromisoformat(fc.data["date"])
    date = summary.date_text(fc.ctx.services.content, fc.lang, day)
    await fc.say(
        fc.t("progress.slip.ask_detail", date=date), [[fc.button(fc.t("progress.slip.skip"), "skip")]]
    )


async def ask_note(fc: FlowCtx) -> None:
    await fc.say(fc.t("progress.slip.ask_note"), [[fc.button(fc.t("progress.slip.skip"), "skip")]])


# -- steps -------------------------------------------------------------------------------------------
async def pick_day(fc: FlowCtx, day: dt.date) -> None:
    """Stores the slip for ``day`` (and the flag) and asks what was used."""
    problem = day_problem(day, summary.local_today(fc.ctx.services, fc.patient))
    if problem is not None:
        await fc.say(fc.t(problem), _when_rows(fc, typing=True))
        return
    slip, flagged = await record_slip(fc.ctx.services, fc.ctx.session, fc.patient, day)
    if flagged:
        wake = fc.ctx.application.bot_data.get("sweeper_wake")
        if wake is not None:
            after_commit(wake)
    await fc.move(FLOW, "detail", {"slip_id": slip.id, "date": day.isoformat()})
    await ask_detail(fc)


async def text_when(fc: FlowCtx, text: str) -> None:
    day = parse_date(text)
    if day is None:
        await fc.say(fc.t("progress.slip.date_unknown"), _when_rows(fc, typing=True))
        return
    await pick_day(fc, day)


async def text_detail(fc: FlowCtx, text: str) -> None:
    """Keeps what was used and how much, and asks for a note."""
    slip = await repo.slip_of(fc.ctx.session, fc.patient.id, int(fc.data.get("slip_id", 0)))
    if slip is not None:
        slip.detail = text[:MAX_TEXT]
    await fc.move(FLOW, "note")
    await ask_note(fc)


async def text_note(fc: FlowCtx, text: str) -> None:
    """Keeps the note and finishes."""
    slip = await repo.slip_of(fc.ctx.session, fc.patient.id, int(fc.data.get("slip_id", 0)))
    if slip is not None:
        slip.note = text[:MAX_TEXT]
    await done(fc)


async def done(fc: FlowCtx) -> None:
    """Ends the flow: thanks, what stays of the history, that the team knows, and where help is."""
    services = fc.ctx.services
    await fc.finish()
    report = await summary.load(services, fc.ctx.session, fc.patient)
    lines = [fc.t("progress.slip.done"), *_history(fc, report.progress)]
    if services.config.progress.slip_flags and promises.staff_channel(fc.ctx):
        lines.append(fc.t("progress.slip.team_told"))
    country = fc.patient.country or services.config.clinic.default_country
    lines.append(fc.t("progress.slip.support", emergency=services.helplines.for_country(country).emergency))
    await fc.say("\n\n".join(lines))


def _history(fc: FlowCtx, p: Progress) -> list[str]:
    if p.status != "started" or p.streak_start is None:
        return []
    content = fc.ctx.services.content
    lines = [
        fc.t(
            "progress.slip.history",
            without_use=summary.days_text(content, fc.lang, p.days_without_use or 0),
            longest=summary.days_text(content, fc.lang, p.longest_streak or 0),
        )
    ]
    if p.streak_start > p.today:
        lines.append(fc.t("progress.slip.streak_tomorrow"))
    else:
        lines.append(
            fc.t("progress.slip.streak_since", date=summary.date_text(content, fc.lang, p.streak_start))
        )
    return lines


# -- routing -------------------------------------------------------------------------------------------
ASK = {"when": ask_when, "detail": ask_detail, "note": ask_note}
TEXT = {"when": text_when, "detail": text_detail, "note": text_note}


async def on_press(fc: FlowCtx, press: Press) -> None:
    """Routes a button of the current step; anything that does not fit shows the step again."""
    assert fc.state is not None
    step, today = fc.state.step, summary.local_today(fc.ctx.services, fc.patient)
    days = {"today": today, "yesterday": today - dt.timedelta(days=1)}
    if step == "when" and press.action == "pick" and press.value in days:
        await pick_day(fc, days[press.value])
    elif step == "when" and press.action == "type":
        await fc.say(fc.t("progress.slip.type_date"), _when_rows(fc, typing=True))
    elif step == "when" and press.action == "stop":
        await fc.finish()
        await fc.say(fc.t("progress.slip.cancelled"))
    elif step == "detail" and press.action == "skip":
        await fc.move(FLOW, "note")
        await ask_note(fc)
    elif step == "note" and press.action == "skip":
        await done(fc)
    else:
        await ask(fc)


async def on_text(fc: FlowCtx, text: str) -> None:
    """Typed text: a date at the first step, the optional details after it."""
    assert fc.state is not None
    handler = TEXT.get(fc.state.step)
    if handler is None:
        await ask(fc)
        return
    await handler(fc, text)


# -- /export -------------------------------------------------------------------------------------------
@exporter
async def export_slips(session: AsyncSession, patient: Patient) -> tuple[str, Any]:
    """Every slip, whichever way it was recorded (/slip or a check-in)."""
    return "slips", [
        {
            "local_date": s.local_date.isoformat(),
            "recorded_at": s.recorded_at.isoformat(),
            "source": s.source,
            "detail": s.detail,
            "note": s.note,
        }
        for s in await repo.slips(session, patient.id)
    ]
