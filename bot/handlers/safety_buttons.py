"""The patient's answers to the buttons under a crisis or concern reply."""

from __future__ import annotations

from telegram import Update

from bot.handlers.context import BotContext
from bot.ingest.unit import after_commit
from bot.safety.escalation import Escalation
from bot.safety.review import Priority
from bot.safety.screener import Level
from bot.sending import send_text

# answer -> (priority of the flag it raises, staff text key)
RAISES = {
    "safe": (Priority.CONCERN, "staff.patient_safe"),
    "unsafe": (Priority.EMERGENCY, "staff.patient_unsafe"),
    "person": (Priority.CRISIS, "staff.patient_person"),
    "yes": (Priority.CRISIS, "staff.patient_concern_yes"),
    "no": (Priority.CONCERN, "staff.patient_concern_no"),
}


async def answer(update: Update, ctx: BotContext) -> None:
    query = update.callback_query
    await query.answer()
    choice = (query.data or "").split(":", 1)[1]
    s, chat_id = ctx.services, update.effective_chat.id
    patient = await ctx.patient(chat_id)
    lang = ctx.language(patient, update)
    country = (patient.country if patient else None) or s.config.clinic.default_country
    await _reply(ctx, chat_id, choice, lang, country)
    if patient is not None and choice in RAISES:
        priority, key = RAISES[choice]
        escalation = Escalation(s)
        reason = escalation.t(key, label=patient.label)
        await escalation.raise_flag(ctx.session, patient, priority, "safety_button", reason)
        after_commit(ctx.application.bot_data["sweeper_wake"])


async def _reply(ctx: BotContext, chat_id: int, choice: str, lang: str, country: str) -> None:
    s = ctx.services
    lines = "\n".join(s.crisis.helpline_lines(lang, country))
    if choice == "safe":
        await send_text(ctx.bot, chat_id, s.content.text(lang, "safety.safe"))
    elif choice == "unsafe":
        number = s.helplines.for_country(country).emergency
        await send_text(
            ctx.bot, chat_id, s.content.text(lang, "safety.unsafe", number=number) + "\n\n" + lines
        )
    elif choice == "person":
        hours = s.content.text(lang, "safety.person_hours")
        await send_text(ctx.bot, chat_id, s.content.text(lang, "safety.person", hours=hours) + "\n\n" + lines)
    elif choice == "yes":
        text, buttons = s.crisis.reply(Level.CRISIS, lang, country)
        await send_text(ctx.bot, chat_id, text, reply_markup=buttons)
    elif choice == "no":
        await send_text(ctx.bot, chat_id, s.content.text(lang, "safety.concern_no"))
