"""Queries for flow state (where a patient is in a multi-step flow).

A step is stored on most updates a patient sends, so the writes are single prebuilt Core statements
rather than the ORM's flush (which costs about three times as much), and the session's object is kept
in step with the row without being marked changed: the state a handler holds is always the stored one,
and a handler that changes it directly (``state.data = ...``) is still flushed as usual.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from typing import cast as typed

from sqlalchemy import Table, bindparam, delete, insert, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from bot.db.models import FlowState
from bot.repos import memo

_table = typed(Table, FlowState.__table__)
_INSERT = insert(_table)
_UPDATE = update(_table).where(_table.c.patient_id == bindparam("b_patient_id"))
_DELETE = delete(_table).where(_table.c.patient_id == bindparam("b_patient_id"))


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
    values = {"flow": flow, "step": step, "data": dict(data), "updated_at": now}
    if state is None:
        values.update(patient_id=patient_id, version=1)
        await session.execute(_INSERT, values)
        state = FlowState(**values)
        make_transient_to_detached(state)  # as if loaded: persistent once added, nothing to flush
        session.add(state)
    else:
        values["version"] = state.version + 1
        result = await session.execute(_UPDATE, {"b_patient_id": patient_id, **values})
        if typed(CursorResult[Any], result).rowcount != 1:  # removed meanwhile (PostgreSQL): as the ORM
            raise StaleDataError(f"flow state of patient {patient_id} was removed by another transaction")
        for name, value in values.items():
            set_committed_value(state, name, value)
    memo.put(session, "flow", patient_id, state)
    return state


async def clear(session: AsyncSession, patient_id: int) -> None:
    state = await get(session, patient_id)
    await session.execute(_DELETE, {"b_patient_id": patient_id})
    if state is not None and state in session:
        session.expunge(state)  # the row is gone; a new step may be stored in this same session
    memo.put(session, "flow", patient_id, None)
