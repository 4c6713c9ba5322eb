"""The patient's answers to the buttons under a crisis or concern reply."""

from __future__ import annotations

import logging

from telegram import Update

from bot.handlers.context import BotContext
from bot.ingest.unit import after_commit
from bot.safety.escalation import Escalation
from bot.safety.review import Priority

log = logging.getLogger(__name__)

# answer -> (priority of the flag it raises, staff text key)
RAISES = {
    "safe": (Priority.CONCERN, "staff.patient_safe"),
    "unsafe": (Priority.EMERGENCY, "staff.patient_unsafe"),
    "person": (Priority.CRISIS, "staff.patient_person"),
    "yes": (Priority.CRISIS, "staff.patient_concern_yes"),
    "no": (Priority.CONCERN, "staff.patient_concern_no"),
}


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
    code = update.effective_user.language_code if update.effective_user else None
    country = s.crisis.country_for(patient.country if patient else None, code)
    await s.crisis.answer_button(ctx.bot, chat_id, update_id, choice, lang, country)
    if failure is not None:
        raise failure
    if patient is not None and choice in RAISES:
        priority, key = RAISES[choice]
        escalation = Escalation(s)
        reason = escalation.t(key, label=patient.label)
        await escalation.raise_flag(ctx.session, patient, priority, "safety_button", reason)
        after_commit(ctx.application.bot_data["sweeper_wake"])
