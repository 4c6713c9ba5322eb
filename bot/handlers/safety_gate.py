"""The first handler every update meets: free text is screened for risk before anything else.

A message at ``concern`` or above is answered at once from memory (the crisis responder needs no
database), then recorded for staff; the other handlers do not see it, so a crisis always takes
precedence over whatever flow the patient was in. One exception keeps typed words from being lost: at a
flow step that invites hard feelings (``_in_feelings_step``), the text goes on to the flow, which saves
it; a crisis is answered here first (the flow then says the words were kept, with a button to carry
on), a concern gets a gentle check from the flow after its reply. The patient's language and country
come from the database when it answers, else from Telegram and the clinic's defaults.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.handlers.context import BotContext
from bot.ingest.unit import after_commit, current_unit
from bot.repos import flags as flag_repo
from bot.repos import flows as flow_repo
from bot.safety import in_flow, promises
from bot.safety.escalation import Escalation
from bot.safety.review import Priority
from bot.safety.safety_plan import crisis_lines
from bot.safety.screener import Level, Screening, screen
from bot.sending import send_text

log = logging.getLogger(__name__)


def screened_text(update: Update) -> str | None:
    message = update.message or update.edited_message
    if message is None or message.chat.type != "private":
        return None
    return message.text or message.caption


async def screen_update(update: Update, ctx: BotContext) -> None:
    text = screened_text(update)
    if not text:
        return
    services = ctx.services
    code = update.effective_user.language_code if update.effective_user else None
    # Screened first in Telegram's language, before the database is touched (on SQLite the first
    # statement waits for the write lock while other updates write); again only if the patient chose
    # another language.
    lang = services.content.resolve_language(code)
    result = screen(text, lang)
    patient = None
    try:
        patient = await ctx.patient(update.effective_chat.id)
    except Exception:
        log.exception("patient lookup failed during screening; answering from Telegram's data")
    chosen = services.content.resolve_language(patient.language) if patient is not None else lang
    if chosen != lang:
        lang, result = chosen, screen(text, chosen)
    if not result.is_risk:
        if patient is not None and update.message is not None:
            await _relay_if_flagged(ctx, patient, text, lang)
        return
    feelings = await _in_feelings_step(ctx, patient)
    if feelings and result.level == Level.CONCERN:
        in_flow.remember(update.update_id, result, answered=False)
        return  # the flow saves the answer and adds a gentle check after its reply (bot.safety.in_flow)
    country = services.crisis.country_for(patient.country if patient else None, code)
    for interrupt in ctx.application.bot_data.get("crisis_interrupts", ()):  # e.g. a paced exercise
        await interrupt(update.effective_chat.id)  # never raises, does no I/O
    plan = await _safety_plan(ctx, patient)
    chat_id = update.effective_chat.id
    try:
        await services.crisis.answer(ctx.bot, chat_id, update.update_id, result, lang, country, plan)
    except Exception as exc:
        # Never let a crisis message reach another handler: record the failure so the processor
        # retries the whole update (the reply was not sent, so it goes out on the retry), and stop.
        log.exception("crisis reply failed for update %s; it will be retried", update.update_id)
        unit = current_unit()
        if unit is not None:
            unit.errors.append(exc)
        raise ApplicationHandlerStop from exc
    unit = current_unit()
    log.warning(
        "risk %s (%s) in update %s",
        result.level.label,
        ",".join(result.reasons),
        unit.update_id if unit else update.update_id,
    )
    if patient is not None:
        await _flag(ctx, patient, result, text, lang)
    if feelings:  # a crisis typed as a flow's answer: the flow saves it and offers to carry on
        in_flow.remember(update.update_id, result, answered=True)
        return
    raise ApplicationHandlerStop


async def _flag(ctx: BotContext, patient, result: Screening, text: str, lang: str) -> None:
    """Raises the flag for staff; once a new one commits, with a staff channel, the patient is told so
    (a message added to a flag already open is seen there too, and is not announced again)."""
    priority = Priority(int(result.level))
    open_before = {f.id for f in await flag_repo.open_for_patient(ctx.session, patient.id)}
    flag = await Escalation(ctx.services).raise_flag(
        ctx.session, patient, priority, "screener", ", ".join(result.reasons), text
    )
    after_commit(ctx.application.bot_data["sweeper_wake"])
    if result.level >= Level.CRISIS and flag.id not in open_before:
        await promises.after_flag(ctx, patient.chat_id, lang, "crisis.care_team_told")


async def _in_feelings_step(ctx: BotContext, patient) -> bool:
    """True when the patient is at a flow step that invites hard feelings as typed text (the flow's
    ``FEELING_STEPS``): there the answer is saved by the flow, and only a crisis interrupts it."""
    if patient is None:
        return False
    try:
        state = await flow_repo.get(ctx.session, patient.id)
    except Exception:
        log.exception("flow state unavailable during screening; answering as outside a flow")
        return False
    from bot.handlers.setup import FLOWS  # the flow registry (setup imports every feature)

    module = FLOWS.get(state.flow) if state is not None else None
    return module is not None and state.step in getattr(module, "FEELING_STEPS", ())


async def _safety_plan(ctx: BotContext, patient) -> list[str]:
    """The patient's own safety plan lines for the crisis reply; nothing if it cannot be read now."""
    if patient is None:
        return []
    try:
        plan = await flag_repo.safety_plan(ctx.session, patient.id)
    except Exception:
        log.exception("safety plan unavailable during a crisis reply")
        return []
    return crisis_lines(plan.sections) if plan else []


async def _relay_if_flagged(ctx: BotContext, patient, text: str, lang: str) -> None:
    """While a flag is open, free text written outside flows goes to its staff thread, and the patient
    is told so where a staff channel exists. Commands and flow answers are never copied (the consent
    text says exactly this); buttons never reach here."""
    if text.startswith("/") or not await flag_repo.has_open(ctx.session, patient.id):
        return  # the common case, asked of every message: one small query
    if await flow_repo.get(ctx.session, patient.id) is not None:
        return
    if not await Escalation(ctx.services).patient_wrote(ctx.session, patient, text):
        return
    after_commit(ctx.application.bot_data["sweeper_wake"])
    if not promises.staff_channel(ctx):
        return
    await send_text(ctx.bot, patient.chat_id, ctx.services.content.text(lang, "safety.relayed"))
    raise ApplicationHandlerStop
