"""Milestones: 1, 3, 7, 14, 30, 60, 90, 180 and 365 days since the quit date, each celebrated once.

They count days since the quit date, not the current streak, so a slip never takes one away (the words
say "since your quit date", never "clean"). When several are reached at once (a quit date set in the
past, or days without opening the bot), all are recorded and only the highest is celebrated. Recording
is idempotent: a milestone already in the table is never celebrated again, even by a concurrent update.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Patient
from bot.progress.summary import local_today
from bot.repos import progress as repo
from bot.services.container import Services
from bot.services.privacy import exporter

MILESTONES = (1, 3, 7, 14, 30, 60, 90, 180, 365)


def reached(days_since_quit: int | None) -> list[int]:
    """The milestones reached after ``days_since_quit`` whole days (none without a started quit date)."""
    if days_since_quit is None:
        return []
    return [m for m in MILESTONES if m <= days_since_quit]


async def celebrate_due(services: Services, session: AsyncSession, patient: Patient) -> str | None:
    """Records the milestones newly reached; returns the celebration of the highest, or None."""
    if patient.quit_date is None:
        return None
    days = (local_today(services, patient) - patient.quit_date).days
    due = [m for m in reached(days) if m not in await repo.celebrated_days(session, patient.id)]
    now = services.clock.now()
    new = [m for m in due if await repo.add_milestone(session, patient.id, m, now)]
    if not new:
        return None
    lang = services.content.resolve_language(patient.language)
    return services.content.text(lang, f"progress.milestones.d{max(new)}")


@exporter
async def export_milestones(session: AsyncSession, patient: Patient) -> tuple[str, Any]:
    rows = await repo.milestones(session, patient.id)
    return "milestones", [{"days": m.days, "celebrated_at": m.celebrated_at.isoformat()} for m in rows]
