"""/privacy, /export and /delete."""

from __future__ import annotations

import io
import json

from sqlalchemy import func, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.db.models import InboundUpdate
from bot.handlers.context import BotContext
from bot.sending import send_text
from bot.services import geo, privacy


async def show(update: Update, ctx: BotContext) -> None:
    chat_id = update.effective_chat.id
    patient = await ctx.patient(chat_id)
    lang, t = ctx.language(patient, update), ctx.services.content.text
    if patient is None:
        await send_text(ctx.bot, chat_id, t(lang, "privacy.nothing_stored"))
        return
    pending = await ctx.session.scalar(
        select(func.count()).select_from(InboundUpdate).where(InboundUpdate.chat_id == chat_id)
    )
    not_set = t(lang, "onboarding.summary_not_set")
    text = t(
        lang,
        "privacy.summary",
        language=t(lang, f"onboarding.languages.{lang}"),
        country=geo.display_name(patient.country, ctx.services.helplines.for_country(patient.country).name)
        if patient.country
        else not_set,
        timezone=patient.timezone or not_set,
        substance=patient.substance or not_set,
        quit=patient.quit_date.isoformat() if patient.quit_date else t(lang, "onboarding.summary_not_yet"),
        checkin=patient.checkin_time or not_set,
        consent_at=patient.consent_at.strftime("%Y-%m-%d %H:%M UTC"),
        label=patient.label,
        pending=max(0, (pending or 1) - 1),
        clinic=ctx.services.config.clinic.name,
        records=_records(ctx, lang, await privacy.export(ctx.session, patient, ctx.services.clock.now())),
    )
    await send_text(ctx.bot, chat_id, text)


def _records(ctx: BotContext, lang: str, document: dict) -> str:
    """ "check-ins: 12, slips: 1, ..." or the words for none yet."""
    t = ctx.services.content.text
    counts = privacy.record_counts(document)
    if not counts:
        return t(lang, "privacy.no_records")
    return ", ".join(t(lang, f"privacy.sections.{section}", count=count) for section, count in counts)


async def export(update: Update, ctx: BotContext) -> None:
    chat_id = update.effective_chat.id
    patient = await ctx.patient(chat_id)
    lang, t = ctx.language(patient, update), ctx.services.content.text
    if patient is None:
        await send_text(ctx.bot, chat_id, t(lang, "privacy.export_nothing"))
        return
    document = await privacy.export(ctx.session, patient, ctx.services.clock.now())
    data = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    await ctx.bot.send_document(
        chat_id,
        io.BytesIO(data),
        filename=f"my-data-{patient.label}.json",
        caption=t(lang, "privacy.export_caption"),
    )


async def ask_delete(update: Update, ctx: BotContext) -> None:
    chat_id = update.effective_chat.id
    patient = await ctx.patient(chat_id)
    lang, t = ctx.language(patient, update), ctx.services.content.text
    if patient is None:
        await send_text(ctx.bot, chat_id, t(lang, "privacy.delete_nothing"))
        return
    buttons = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t(lang, "privacy.delete_yes"), callback_data=f"dl:yes:{patient.label}")],
            [InlineKeyboardButton(t(lang, "privacy.delete_no"), callback_data="dl:no")],
        ]
    )
    await send_text(ctx.bot, chat_id, t(lang, "privacy.delete_confirm"), reply_markup=buttons)


async def confirm_delete(update: Update, ctx: BotContext) -> None:
    """Erases everything only when the button names this chat's own patient label."""
    query = update.callback_query
    await query.answer()
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest:
        pass
    chat_id = update.effective_chat.id
    patient = await ctx.patient(chat_id)
    lang, t = ctx.language(patient, update), ctx.services.content.text
    parts = (query.data or "").split(":")
    if patient is None:
        await send_text(ctx.bot, chat_id, t(lang, "privacy.delete_nothing"))
    elif parts[1] == "yes" and len(parts) == 3 and parts[2] == patient.label:
        await privacy.erase(ctx.session, patient)
        await send_text(ctx.bot, chat_id, t(lang, "privacy.deleted"))
    else:
        await send_text(ctx.bot, chat_id, t(lang, "privacy.delete_kept"))
