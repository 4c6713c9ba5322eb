"""Queries for a patient's safety plan. Repositories never commit: the unit of work does."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import SafetyPlan


async def get(session: AsyncSession, patient_id: int) -> SafetyPlan | None:
    return await session.get(SafetyPlan, patient_id)


async def save(
    session: AsyncSession, patient_id: int, sections: dict[str, list[str]], now: dt.datetime
) -> SafetyPlan:
    """Stores the whole plan (a fresh copy, so the encrypted column is always rewritten)."""
    copy = {key: list(entries) for key, entries in sections.items()}
    plan = await get(session, patient_id)
    if plan is None:
        plan = SafetyPlan(patient_id=patient_id, sections=copy, updated_at=now)
        session.add(plan)
    else:
        plan.sections, plan.updated_at = copy, now
    await session.flush()
    return plan
