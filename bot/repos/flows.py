"""Queries for flow state (where a patient is in a multi-step flow).

The state is the patient's ``flow_state``: once the patient is in the session (``patients.by_chat``
loads both in one statement), reading it costs no statement. Each step is flushed at once, so that a
step over a row another transaction removed meanwhile fails here (``StaleDataError``) and the update
is retried.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FlowState, Patient


async def get(session: AsyncSession, patient_id: int) -> FlowState | None:
    """The patient's flow state, or None when they are in no flow."""
    patient = await session.get(Patient, patient_id)
    return None if patient is None else await patient.awaitable_attrs.flow_state


async def put(
    session: AsyncSession, patient_id: int, flow: str, step: str, data: dict[str, Any], now: dt.datetime
) -> FlowState:
    """Moves the patient to ``flow``/``step``; the version increases so older buttons go stale."""
    patient = await session.get(Patient, patient_id)
    if patient is None:
        raise LookupError(f"no patient {patient_id}")
    state = await patient.awaitable_attrs.flow_state
    if state is None:
        state = patient.flow_state = FlowState(patient_id=patient_id, version=0)
    state.flow, state.step, state.data, state.updated_at = flow, step, dict(data), now
    state.version += 1
    await session.flush()
    return state


async def clear(session: AsyncSession, patient_id: int) -> None:
    """Ends the patient's flow; a new one may start in the same session."""
    patient = await session.get(Patient, patient_id)
    if patient is not None and await patient.awaitable_attrs.flow_state is not None:
        patient.flow_state = None  # the row is deleted (delete-orphan)
        await session.flush()
