"""Paced exercises inside the coping flow: starting one, stopping it, and what happens when it ends.

The flow moves to the ``running`` step and sends the exercise's message with a Stop button; the run
starts once that is committed. What the run needs to survive a restart is in the flow's data (``run``:
its id, message and planned end), so a run that no process is playing any more is shown to the patient
as interrupted, with an offer to start again: at start-up (:func:`interrupt_all`) and, should that
message not have gone out, at the patient's next message or tap.

The run's own task reports its end here; that work happens outside any update, in a background unit of
work (its own transaction, with the flow state locked) that changes nothing when the patient has moved
on in the meantime.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import TelegramError
from telegram.ext import Application

from bot.coping import common, service
from bot.coping.common import FLOW
from bot.coping.pacing import ABANDONED, CRISIS, FAILED, FINISHED, GONE, Frame, Run
from bot.db.models import FlowState
from bot.flows.base import FlowCtx
from bot.handlers.context import BotContext
from bot.ingest.unit import UnitOfWork, after_commit, enter, leave
from bot.repos import coping as repo
from bot.repos import flows as flow_repo

log = logging.getLogger(__name__)

RUNNING, INTERRUPTED = "running", "interrupted"


async def play(
    fc: FlowCtx,
    kind: str,
    frames: list[Frame],
    total: float,
    final_text: str,
    stopped_text: str,
    **extra: Any,
) -> None:
    """Moves to ``running``, sends the first frame with a Stop button, and plays the rest after commit.

    ``kind`` names what happens at the end (see ``flow.FINISHERS``); ``extra`` is kept in the run's data.
    """
    now = fc.ctx.services.clock.now()
    run_id = uuid.uuid4().hex[:12]
    ends_at = (now + dt.timedelta(seconds=total)).isoformat()
    info = {"id": run_id, "kind": kind, "ends_at": ends_at, "stopped_text": stopped_text, **extra}
    await fc.move(FLOW, RUNNING, {**fc.data, "run": info})
    markup = InlineKeyboardMarkup([[fc.button(fc.t("coping.button_stop"), "stop")]])
    message = await fc.ctx.bot.send_message(fc.chat_id, frames[0].text, reply_markup=markup)
    assert fc.state is not None
    # Same step, same version (the Stop button carries it): only the message id is added.
    fc.state.data = {**fc.state.data, "run": {**info, "message_id": message.message_id}}
    app = fc.ctx.application
    run = Run(
        chat_id=fc.chat_id,
        message_id=message.message_id,
        frames=frames,
        total=total,
        final_text=final_text,
        markup=markup,
        sent_text=frames[0].text,
        stopped_text=stopped_text,
        on_end=partial(_ended, app, fc.patient.id, run_id, fc.data.get("use")),
        alive=partial(_alive, app, fc.patient.id, run_id),
    )
    runner = common.runtime(fc).runner
    after_commit(lambda: runner.start(run))


def is_playing(fc: FlowCtx) -> bool:
    return common.runtime(fc).runner.running(fc.chat_id)


async def stop(fc: FlowCtx) -> bool:
    """The patient tapped Stop: no more edits, the message says so, the use ends unfinished.
    False when the flow moved on meanwhile (the exercise had just ended)."""
    await common.runtime(fc).runner.stop(fc.chat_id)
    state = await repo.locked_state(fc.ctx.session, fc.patient.id)
    if state is None or state.flow != FLOW or state.step != RUNNING:
        fc.state = state
        return False
    run = fc.data.get("run") or {}
    await _show(fc, run, run.get("stopped_text"))
    await common.end_use(fc, finished=False)
    return True


async def interrupt(fc: FlowCtx) -> None:
    """No process plays this run any more (a restart, or the run failed): say so kindly, offer it again."""
    run = fc.data.get("run") or {}
    now = fc.ctx.services.clock.now()
    ends_at = _parse(run.get("ends_at"))
    use = fc.data.get("use")
    if isinstance(use, int):
        await service.end_use(fc.ctx.session, fc.patient, use, False, min(now, ends_at) if ends_at else now)
    await _show(fc, run, run.get("stopped_text"))
    await common.goto(fc, INTERRUPTED)


async def _show(fc: FlowCtx, run: dict[str, Any], text: str | None) -> None:
    """Best effort: the exercise's message loses its Stop button (and says it stopped)."""
    message_id = run.get("message_id")
    if not isinstance(message_id, int):
        return
    try:
        if text:
            await fc.ctx.bot.edit_message_text(text, chat_id=fc.chat_id, message_id=message_id)
        else:
            await fc.ctx.bot.edit_message_reply_markup(chat_id=fc.chat_id, message_id=message_id)
    except TelegramError as exc:
        log.info("could not update the exercise message in chat %s: %s", fc.chat_id, exc)


def _parse(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


# -- outside updates ----------------------------------------------------------------------------------------
@asynccontextmanager
async def background(app: Application) -> AsyncIterator[BotContext]:
    """A unit of work outside any update: its own transaction, ``after_commit`` run after it."""
    services = app.bot_data["services"]
    async with services.db.transaction() as session:
        work = UnitOfWork(session=session, update_id=0)
        token = enter(work)
        try:
            yield BotContext(app)
        finally:
            leave(token)
    for callback in work.after_commit:
        callback()


async def _flow_ctx(ctx: BotContext, patient_id: int, run_id: str | None) -> FlowCtx | None:
    """The patient's coping flow, locked, when it is still at the run ``run_id`` (any run if None)."""
    state = await repo.locked_state(ctx.session, patient_id)
    if not _at_run(state, run_id):
        return None
    patient = await repo.patient(ctx.session, patient_id)
    return FlowCtx(ctx, patient.chat_id, patient, state) if patient is not None else None


def _at_run(state: FlowState | None, run_id: str | None) -> bool:
    if state is None or state.flow != FLOW or state.step != RUNNING:
        return False
    return run_id is None or (state.data.get("run") or {}).get("id") == run_id


async def _alive(app: Application, patient_id: int, run_id: str) -> bool:
    """Is the patient still in this exercise? (They may have typed /cancel or started something else.)"""
    async with app.bot_data["services"].db.read() as session:
        return _at_run(await flow_repo.get(session, patient_id), run_id)


async def _ended(app: Application, patient_id: int, run_id: str, use: Any, outcome: str) -> None:
    if outcome == ABANDONED:  # the patient went elsewhere (/cancel, another flow): the use ends there
        if isinstance(use, int):
            async with background(app) as ctx:
                patient = await repo.patient(ctx.session, patient_id)
                if patient is not None:
                    await service.end_use(ctx.session, patient, use, False, ctx.services.clock.now())
        return
    async with background(app) as ctx:
        fc = await _flow_ctx(ctx, patient_id, run_id)
        if fc is None:
            return
        if outcome == FINISHED:
            from bot.coping.flow import FINISHERS

            await FINISHERS[(fc.data.get("run") or {}).get("kind", "")](fc)
        elif outcome in (CRISIS, GONE):  # the crisis reply (or nothing: the chat is gone) has the last word
            await common.end_use(fc, finished=False)
            await fc.finish()
        elif outcome == FAILED:
            await interrupt(fc)


async def interrupt_all(app: Application) -> int:
    """Start-up: every exercise that was being paced when the bot stopped is shown as interrupted.
    One patient's failure never stops the others. Returns how many were shown."""
    async with app.bot_data["services"].db.read() as session:
        waiting = [state.patient_id for state, _ in await repo.states_at(session, FLOW, RUNNING)]
    shown = 0
    for patient_id in waiting:
        try:
            async with background(app) as ctx:
                fc = await _flow_ctx(ctx, patient_id, None)
                if fc is not None and not app.bot_data["coping"].runner.running(fc.chat_id):
                    await interrupt(fc)
                    shown += 1
        except Exception:
            log.exception("could not tell patient %s that their exercise was interrupted", patient_id)
    return shown
