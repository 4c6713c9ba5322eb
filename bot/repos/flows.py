"""Queries for flow state (where a patient is in a multi-step flow)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FlowState
from bot.repos import memo


async def get(session: AsyncSession, patient_id: int) -> FlowState | None:
    """Read once per session (usually together with the patient: ``patients.by_chat``)."""
    known = memo.get(session, "flow", patient_id)
    if known is not memo.MISSING:
        return known
    state = await session.get(FlowState, patient_id)
    memo.put(session, "flow", patient_id, state)
    return state


async def put(
    session: AsyncSession, patient_id: int, flow: str, step: str, data: dict[str, Any], now: dt.datetime
) -> FlowState:
    """Moves the patient to ``flow``/``step``; the version increases so older buttons go stale."""
    state = await get(session, patient_id)
    if state is None:
        state = FlowState(
            patient_id=patient_id, flow=flow, step=step, data=dict(data), version=1, updated_at=now
        )
        session.add(state)
    else:
        state.flow, state.step, state.data = flow, step, dict(data)
        state.version += 1
        state.updated_at = now
    await session.flush()
    memo.put(session, "flow", patient_id, state)
    return state


async def clear(session: AsyncSession, patient_id: int) -> None:
    await session.execute(delete(FlowState).where(FlowState.patient_id == patient_id))
    memo.put(session, "flow", patient_id, None)
