"""Queries for flags, their conversation, staff posts, staff threads, the roster and the audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEntry, Flag, FlagMessage, Patient, SafetyPlan, Staff, StaffPost, StaffThread

OPEN = ("new", "acknowledged")
# The same test written without IN: a statement asked on every update is not re-rendered for its list.
IS_OPEN = or_(*(Flag.status == status for status in OPEN))


async def get(session: AsyncSession, flag_id: int) -> Flag | None:
    return await session.get(Flag, flag_id)


async def has_open(session: AsyncSession, patient_id: int) -> bool:
    """Whether the patient has an open flag (asked of every message they send)."""
    stmt = select(Flag.id).where(Flag.patient_id == patient_id, IS_OPEN).limit(1)
    return await session.scalar(stmt) is not None


async def open_for_patient(session: AsyncSession, patient_id: int) -> list[Flag]:
    stmt = (
        select(Flag)
        .where(Flag.patient_id == patient_id, Flag.status.in_(OPEN))
        .order_by(Flag.priority.desc(), Flag.created_at)
    )
    return list((await session.scalars(stmt)).all())


async def add(session: AsyncSession, flag: Flag) -> Flag:
    session.add(flag)
    await session.flush()
    return flag


def status_changed(session: AsyncSession, flag: Flag) -> None:
    """Nothing to do any more: whether a flag is open is always read from the database, after the
    session's pending changes are flushed. Kept for the callers that still call it."""


async def add_message(
    session: AsyncSession, flag_id: int, author: str, text: str, at: dt.datetime, staff_id: int | None = None
) -> None:
    session.add(FlagMessage(flag_id=flag_id, author=author, text=text, at=at, staff_id=staff_id))


async def conversation(session: AsyncSession, flag_id: int, limit: int = 30) -> list[FlagMessage]:
    stmt = (
        select(FlagMessage).where(FlagMessage.flag_id == flag_id).order_by(FlagMessage.at.desc()).limit(limit)
    )
    return list(reversed((await session.scalars(stmt)).all()))


async def queue(session: AsyncSession, limit: int = 50) -> list[tuple[Flag, Patient]]:
    """Open flags, highest priority first, then oldest first (the staff review queue)."""
    stmt = (
        select(Flag, Patient)
        .join(Patient, Patient.id == Flag.patient_id)
        .where(Flag.status.in_(OPEN))
        .order_by(Flag.priority.desc(), Flag.created_at)
        .limit(limit)
    )
    return [(f, p) for f, p in (await session.execute(stmt)).all()]


async def due_realerts(session: AsyncSession, now: dt.datetime, priorities: list[int]) -> list[Flag]:
    stmt = select(Flag).where(Flag.status == "new", Flag.next_alert_at <= now, Flag.priority.in_(priorities))
    return list((await session.scalars(stmt)).all())


async def due_followups(session: AsyncSession, now: dt.datetime) -> list[Flag]:
    stmt = select(Flag).where(Flag.status == "resolved", Flag.followup_at <= now)
    return list((await session.scalars(stmt)).all())


async def patient(session: AsyncSession, flag: Flag) -> Patient | None:
    return await session.get(Patient, flag.patient_id)


# -- staff posts and threads -------------------------------------------------------------------------
async def enqueue_post(session: AsyncSession, post: StaffPost) -> None:
    session.add(post)


async def due_posts(session: AsyncSession, now: dt.datetime, limit: int = 50) -> list[StaffPost]:
    stmt = (
        select(StaffPost)
        .where(StaffPost.sent_at.is_(None), StaffPost.next_attempt_at <= now)
        .order_by(StaffPost.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(stmt)).all())


async def add_thread(session: AsyncSession, chat_id: int, message_id: int, flag_id: int, kind: str) -> None:
    session.add(StaffThread(chat_id=chat_id, message_id=message_id, flag_id=flag_id, kind=kind))


async def thread(session: AsyncSession, chat_id: int, message_id: int) -> StaffThread | None:
    return await session.get(StaffThread, (chat_id, message_id))


async def flag_message_id(session: AsyncSession, flag_id: int, chat_id: int) -> int | None:
    stmt = select(StaffThread.message_id).where(
        StaffThread.flag_id == flag_id, StaffThread.chat_id == chat_id, StaffThread.kind == "flag"
    )
    return await session.scalar(stmt.order_by(StaffThread.message_id.desc()).limit(1))


# -- roster, audit, safety plan -----------------------------------------------------------------------
async def staff_member(session: AsyncSession, user_id: int) -> Staff | None:
    member = await session.get(Staff, user_id)
    return member if member is not None and member.active else None


async def roster(session: AsyncSession) -> list[Staff]:
    return list((await session.scalars(select(Staff).order_by(Staff.name))).all())


async def audit(
    session: AsyncSession,
    at: dt.datetime,
    actor: str,
    action: str,
    flag_id: int | None = None,
    patient_label: str | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=at, actor=actor, action=action, flag_id=flag_id, patient_label=patient_label, detail=detail
        )
    )


async def safety_plan(session: AsyncSession, patient_id: int) -> SafetyPlan | None:
    return await session.get(SafetyPlan, patient_id)
