"""The one safety service for replies inside flows, and what happens to hard words typed as an answer.

Every place that answers a crisis from inside a flow (the safety plan, the weekly measures' screener,
the coping tools and the triggers) calls :func:`respond`: the same reply as the safety gate's, the same
country rule, sent at once through the crisis responder (never waiting for a commit, once per update).

A flow step that invites hard feelings (a safety plan's warning signs, a check-in note) names itself in
its module's ``FEELING_STEPS``. There the safety gate lets the typed text through, so the flow saves it
as the answer it is; then the flow calls :func:`after_saved`: a crisis is answered (the reply offers to
carry on with the flow, which stops here), and a concern gets a gentle check after the flow's own reply.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import TYPE_CHECKING

from bot.ingest.unit import current_unit
from bot.repos import flags as flag_repo
from bot.safety.safety_plan import crisis_lines
from bot.safety.screener import Level, Screening, screen
from bot.sending import send_text

if TYPE_CHECKING:
    from bot.flows.base import FlowCtx

log = logging.getLogger(__name__)
_SEEN: ContextVar[tuple[int, Screening] | None] = ContextVar("gate_screening", default=None)


def remember(update_id: int, result: Screening) -> None:
    """The safety gate's result for this update, for the flow that receives the text next."""
    _SEEN.set((update_id, result))


def screening(fc: FlowCtx, text: str) -> Screening:
    """The gate's result for this update where it left one (the higher of it and the flow's own)."""
    own = screen(text, fc.lang)
    seen, unit = _SEEN.get(), current_unit()
    if seen is not None and unit is not None and seen[0] == unit.update_id and seen[1].level > own.level:
        return seen[1]
    return own


async def respond(fc: FlowCtx, result: Screening, resume: bool = False) -> bool:
    """Sends the safety reply for ``result`` at once, with the patient's plan; True when sent now."""
    s, unit = fc.ctx.services, current_unit()
    country = s.crisis.country_for(fc.patient.country, None)
    plan = await _plan(fc) if result.level >= Level.CRISIS else []
    update_id = unit.update_id if unit is not None else 0
    return await s.crisis.answer(fc.ctx.bot, fc.chat_id, update_id, result, fc.lang, country, plan, resume)


async def after_saved(fc: FlowCtx, text: str) -> Screening:
    """After a flow saved ``text`` as an answer: a crisis is answered at once (the flow then stops and
    shows nothing more; the reply offers to carry on). Returns the screening for :func:`gentle_check`."""
    result = screening(fc, text)
    if result.level >= Level.CRISIS:
        await respond(fc, result, resume=True)
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
