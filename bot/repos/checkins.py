"""Queries for daily check-ins and the slips a check-in records. Repositories never commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckIn, Slip


async def add(session: AsyncSession, checkin: CheckIn) -> CheckIn:
    session.add(checkin)
    await session.flush()
    return checkin


async def get(session: AsyncSession, patient_id: int, checkin_id: int) -> CheckIn | None:
    """The patient's check-in by id (None when it is not theirs or no longer exists)."""
    return await session.scalar(
        select(CheckIn).where(CheckIn.id == checkin_id, CheckIn.patient_id == patient_id)
    )


async def recent_scores(
    session: AsyncSession, patient_id: int, before_id: int, limit: int = 7
) -> list[tuple[int | None, int | None]]:
    """(mood, craving) of the patient's last ``limit`` completed check-ins other than ``before_id``."""
    stmt = (
        select(CheckIn.mood, CheckIn.craving)
        .where(
            CheckIn.patient_id == patient_id,
            CheckIn.completed_at.is_not(None),
            CheckIn.id != before_id,
        )
        .order_by(CheckIn.completed_at.desc(), CheckIn.id.desc())
        .limit(limit)
    )
    return [(mood, craving) for mood, craving in (await session.execute(stmt)).all()]


async def for_patient(session: AsyncSession, patient_id: int) -> list[CheckIn]:
    stmt = select(CheckIn).where(CheckIn.patient_id == patient_id).order_by(CheckIn.started_at, CheckIn.id)
    return list((await session.scalars(stmt)).all())


async def add_slip(
    session: AsyncSession, patient_id: int, day: dt.date, now: dt.datetime, source: str
) -> Slip:
    slip = Slip(patient_id=patient_id, local_date=day, recorded_at=now, source=source)
    session.add(slip)
    await session.flush()
    return slip


async def get_slip(session: AsyncSession, patient_id: int, slip_id: int) -> Slip | None:
    return await session.scalar(select(Slip).where(Slip.id == slip_id, Slip.patient_id == patient_id))


async def delete_slip(session: AsyncSession, patient_id: int, slip_id: int) -> None:
    await session.execute(delete(Slip).where(Slip.id == slip_id, Slip.patient_id == patient_id))
