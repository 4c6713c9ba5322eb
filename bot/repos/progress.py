"""Queries for progress: completed check-ins, slips and milestones. Repositories never commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckIn, Milestone, Reminder, Slip

_COMPLETED = CheckIn.completed_at.is_not(None)


async def checkin_days(session: AsyncSession, patient_id: int) -> list[dt.date]:
    """The local date of every completed check-in (one entry per check-in)."""
    stmt = select(CheckIn.local_date).where(CheckIn.patient_id == patient_id, _COMPLETED)
    return list((await session.scalars(stmt)).all())


async def checkin_scores(
    session: AsyncSession, patient_id: int, since: dt.date
) -> list[tuple[dt.date, int | None, int | None]]:
    """(local date, mood, craving) of completed check-ins from ``since``, in the order completed."""
    stmt = (
        select(CheckIn.local_date, CheckIn.mood, CheckIn.craving)
        .where(CheckIn.patient_id == patient_id, _COMPLETED, CheckIn.local_date >= since)
        .order_by(CheckIn.completed_at, CheckIn.id)
    )
    return [(row.local_date, row.mood, row.craving) for row in (await session.execute(stmt)).all()]


async def slip_days(session: AsyncSession, patient_id: int) -> list[dt.date]:
    stmt = select(Slip.local_date).where(Slip.patient_id == patient_id).distinct()
    return list((await session.scalars(stmt)).all())


async def slips(session: AsyncSession, patient_id: int) -> list[Slip]:
    stmt = select(Slip).where(Slip.patient_id == patient_id).order_by(Slip.local_date, Slip.id)
    return list((await session.scalars(stmt)).all())


async def add_slip(session: AsyncSession, slip: Slip) -> Slip:
    session.add(slip)
    await session.flush()
    return slip


async def slip_of(session: AsyncSession, patient_id: int, slip_id: int) -> Slip | None:
    """The patient's slip with this id (None when it is gone or belongs to someone else)."""
    return await session.scalar(select(Slip).where(Slip.id == slip_id, Slip.patient_id == patient_id))


async def milestones(session: AsyncSession, patient_id: int) -> list[Milestone]:
    stmt = select(Milestone).where(Milestone.patient_id == patient_id).order_by(Milestone.days)
    return list((await session.scalars(stmt)).all())


async def celebrated_days(session: AsyncSession, patient_id: int) -> set[int]:
    return set(
        (await session.scalars(select(Milestone.days).where(Milestone.patient_id == patient_id))).all()
    )


async def add_milestone(session: AsyncSession, patient_id: int, days: int, now: dt.datetime) -> bool:
    """Records a milestone; False when it was already recorded (by this or a concurrent transaction)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Milestone).values(patient_id=patient_id, days=days, celebrated_at=now)
    result = await session.execute(stmt.on_conflict_do_nothing(index_elements=["patient_id", "days"]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def reminder_planned(session: AsyncSession, patient_id: int, key: str) -> bool:
    """True when a reminder with this key was ever planned for the patient (sent or not)."""
    stmt = select(Reminder.id).where(Reminder.patient_id == patient_id, Reminder.key == key)
    return await session.scalar(stmt) is not None
