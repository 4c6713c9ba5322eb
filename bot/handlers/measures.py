"""/weekly and the weekly reminder's Start button: open the weekly measures (a feature module).

Also adds the measures to /export. Importing this module registers the ``weekly`` reminder kind.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.db.models import Patient
from bot.flows.base import FlowCtx
from bot.handlers.context import BotContext
from bot.measures import flow
from bot.measures import schedule as _schedule  # noqa: F401  (registers the weekly reminder kind)
from bot.measures.schedule import plan_missing_weekly
from bot.repos import flows as flow_repo
from bot.repos import measures as measure_repo
from bot.repos import patients as patient_repo
from bot.sending import send_text
from bot.services.privacy import exporter

COMMANDS = (("weekly", "measures.help_line", "measures.menu"),)
FLOWS = {flow.FLOW: flow}
STARTUP_JOBS = (("planning the weekly measures reminders", plan_missing_weekly),)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("weekly", weekly, filters=private))
    app.add_handler(CallbackQueryHandler(start_button, pattern=r"^wk:start$"))


async def weekly(update: Update, ctx: BotContext) -> None:
    """/weekly: the measures at any time, for a patient who has finished set-up."""
    await _open(update, ctx, "command")


async def start_button(update: Update, ctx: BotContext) -> None:
    """ "Start" under the weekly reminder: the same as /weekly; the reminder's button is removed."""
    query = update.callback_query
    try:  # both fail harmlessly on a retry of this update (the query was answered the first time)
        await query.answer()
        await query.edit_message_reply_markup(None)
    except BadRequest:
        pass
    await _open(update, ctx, "reminder")


async def _open(update: Update, ctx: BotContext, source: str) -> None:
    chat_id = update.effective_chat.id
    content = ctx.services.content
    patient = await patient_repo.by_chat(ctx.session, chat_id)
    if patient is None:
        lang = content.resolve_language(update.effective_user.language_code)
        await send_text(ctx.bot, chat_id, content.text(lang, "onboarding.consent_needed"))
        return
    if patient.onboarded_at is None:
        lang = content.resolve_language(patient.language)
        await send_text(ctx.bot, chat_id, content.text(lang, "measures.finish_setup"))
        return
    await flow.start(FlowCtx(ctx, chat_id, patient, await flow_repo.get(ctx.session, patient.id)), source)


@exporter
async def _export(session: AsyncSession, patient: Patient) -> tuple[str, Any]:
    rows = await measure_repo.for_patient(session, patient.id)
    return "measures", [
        {
            "kind": m.kind,
            "answers": m.answers,
            "score": m.score,
            "local_date": m.local_date.isoformat(),
            "at": m.at.isoformat(),
        }
        for m in rows
    ]
