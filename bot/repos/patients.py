"""Queries about patients. Repositories never commit: the unit of work does."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot.db.models import Patient

_LABEL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


async def by_chat(session: AsyncSession, chat_id: int) -> Patient | None:
    """The chat's patient, or None before they consented; with their flow state, which most updates
    read next."""
    stmt = select(Patient).options(joinedload(Patient.flow_state)).where(Patient.chat_id == chat_id)
    return await session.scalar(stmt)


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
    return patient


async def erase(session: AsyncSession, patient_id: int) -> None:
    """Deletes the patient; every table holding their data cascades from ``patients``."""
    await session.execute(delete(Patient).where(Patient.id == patient_id))
