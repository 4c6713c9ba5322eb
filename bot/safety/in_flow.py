"""The one safety service for replies inside flows, and what happens to hard words typed as an answer.

Every place that answers a crisis from inside a flow (the safety plan, the weekly measures' screener,
the coping tools and the triggers) calls :func:`respond`: the same reply as the safety gate's, the same
country rule, sent at once through the crisis responder (never waiting for a commit, once per update).

A flow step that invites hard feelings (a safety plan's warning signs, a check-in note) names itself in
its module's ``FEELING_STEPS``. There the safety gate lets the typed text through, so the flow saves it
as the answer it is; then the flow calls :func:`after_saved`: a crisis is answered at once (by the gate
already, or here), the flow stops, and once the answer is committed the patient is told it was kept,
with a button to carry on; a concern gets a gentle check after the flow's own reply.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import TYPE_CHECKING

from bot.ingest.unit import current_unit
from bot.repos import flags as flag_repo
from bot.safety.replies import buttons
from bot.safety.safety_plan import crisis_lines
from bot.safety.screener import Level, Screening, screen
from bot.sending import send_text

if TYPE_CHECKING:
    from bot.flows.base import FlowCtx

log = logging.getLogger(__name__)
# (update id, the gate's screening, whether the gate already answered it)
_SEEN: ContextVar[tuple[int, Screening, bool] | None] = ContextVar("gate_screening", default=None)


def remember(update_id: int, result: Screening, answered: bool) -> None:
    """The safety gate's result for this update, for the flow that receives the text next."""
    _SEEN.set((update_id, result, answered))


def _seen() -> tuple[Screening, bool] | None:
    seen, unit = _SEEN.get(), current_unit()
    return (seen[1], seen[2]) if seen and unit is not None and seen[0] == unit.update_id else None


def screening(fc: FlowCtx, text: str) -> Screening:
    """The gate's result for this update where it left one (the higher of it and the flow's own)."""
    own, seen = screen(text, fc.lang), _seen()
    return seen[0] if seen is not None and seen[0].level > own.level else own


async def respond(fc: FlowCtx, result: Screening) -> bool:
    """Sends the safety reply for ``result`` at once, with the patient's plan; True when sent now."""
    s, unit = fc.ctx.services, current_unit()
    country = s.crisis.country_for(fc.patient.country, None)
    plan = await _plan(fc) if result.level >= Level.CRISIS else []
    update_id = unit.update_id if unit is not None else 0
    return await s.crisis.answer(fc.ctx.bot, fc.chat_id, update_id, result, fc.lang, country, plan)


async def after_saved(fc: FlowCtx, text: str) -> Screening:
    """After a flow saved ``text`` as an answer: a crisis is answered at once (unless the gate already
    did), the flow then stops and shows nothing more, and once the answer is committed the patient is
    told it was kept, with a button to carry on. Returns the screening for :func:`gentle_check`."""
    result, seen = screening(fc, text), _seen()
    if result.level < Level.CRISIS:
        return result
    if seen is None or not seen[1]:
        await respond(fc, result)
    button = buttons(fc.ctx.services.content, fc.lang, "resume")
    await send_text(fc.ctx.bot, fc.chat_id, fc.t("crisis.answer_kept"), reply_markup=button)
    return result


async def gentle_check(fc: FlowCtx, result: Screening) -> None:
    """After the flow's own reply: a concern gets the direct question (queued after that reply)."""
    if result.level != Level.CONCERN:
        return
    country = fc.ctx.services.crisis.country_for(fc.patient.country, None)
    text, buttons = fc.ctx.services.crisis.reply(result, fc.lang, country)
    await send_text(fc.ctx.bot, fc.chat_id, text, reply_markup=buttons)


def is_crisis(result: Screening) -> bool:
    return result.level >= Level.CRISIS


async def _plan(fc: FlowCtx) -> list[str]:
    """The patient's own plan for the reply; nothing (and a log line) if it cannot be read now."""
    try:
        plan = await flag_repo.safety_plan(fc.ctx.session, fc.patient.id)
    except Exception:
        log.exception("safety plan unavailable for a crisis reply inside a flow")
        return []
    return crisis_lines(plan.sections) if plan and isinstance(plan.sections, dict) else []
