"""Queries about patients. Repositories never commit: the unit of work does."""

from __future__ import annotations

import secrets

from sqlalchemy import bindparam, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Flag, FlowState, Patient
from bot.repos import memo
from bot.repos.flags import IS_OPEN

_LABEL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# Built once, asked by every update: the patient, their flow state and whether a flag is open.
_BY_CHAT = (
    select(
        Patient,
        FlowState,
        exists().where(Flag.patient_id == Patient.id, IS_OPEN).label("open_flag"),
    )
    .outerjoin(FlowState, FlowState.patient_id == Patient.id)
    .where(Patient.chat_id == bindparam("chat_id"))
)


async def by_chat(session: AsyncSession, chat_id: int) -> Patient | None:
    """The chat's patient; read once per session, with their flow state and open-flag status (memo)."""
    known = memo.get(session, "patient", chat_id)
    if known is not memo.MISSING:
        return known
    row = (await session.execute(_BY_CHAT, {"chat_id": chat_id})).first()
    if row is None:
        memo.put(session, "patient", chat_id, None)
        return None
    patient, state, open_flag = row
    memo.put(session, "patient", chat_id, patient)
    memo.put(session, "flow", patient.id, state)
    memo.put(session, "open_flag", patient.id, bool(open_flag))
    return patient


async def by_label(session: AsyncSession, label: str) -> Patient | None:
    return await session.scalar(select(Patient).where(Patient.label == label))


async def new_label(session: AsyncSession) -> str:
    """A pseudonymous label such as ``P-7KQ2M`` that staff see instead of a name."""
    while True:
        label = "P-" + "".join(secrets.choice(_LABEL_ALPHABET) for _ in range(5))
        if await by_label(session, label) is None:
            return label


async def add(session: AsyncSession, patient: Patient) -> Patient:
    session.add(patient)
    await session.flush()
    memo.put(session, "patient", patient.chat_id, patient)
    return patient


async def erase(session: AsyncSession, patient_id: int) -> None:
    """Deletes the patient; every table holding their data cascades from ``patients``."""
    await session.execute(delete(Patient).where(Patient.id == patient_id))
    memo.of(session).clear()  # whatever was remembered of them is gone
