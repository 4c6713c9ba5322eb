"""What is stored about a patient: shown (/privacy), exported (/export) and erased (/delete).

Features that store more about a patient register an exporter here, so the export stays complete
as the bot grows; erasure needs no registration because every patient table cascades from
``patients`` (a test checks that no table is left holding a deleted patient's rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Patient
from bot.ingest import store
from bot.repos import flows as flow_repo
from bot.repos import outbox
from bot.repos import patients as patient_repo

Exporter = Callable[[AsyncSession, Patient], Awaitable[tuple[str, Any]]]
_exporters: list[Exporter] = []


def exporter(fn: Exporter) -> Exporter:
    """Registers a function that adds one section to a patient's export."""
    _exporters.append(fn)
    return fn


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def patient_fields(patient: Patient) -> dict[str, Any]:
    columns = Patient.__table__.columns.keys()
    return {name: _iso(getattr(patient, name)) for name in columns if name != "id"}


@exporter
async def _flow(session: AsyncSession, patient: Patient) -> tuple[str, Any]:
    state = await flow_repo.get(session, patient.id)
    if state is None:
        return "current_flow", None
    return "current_flow", {
        "flow": state.flow,
        "step": state.step,
        "data": state.data,
        "updated_at": state.updated_at.isoformat(),
    }


async def export(session: AsyncSession, patient: Patient, now: dt.datetime) -> dict[str, Any]:
    document: dict[str, Any] = {"exported_at": now.isoformat(), "patient": patient_fields(patient)}
    for fn in _exporters:
        key, value = await fn(session, patient)
        document[key] = value
    return document


RECORD_SECTIONS = (
    "checkins",
    "measures",
    "slips",
    "milestones",
    "coping_sessions",
    "reasons_and_support_people",
    "triggers",
    "safety_plan",
    "flags",
)


def record_counts(document: dict[str, Any]) -> list[tuple[str, int]]:
    """How many records of each kind an export holds (for /privacy), leaving out the empty kinds."""
    counts = []
    for section in RECORD_SECTIONS:
        value = document.get(section)
        if isinstance(value, dict) and section == "triggers":
            count = len(value.get("triggers", ())) + len(value.get("risky_times", ()))
        elif isinstance(value, list):
            count = len(value)
        else:
            count = int(value is not None)
        if count:
            counts.append((section, count))
    return counts


async def erase(session: AsyncSession, patient: Patient) -> None:
    """Removes the patient and everything that references them, including stored updates."""
    await store.delete_for_chat(session, patient.chat_id)
    await outbox.delete_for_chat(session, patient.chat_id)
    await patient_repo.erase(session, patient.id)
