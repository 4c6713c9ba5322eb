"""The coping tools' rules: which tools exist and in which order to offer them, one use of a tool from
start to rating, the patient's reasons and support people, and asking the care team to get in touch.

Works on the session of the update (or of a background unit); the caller's transaction commits it.
Also adds the coping sessions and personal items to /export.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.coping import ranking
from bot.coping.exercises import Exercises
from bot.db.models import Flag, Patient, PersonalItem
from bot.repos import coping as repo
from bot.safety.escalation import Escalation
from bot.safety.review import Priority
from bot.services.container import Services
from bot.services.privacy import exporter

BREATHING = "breathing"
BREATH_PREFIX = "breath_"
REASON, SUPPORTER = "reason", "supporter"
MAX_ITEMS = {REASON: 20, SUPPORTER: 10}


def tools(book: Exercises) -> list[str]:
    """Every tool the patient can choose, in the order offered before anything is known."""
    guided = list(book.guided)
    return [BREATHING, "grounding", *guided, "tape", "ideas", "reasons", "reach_out"]


def family(tool: str) -> str:
    """The offered tool a stored one belongs to: every breathing pattern is "breathing"."""
    return BREATHING if tool.startswith(BREATH_PREFIX) else tool


def patterns(book: Exercises) -> list[str]:
    return [BREATH_PREFIX + pattern for pattern in book.breathing]


async def _outcomes(session: AsyncSession, patient: Patient) -> list[ranking.Outcome]:
    rows = await repo.history(session, patient.id)
    return [ranking.Outcome(r.tool, r.before, r.after, r.finished) for r in rows]


async def offer(
    session: AsyncSession, patient: Patient, book: Exercises, rng: random.Random, tried: list[str]
) -> list[str]:
    """Every tool, the ones that helped this patient most first; tools already tried in this visit go
    to the end, so "another tool" offers something new."""
    order = ranking.rank(tools(book), await _outcomes(session, patient), rng, family=family)
    return [t for t in order if t not in tried] + [t for t in order if t in tried]


async def offer_patterns(
    session: AsyncSession, patient: Patient, book: Exercises, rng: random.Random
) -> list[str]:
    """The breathing patterns, the ones that helped this patient most first (no exploration: all are
    shown)."""
    return ranking.rank(patterns(book), await _outcomes(session, patient), rng, explore=0.0)


# -- one use of a tool -------------------------------------------------------------------------------------
async def start_use(
    session: AsyncSession, patient: Patient, tool: str, before: int | None, now: dt.datetime
) -> int:
    return (await repo.open_session(session, patient.id, tool, before, now)).id


async def end_use(
    session: AsyncSession, patient: Patient, use: int, finished: bool, now: dt.datetime
) -> None:
    """Marks the end of a use (its duration is ended_at - started_at); a use ends once."""
    row = await repo.get_session(session, patient.id, use)
    if row is not None and row.ended_at is None:
        row.ended_at = max(now, row.started_at)
        row.finished = finished


async def rate_use(session: AsyncSession, patient: Patient, use: int, after: int, now: dt.datetime) -> None:
    row = await repo.get_session(session, patient.id, use)
    if row is not None:
        row.after = after
        if row.ended_at is None:
            row.ended_at = max(now, row.started_at)


# -- the patient's own words -----------------------------------------------------------------------------
async def items(session: AsyncSession, patient: Patient, kind: str) -> list[PersonalItem]:
    return await repo.items(session, patient.id, kind)


async def add_item(
    session: AsyncSession, patient: Patient, kind: str, text: str, contact: str | None, now: dt.datetime
) -> bool:
    """Keeps one reason or support person; False when the list is full."""
    if await repo.count_items(session, patient.id, kind) >= MAX_ITEMS[kind]:
        return False
    await repo.add_item(session, patient.id, kind, text, contact, now)
    return True


async def remove_item(session: AsyncSession, patient: Patient, kind: str, item_id: int) -> bool:
    return await repo.remove_item(session, patient.id, kind, item_id)


# -- a person -----------------------------------------------------------------------------------------------
async def ask_care_team(
    services: Services, session: AsyncSession, patient: Patient, craving: int | None
) -> Flag:
    """The patient asked their care team to contact them: a flag for staff (concern: a craving strong
    enough to ask for a person is not left for a day)."""
    escalation = Escalation(services)
    shown = "?" if craving is None else str(craving)
    reason = escalation.t("coping.staff_contact_request", label=patient.label, craving=shown)
    return await escalation.raise_flag(session, patient, Priority.CONCERN, "person", reason)


# -- /export ------------------------------------------------------------------------------------------------
def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


@exporter
async def _export_sessions(session: AsyncSession, patient: Patient) -> tuple[str, Any]:
    rows = await repo.all_sessions(session, patient.id)
    return "coping_sessions", [
        {
            "tool": r.tool,
            "craving_before": r.before,
            "craving_after": r.after,
            "started_at": _iso(r.started_at),
            "ended_at": _iso(r.ended_at),
            "finished": r.finished,
        }
        for r in rows
    ]


@exporter
async def _export_items(session: AsyncSession, patient: Patient) -> tuple[str, Any]:
    rows = await repo.all_items(session, patient.id)
    return "reasons_and_support_people", [
        {"kind": r.kind, "text": r.text, "contact": r.contact, "created_at": _iso(r.created_at)} for r in rows
    ]
