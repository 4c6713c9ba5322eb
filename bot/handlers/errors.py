"""The application's error handler: every handler failure is logged and handed to the processor."""

from __future__ import annotations

import logging

from telegram.error import Forbidden

from bot.handlers.context import BotContext
from bot.ingest.unit import current_unit

log = logging.getLogger(__name__)


async def on_error(update: object, ctx: BotContext) -> None:
    """Records the error on the unit of work so the update is rolled back and retried."""
    error = ctx.error
    unit = current_unit()
    if unit is not None and error is not None:
        unit.errors.append(error)
    if isinstance(error, Forbidden):
        log.info("the patient has blocked the bot: %s", error)
        return
    log.error("handler failed for update %s", unit.update_id if unit else "?", exc_info=error)
