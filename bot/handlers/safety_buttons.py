"""The patient's answers to the buttons under a crisis or concern reply."""

from __future__ import annotations

import logging

from telegram import Update

from bot.db.models import Patient
from bot.flows.base import FlowCtx
from bot.handlers.context import BotContext
from bot.ingest.unit import after_commit
from bot.repos import flags as flag_repo
from bot.repos import flows as flow_repo
from bot.safety import promises
from bot.safety.escalation import Escalation
from bot.safety.review import Priority
from bot.safety.safety_plan import crisis_lines
from bot.sending import send_text

log = logging.getLogger(__name__)

# answer -> (priority of the flag it raises, staff text key); the other buttons (grounding, the plan,
# carrying on with a flow) raise nothing
RAISES = {
    "ok": (Priority.CONCERN, "staff.patient_ok"),
    "safe": (Priority.CONCERN, "staff.patient_safe"),
    "unsafe": (Priority.EMERGENCY, "staff.patient_unsafe"),
    "danger": (Priority.EMERGENCY, "staff.patient_danger"),
    "person": (Priority.CRISIS, "staff.patient_person"),
    "yes": (Priority.CRISIS, "staff.patient_concern_yes"),
    "no": (Priority.CONCERN, "staff.patient_concern_no"),
    "called": (Priority.EMERGENCY, "staff.patient_called"),
    "unsure": (Priority.CRISIS, "staff.patient_unsure"),
    "me": (Priority.CRISIS, "staff.patient_me"),
}
# what the patient is told once the flag is recorded (only with a staff channel)
PROMISES = {"person": "safety.team_asked", "yes": "crisis.care_team_told", "me": "crisis.care_team_told"}


async def answer(update: Update, ctx: BotContext) -> None:
    """Answers at once, from Telegram's data if the patient cannot be read (the update is then retried,
    so the flag is raised once the database is back); then raises the flag for staff."""
    query = update.callback_query
    s, chat_id, update_id = ctx.services, update.effective_chat.id, update.update_id
    if not s.crisis.already_answered(update_id):  # else answered already, by a failed attempt or the poller
        await query.answer()
    choice = (query.data or "").split(":", 1)[1]
    patient, failure = None, None
    try:
        patient = await ctx.patient(chat_id)
    except Exception as exc:
        log.exception("patient lookup failed for a safety button; answering from Telegram's data")
        failure = exc
    lang = ctx.language(patient, update)
    if choice == "resume":
        if failure is not None:  # answered from memory by the poller; the retry opens the flow
            raise failure
        await _resume(ctx, chat_id, patient, lang)
        return
    code = update.effective_user.language_code if update.effective_user else None
    country = s.crisis.country_for(patient.country if patient else None, code)
    plan = await _plan(ctx, patient) if choice in ("plan", "yes", "me") and failure is None else None
    no_team = not promises.staff_channel(ctx)
    await s.crisis.answer_button(ctx.bot, chat_id, update_id, choice, lang, country, plan, no_team)
    if failure is not None:
        raise failure
    if patient is not None and choice in RAISES:
        await _raise(ctx, patient, choice, lang)


async def _raise(ctx: BotContext, patient: Patient, choice: str, lang: str) -> None:
    """The flag for staff, and (after it commits, with a staff channel) the patient is told so."""
    priority, key = RAISES[choice]
    escalation = Escalation(ctx.services)
    reason = escalation.t(key, label=patient.label)
    await escalation.raise_flag(ctx.session, patient, priority, "safety_button", reason)
    after_commit(ctx.application.bot_data["sweeper_wake"])
    if choice in PROMISES:
        await promises.after_flag(ctx, patient.chat_id, lang, PROMISES[choice])


async def _plan(ctx: BotContext, patient: Patient | None) -> list[str] | None:
    """The patient's own safety plan lines ([] without a plan); None when it cannot be read now."""
    if patient is None:
        return []
    try:
        plan = await flag_repo.safety_plan(ctx.session, patient.id)
    except Exception:
        log.exception("safety plan unavailable for a safety button")
        return None
    return crisis_lines(plan.sections) if plan and isinstance(plan.sections, dict) else []


async def _resume(ctx: BotContext, chat_id: int, patient: Patient | None, lang: str) -> None:
    """ "Carry on where I was" under a crisis reply that interrupted a flow: its current step again."""
    from bot.handlers.setup import FLOWS  # the flow registry; imported here, as setup imports the features

    state = await flow_repo.get(ctx.session, patient.id) if patient is not None else None
    if patient is None or state is None or state.flow not in FLOWS:
        await send_text(ctx.bot, chat_id, ctx.services.content.text(lang, "safety.nothing_to_resume"))
        return
    await FLOWS[state.flow].ask(FlowCtx(ctx, chat_id, patient, state))
