"""Everything no feature claimed: media, odd text, edits, groups. Each gets a kind, clear reply."""

from __future__ import annotations

from telegram import Update

from bot.handlers import setup
from bot.handlers.context import BotContext
from bot.sending import send_text
from bot.services.text import MAX_MESSAGE, clean, has_words


async def _reply(update: Update, ctx: BotContext, key: str) -> None:
    patient = await ctx.patient(update.effective_chat.id)
    lang = ctx.language(patient, update)
    await send_text(ctx.bot, update.effective_chat.id, ctx.services.content.text(lang, key))


async def text(update: Update, ctx: BotContext) -> None:
    """Free text: to the active flow if there is one, else a short pointer to what the bot can do."""
    raw = update.effective_message.text or ""
    if len(raw) > MAX_MESSAGE:
        await _reply(update, ctx, "common.too_long")
        return
    if not has_words(clean(raw)):
        await _reply(update, ctx, "common.emoji_only")
        return
    if await setup.flow_text(update, ctx):
        return
    patient = await ctx.patient(update.effective_chat.id)
    await _reply(update, ctx, "common.free_text_default" if patient else "common.need_start")


def media_reply(key: str):
    async def reply(update: Update, ctx: BotContext) -> None:
        await _reply(update, ctx, key)

    reply.__name__ = f"reply_{key.split('.')[-1]}"
    return reply


async def unknown_command(update: Update, ctx: BotContext) -> None:
    await _reply(update, ctx, "common.unknown_command")


async def unknown_button(update: Update, ctx: BotContext) -> None:
    """Callback data that no handler recognises (forged, or from an old version of the bot)."""
    query = update.callback_query
    patient = await ctx.patient(update.effective_chat.id) if update.effective_chat else None
    lang = ctx.language(patient, update)
    await query.answer(ctx.services.content.text(lang, "common.unknown_button"))


async def group_message(update: Update, ctx: BotContext) -> None:
    """In a group the bot answers only commands, with a pointer to a private chat."""
    message = update.effective_message
    if message and message.text and message.text.startswith("/"):
        code = update.effective_user.language_code if update.effective_user else None
        lang = ctx.services.content.resolve_language(code)
        await send_text(
            ctx.bot, update.effective_chat.id, ctx.services.content.text(lang, "common.group_chat")
        )
