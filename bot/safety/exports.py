"""The safety parts of a patient's /export: their flags, the conversation kept, their safety plan."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Flag, FlagMessage, Patient, SafetyPlan
from bot.services.privacy import exporter


@exporter
async def flags(session: AsyncSession, patient: Patient) -> tuple[str, Any]:
    rows = (await session.scalars(select(Flag).where(Flag.patient_id == patient.id).order_by(Flag.id))).all()
    out = []
    for f in rows:
        messages = (
            await session.scalars(
                select(FlagMessage).where(FlagMessage.flag_id == f.id).order_by(FlagMessage.at)
            )
        ).all()
        out.append(
            {
                "created_at": f.created_at.isoformat(),
                "priority": f.priority,
                "source": f.source,
                "reason": f.reason,
                "status": f.status,
                "messages": [{"at": m.at.isoformat(), "author": m.author, "text": m.text} for m in messages],
            }
        )
    return "flags", out


@exporter
async def safety_plan(session: AsyncSession, patient: Patient) -> tuple[str, Any]:
    plan = await session.get(SafetyPlan, patient.id)
    return "safety_plan", plan.sections if plan else None
