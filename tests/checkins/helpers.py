"""Driving a check-in through the real application, and reading what it stored."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.db.models import CheckIn, Flag, FlowState, Patient, Reminder, Slip
from tests.harness import Harness


def tap(h: Harness, record: Any, action: str, value: str = "") -> int:
    """Presses the flow button ``fl:<version>:<action>[:<value>]`` of ``record`` (exact, not by label)."""
    for _, data in h.buttons(record):
        parts = data.split(":")
        if parts[0] == "fl" and parts[2] == action and (parts[3] if len(parts) > 3 else "") == value:
            return h.api.push_callback(h.chat_id, record.message_id, data)
    raise AssertionError(f"no button {action}:{value} in {h.buttons(record)}")


async def open_checkin(h: Harness) -> Any:
    h.send("/checkin")
    record = await h.answer("checkin.ask.mood")
    assert h.matches(record.text, "checkin.intro")
    return record


async def answer_until_symptoms(
    h: Harness,
    mood: int = 6,
    craving: int = 3,
    used: bool = False,
    detail: str | None = None,
    sleep: str = "so_so",
    hours: int = 7,
) -> Any:
    """From /checkin to the symptom list; returns the symptom message."""
    record = await open_checkin(h)
    tap(h, record, "pick", str(mood))
    tap(h, await h.answer("checkin.ask.craving"), "pick", str(craving))
    tap(h, await h.answer("checkin.ask.use"), "pick", "yes" if used else "no")
    if used:
        record = await h.answer("checkin.ask.use_detail")
        if detail:
            h.send(detail)
        else:
            tap(h, record, "skip")
    tap(h, await h.answer("checkin.ask.sleep"), "pick", sleep)
    tap(h, await h.answer("checkin.ask.hours"), "pick", str(hours))
    return await h.answer("checkin.ask.symptoms")


async def tick(h: Harness, record: Any, *symptoms: str) -> Any:
    """Ticks symptoms one by one; every tick edits the same message. Returns the last edit."""
    for symptom in symptoms:
        tap(h, record, "tog", symptom)
        edited = await h.answer("checkin.ask.symptoms")
        assert edited.method == "editMessageText" and edited.message_id == record.message_id
        record = edited
    return record


async def checkin(h: Harness, symptoms: tuple[str, ...] = (), note: str | None = None, **answers: Any) -> Any:
    """A whole check-in with buttons; returns the reply after it."""
    record = await tick(h, await answer_until_symptoms(h, **answers), *symptoms)
    tap(h, record, "done")
    record = await h.answer("checkin.ask.note")
    if note:
        h.send(note)
    else:
        tap(h, record, "skip")
    return await h.answer("checkin.reply.thanks")


async def settle(h: Harness, timeout: float = 5.0) -> None:
    """Like ``h.settle()``, also for a harness restarted on another's fake Telegram: the updates pushed
    before it started (``h.pushed_before``) were never its own to store."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        pushed = h.api.updates_pushed - getattr(h, "pushed_before", 0)
        if h.bot.poller.stored >= pushed and await h.pending() == 0:
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("updates still pending")


async def stored(h: Harness, model: Any) -> list[Any]:
    """Every row of ``model`` once all updates are handled, oldest first."""
    await settle(h)
    order = {
        CheckIn: CheckIn.id,
        Slip: Slip.id,
        Flag: Flag.id,
        Reminder: Reminder.due_at,
        Patient: Patient.id,
        FlowState: FlowState.patient_id,
    }[model]
    async with h.services.db.transaction() as session:
        return list((await session.scalars(select(model).order_by(order))).all())


async def flow_state(h: Harness) -> FlowState | None:
    states = await stored(h, FlowState)
    return states[0] if states else None
