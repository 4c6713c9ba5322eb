"""Queries for triggers, risky times and "how did it go?" answers. Repositories never commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Outcome, Patient, Reminder, RiskyTime, Trigger
from bot.repos.reminders import WAITING


async def triggers(session: AsyncSession, patient_id: int) -> list[Trigger]:
    rows = await session.scalars(select(Trigger).where(Trigger.patient_id == patient_id).order_by(Trigger.id))
    return list(rows.all())


async def count_triggers(session: AsyncSession, patient_id: int) -> int:
    stmt = select(func.count()).select_from(Trigger).where(Trigger.patient_id == patient_id)
    return await session.scalar(stmt) or 0


async def trigger_of(session: AsyncSession, patient_id: int, trigger_id: int) -> Trigger | None:
    """The patient's own trigger (an id from a button is untrusted: another patient's is None)."""
    stmt = select(Trigger).where(Trigger.id == trigger_id, Trigger.patient_id == patient_id)
    return await session.scalar(stmt)


async def add_trigger(session: AsyncSession, row: Trigger) -> Trigger:
    session.add(row)
    await session.flush()
    return row


async def remove_trigger(session: AsyncSession, patient_id: int, trigger_id: int) -> bool:
    """Removes a trigger with its risky times and their pending reminders."""
    times = [t.id for t in await risky_times(session, patient_id) if t.trigger_id == trigger_id]
    for time_id in times:
        await remove_risky_time(session, patient_id, time_id)
    result = await session.execute(
        delete(Trigger).where(Trigger.id == trigger_id, Trigger.patient_id == patient_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def risky_times(session: AsyncSession, patient_id: int, active_only: bool = False) -> list[RiskyTime]:
    stmt = select(RiskyTime).where(RiskyTime.patient_id == patient_id)
    if active_only:
        stmt = stmt.where(RiskyTime.active.is_(True))
    return list((await session.scalars(stmt.order_by(RiskyTime.id))).all())


async def count_risky_times(session: AsyncSession, patient_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(RiskyTime)
        .where(RiskyTime.patient_id == patient_id, RiskyTime.active.is_(True))
    )
    return await session.scalar(stmt) or 0


async def risky_time_of(session: AsyncSession, patient_id: int, time_id: int) -> RiskyTime | None:
    stmt = select(RiskyTime).where(RiskyTime.id == time_id, RiskyTime.patient_id == patient_id)
    return await session.scalar(stmt)


async def add_risky_time(session: AsyncSession, row: RiskyTime) -> RiskyTime:
    session.add(row)
    await session.flush()
    return row


async def remove_risky_time(session: AsyncSession, patient_id: int, time_id: int) -> bool:
    """Removes a risky time and its reminders that have not gone out (sent ones stay as history)."""
    await cancel_reminders_of(session, patient_id, time_id)
    result = await session.execute(
        delete(RiskyTime).where(RiskyTime.id == time_id, RiskyTime.patient_id == patient_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def cancel_reminders_of(session: AsyncSession, patient_id: int, time_id: int) -> None:
    """Drops the pending reminders ("risky" and "how did it go?") of one risky time."""
    await session.execute(
        delete(Reminder).where(
            Reminder.patient_id == patient_id,
            Reminder.status == "pending",
            or_(Reminder.key.like(f"risky:{time_id}:%"), Reminder.key.like(f"riskout:{time_id}:%")),
        )
    )


async def times_without_pending(session: AsyncSession) -> list[tuple[RiskyTime, Patient]]:
    """Active risky times of active, onboarded patients that have no pending reminder (start-up)."""
    stmt = (
        select(RiskyTime, Patient)
        .join(Patient, Patient.id == RiskyTime.patient_id)
        .where(RiskyTime.active.is_(True), Patient.active.is_(True), Patient.onboarded_at.is_not(None))
        .order_by(RiskyTime.id)
    )
    rows = [(row[0], row[1]) for row in (await session.execute(stmt)).all()]
    pending = await session.scalars(
        select(Reminder.key).where(Reminder.kind == "risky", Reminder.status.in_(WAITING))
    )
    planned = {key.split(":")[1] for key in pending}
    return [(time, patient) for time, patient in rows if str(time.id) not in planned]


async def add_outcome(session: AsyncSession, row: Outcome) -> Outcome:
    session.add(row)
    await session.flush()
    return row


async def outcome_for(session: AsyncSession, patient_id: int, time_id: int, since: dt.datetime) -> bool:
    """True when the patient already answered "how did it go?" for this risky time since ``since``."""
    stmt = (
        select(func.count())
        .select_from(Outcome)
        .where(Outcome.patient_id == patient_id, Outcome.risky_time_id == time_id, Outcome.at >= since)
    )
    return bool(await session.scalar(stmt))


async def outcomes(session: AsyncSession, patient_id: int) -> list[Outcome]:
    rows = await session.scalars(select(Outcome).where(Outcome.patient_id == patient_id).order_by(Outcome.id))
    return list(rows.all())


async def reminder_of(session: AsyncSession, patient_id: int, reminder_id: int) -> Reminder | None:
    stmt = select(Reminder).where(Reminder.id == reminder_id, Reminder.patient_id == patient_id)
    return await session.scalar(stmt)
