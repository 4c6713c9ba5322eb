"""Queries for the weekly measures. Repositories never commit: the unit of work does."""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Measure


async def save(
    session: AsyncSession,
    patient_id: int,
    kind: str,
    answers: list[int | None],
    score: int,
    local_date: dt.date,
    at: dt.datetime,
    row_id: int | None = None,
) -> int:
    """Writes a completed measure; with ``row_id`` (answered again after Back) that row is updated."""
    row = await session.get(Measure, row_id) if row_id is not None else None
    if row is None or row.patient_id != patient_id or row.kind != kind:
        row = Measure(patient_id=patient_id, kind=kind)
        session.add(row)
    # None marks a screener question that was not asked (the column is JSON; the model says list[int]).
    row.answers = cast(list[int], list(answers))
    row.score, row.local_date, row.at = score, local_date, at
    await session.flush()
    return row.id


async def done_since(session: AsyncSession, patient_id: int, kind: str, since: dt.datetime) -> bool:
    stmt = (
        select(func.count())
        .select_from(Measure)
        .where(Measure.patient_id == patient_id, Measure.kind == kind, Measure.at >= since)
    )
    return bool(await session.scalar(stmt))


async def for_patient(session: AsyncSession, patient_id: int) -> list[Measure]:
    stmt = select(Measure).where(Measure.patient_id == patient_id).order_by(Measure.at, Measure.id)
    return list((await session.scalars(stmt)).all())
