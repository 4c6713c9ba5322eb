"""The only place the bot tells a patient that their care team knows: after a flag, with a staff channel.

A sentence such as "I've let your care team know" is queued with the update's own transaction (never
sent at once), so it reaches the patient only when the flag it speaks of was committed; and it is not
said at all when the clinic has no staff channel, because then nobody would see the flag. The crisis
reply itself, sent at once, says who can help now instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.sending import send_text

if TYPE_CHECKING:
    from bot.handlers.context import BotContext


def staff_channel(ctx: BotContext) -> bool:
    """True when flags reach people: the clinic configured a staff group."""
    return bool(ctx.services.config.telegram.staff_chat_id)


async def after_flag(ctx: BotContext, chat_id: int, lang: str, key: str) -> None:
    """Queues ``key`` to go out after this update's commit (with the flag), if a staff channel exists."""
    if staff_channel(ctx):
        await send_text(ctx.bot, chat_id, ctx.services.content.text(lang, key))
