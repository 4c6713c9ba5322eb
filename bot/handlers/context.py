"""The callback context every handler receives: the shared services and this update's session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackContext, ExtBot

from bot.db.models import Patient
from bot.ingest.unit import current_session
from bot.repos import patients as patient_repo
from bot.sending import send_text

if TYPE_CHECKING:
    from bot.services.container import Services


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]

    async def patient(self, chat_id: int) -> Patient | None:
        """The chat's patient record (read once per update; None for someone who has not consented)."""
        return await patient_repo.by_chat(self.session, chat_id)

    def language(self, patient: Patient | None, update: Update) -> str:
        """The patient's language, else Telegram's, else the clinic's default, among those the content has."""
        user = update.effective_user
        code = patient.language if patient else (user.language_code if user else None)
        return self.services.content.resolve_language(code)

    @property
    def session(self) -> AsyncSession:
        """The session of the update being handled; committed by the processor when all handlers ran."""
        return current_session()


async def onboarded_patient(update: Update, ctx: BotContext) -> Patient | None:
    """The chat's patient once set-up is finished; anyone else is told to /start (first or again)."""
    chat_id = update.effective_chat.id if update.effective_chat else 0
    patient = await ctx.patient(chat_id)
    if patient is not None and patient.onboarded_at is not None:
        return patient
    key = "onboarding.consent_needed" if patient is None else "checkin.not_ready"
    await send_text(ctx.bot, chat_id, ctx.services.content.text(ctx.language(patient, update), key))
    return None


async def drop_buttons(query: CallbackQuery | None) -> None:
    """Removes the pressed message's buttons so it cannot start the same thing twice (best effort)."""
    if query is None:
        return
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest:
        pass


BotApplication = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]
