"""Queries for the coping tools: coping sessions, the patient's reasons and support people, and the flow
states of exercises being paced. Repositories never commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CopingSession, FlowState, Patient, PersonalItem

HISTORY = 200  # the most recent uses that rank the tools


async def open_session(
    session: AsyncSession, patient_id: int, tool: str, before: int | None, now: dt.datetime
) -> CopingSession:
    row = CopingSession(patient_id=patient_id, tool=tool, before=before, started_at=now, finished=False)
    session.add(row)
    await session.flush()
    return row


async def get_session(session: AsyncSession, patient_id: int, session_id: int) -> CopingSession | None:
    return await session.scalar(
        select(CopingSession).where(CopingSession.id == session_id, CopingSession.patient_id == patient_id)
    )


async def history(session: AsyncSession, patient_id: int, limit: int = HISTORY) -> list[CopingSession]:
    """The patient's most recent uses, newest first."""
    rows = await session.scalars(
        select(CopingSession)
        .where(CopingSession.patient_id == patient_id)
        .order_by(CopingSession.started_at.desc(), CopingSession.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def all_sessions(session: AsyncSession, patient_id: int) -> list[CopingSession]:
    rows = await session.scalars(
        select(CopingSession).where(CopingSession.patient_id == patient_id).order_by(CopingSession.id)
    )
    return list(rows.all())


async def items(session: AsyncSession, patient_id: int, kind: str) -> list[PersonalItem]:
    rows = await session.scalars(
        select(PersonalItem)
        .where(PersonalItem.patient_id == patient_id, PersonalItem.kind == kind)
        .order_by(PersonalItem.id)
    )
    return list(rows.all())


async def count_items(session: AsyncSession, patient_id: int, kind: str) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(PersonalItem)
            .where(PersonalItem.patient_id == patient_id, PersonalItem.kind == kind)
        )
        or 0
    )


async def add_item(
    session: AsyncSession, patient_id: int, kind: str, text: str, contact: str | None, now: dt.datetime
) -> PersonalItem:
    row = PersonalItem(patient_id=patient_id, kind=kind, text=text, contact=contact, created_at=now)
    session.add(row)
    await session.flush()
    return row


async def remove_item(session: AsyncSession, patient_id: int, kind: str, item_id: int) -> bool:
    result = await session.execute(
        delete(PersonalItem).where(
            PersonalItem.id == item_id, PersonalItem.patient_id == patient_id, PersonalItem.kind == kind
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def all_items(session: AsyncSession, patient_id: int) -> list[PersonalItem]:
    rows = await session.scalars(
        select(PersonalItem).where(PersonalItem.patient_id == patient_id).order_by(PersonalItem.id)
    )
    return list(rows.all())


async def locked_state(session: AsyncSession, patient_id: int) -> FlowState | None:
    """The patient's flow state, locked until the end of the transaction (PostgreSQL; SQLite
    transactions are already serialised)."""
    state = await session.scalar(
        select(FlowState)
        .where(FlowState.patient_id == patient_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return state


async def patient(session: AsyncSession, patient_id: int) -> Patient | None:
    return await session.get(Patient, patient_id)


async def states_at(session: AsyncSession, flow: str, step: str) -> list[tuple[FlowState, Patient]]:
    """Every patient at ``flow``/``step`` (at start-up: the exercises a restart interrupted)."""
    rows = await session.execute(
        select(FlowState, Patient)
        .join(Patient, Patient.id == FlowState.patient_id)
        .where(FlowState.flow == flow, FlowState.step == step)
        .order_by(FlowState.patient_id)
    )
    return [(state, patient) for state, patient in rows.all()]
