"""Queries for flow state (where a patient is in a multi-step flow).

Each step is written through the ORM and flushed at once, so that a step over a row another
transaction removed meanwhile fails here (``StaleDataError``) and the update is retried.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FlowState


async def get(session: AsyncSession, patient_id: int) -> FlowState | None:
    """The patient's flow state; the session's own copy once it has read or written it."""
    return await session.get(FlowState, patient_id)


async def put(
    session: AsyncSession, patient_id: int, flow: str, step: str, data: dict[str, Any], now: dt.datetime
) -> FlowState:
    """Moves the patient to ``flow``/``step``; the version increases so older buttons go stale."""
    state = await get(session, patient_id)
    if state is None:
        state = FlowState(patient_id=patient_id, version=0)
        session.add(state)
    state.flow, state.step, state.data, state.updated_at = flow, step, dict(data), now
    state.version += 1
    await session.flush()
    return state


async def clear(session: AsyncSession, patient_id: int) -> None:
    """Ends the patient's flow; a new one may start in the same session."""
    state = await get(session, patient_id)
    if state is not None:
        await session.delete(state)
        await session.flush()
