"""Walking a patient through the coping tools with the harness, and reading what was stored."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.coping.pacing import PacingRunner
from bot.db.models import CopingSession, FlowState, Patient, PersonalItem
from tests.coping.fakes import FakeTimer
from tests.harness import Harness

CRISIS = "I want to kill myself"


def runner(h: Harness) -> PacingRunner:
    return h.app.bot_data["pacing"]


def instant(h: Harness, pause_at: float | None = None) -> FakeTimer:
    """Makes the pacing sleep instant (optionally stopping at a moment until ``resume``)."""
    timer = FakeTimer(h.api, pause_at)
    runner(h).set_timer(timer)
    return timer


async def sent(h: Harness, key: str, timeout: float = 5.0, **values: Any) -> Any:
    """The next new message (not an edit) to the patient that matches ``key``."""
    return await h.api.wait_for(
        lambda r: (
            r.chat_id == h.chat_id and r.method == "sendMessage" and h.matches(r.text or "", key, **values)
        ),
        timeout,
    )


async def craving(h: Harness, score: int = 7) -> Any:
    """/craving and a rating: returns the menu of tools."""
    h.send("/craving")
    h.press(await sent(h, "coping.rate_before"), str(score))
    key = "coping.menu_high" if score >= h.config.coping.still_high else "coping.menu"
    return await sent(h, key)


async def open_tool(h: Harness, label: str, score: int = 7) -> None:
    """/craving, a rating, then "Show all" and the tool with this label."""
    menu = await craving(h, score)
    h.press(menu, "Show all")
    h.press(await sent(h, "coping.all_tools"), label)


async def breathing(h: Harness, pattern: str = "Box", length: str = "4 rounds", score: int = 7) -> Any:
    """Opens paced breathing up to its running message; returns that message."""
    await open_tool(h, "Paced breathing", score)
    h.press(await sent(h, "coping.breath_pick"), pattern)
    h.press(await sent(h, "coping.breath_length"), length)
    return await sent(h, "coping.pace_ready")


async def stored(h: Harness) -> tuple[list[CopingSession], FlowState | None, list[PersonalItem]]:
    """The patient's coping sessions, flow state and personal items, once every update is handled."""
    await h.settle()
    async with h.services.db.transaction() as session:
        patient = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        assert patient is not None
        uses = (
            await session.scalars(
                select(CopingSession).where(CopingSession.patient_id == patient.id).order_by(CopingSession.id)
            )
        ).all()
        state = await session.get(FlowState, patient.id)
        items = (
            await session.scalars(
                select(PersonalItem).where(PersonalItem.patient_id == patient.id).order_by(PersonalItem.id)
            )
        ).all()
        return list(uses), state, list(items)


async def until_quiet(h: Harness, chat_id: int | None = None) -> None:
    """Waits until no exercise is playing in the chat and every update is handled."""
    for _ in range(500):
        if not runner(h).running(chat_id or h.chat_id):
            break
        await asyncio.sleep(0.01)
    await h.settle()
