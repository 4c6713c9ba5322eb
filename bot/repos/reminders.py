"""Queries for reminders. Planning is idempotent: the unique (patient, key) makes a second plan a no-op."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Patient, Reminder

# A reminder still to come: pending, or being sent right now (it plans its successor once it is sent,
# so start-up planning running beside the dispatcher must not plan one too).
WAITING = ("pending", "sending")


async def plan(
    session: AsyncSession,
    patient_id: int,
    kind: str,
    key: str,
    due_at: dt.datetime,
    payload: dict[str, Any] | None = None,
) -> None:
    """Adds the reminder unless one with the same key exists (sent or not)."""
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Reminder).values(
        patient_id=patient_id,
        kind=kind,
        key=key,
        due_at=due_at,
        payload=payload,
        status="pending",
        attempts=0,
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["patient_id", "key"]))


async def cancel_pending(session: AsyncSession, patient_id: int, kinds: tuple[str, ...]) -> None:
    await session.execute(
        delete(Reminder).where(
            Reminder.patient_id == patient_id, Reminder.status == "pending", Reminder.kind.in_(kinds)
        )
    )


async def claim_due(session: AsyncSession, now: dt.datetime, limit: int) -> list[Reminder]:
    """Marks due reminders as being sent (taken by this instance) and returns them, oldest first."""
    ids = select(Reminder.id).where(Reminder.status == "pending", Reminder.due_at <= now)
    ids = ids.order_by(Reminder.due_at).limit(limit).with_for_update(skip_locked=True)
    taken = list((await session.scalars(ids)).all())
    if not taken:
        return []
    await session.execute(update(Reminder).where(Reminder.id.in_(taken)).values(status="sending"))
    rows = await session.scalars(select(Reminder).where(Reminder.id.in_(taken)).order_by(Reminder.due_at))
    return list(rows.all())


async def release(session: AsyncSession, reminder_ids: list[int]) -> None:
    """Claimed reminders that were never tried go back to ``pending`` (the bot is stopping)."""
    if reminder_ids:
        await session.execute(
            update(Reminder)
            .where(Reminder.id.in_(reminder_ids), Reminder.status == "sending")
            .values(status="pending")
        )


async def orphaned_sending(session: AsyncSession) -> int:
    """Reminders a crashed process was sending: marked unconfirmed rather than sent twice."""
    result = await session.execute(
        update(Reminder).where(Reminder.status == "sending").values(status="unconfirmed")
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def schedules_without(session: AsyncSession, kind: str) -> list[Any]:
    """Active, onboarded patients with no reminder of ``kind`` waiting (to plan at start-up), as plain
    rows: id, checkin_time, timezone, reminders_paused_until."""
    pending = exists().where(
        and_(Reminder.patient_id == Patient.id, Reminder.kind == kind, Reminder.status.in_(WAITING))
    )
    stmt = select(Patient.id, Patient.checkin_time, Patient.timezone, Patient.reminders_paused_until).where(
        Patient.active.is_(True),
        Patient.onboarded_at.is_not(None),
        Patient.checkin_time.is_not(None),
        Patient.timezone.is_not(None),
        ~pending,
    )
    return list((await session.execute(stmt.order_by(Patient.id))).all())


async def with_pending(session: AsyncSession, patient_ids: list[int], kind: str) -> set[int]:
    """Those of ``patient_ids`` that have a reminder of ``kind`` waiting (pending or being sent)."""
    stmt = select(Reminder.patient_id).where(
        Reminder.patient_id.in_(patient_ids), Reminder.kind == kind, Reminder.status.in_(WAITING)
    )
    return set(await session.scalars(stmt))


async def used_keys(
    session: AsyncSession, patient_ids: list[int], kind: str, since: str
) -> set[tuple[int, str]]:
    """The (patient, key) pairs of ``kind`` already planned with a key from ``since`` on."""
    stmt = select(Reminder.patient_id, Reminder.key).where(
        Reminder.patient_id.in_(patient_ids), Reminder.kind == kind, Reminder.key >= since
    )
    return {(row.patient_id, row.key) for row in await session.execute(stmt)}


async def plan_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Adds many reminders in one statement; one whose (patient, key) exists already is left out."""
    if not rows:
        return
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    values = [{**row, "status": "pending", "attempts": 0} for row in rows]
    stmt = insert(Reminder).on_conflict_do_nothing(index_elements=["patient_id", "key"])
    await connection.execute(stmt, values)


async def set_result(
    session: AsyncSession, reminder_id: int, status: str, at: dt.datetime | None, error: str | None = None
) -> None:
    await session.execute(
        update(Reminder)
        .where(Reminder.id == reminder_id)
        .values(status=status, sent_at=at, last_error=error, attempts=Reminder.attempts + 1)
    )
