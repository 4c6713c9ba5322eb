"""/progress (figures, a milestone if one is due, the mood and craving chart) and /slip.

A feature of ``bot.handlers.features``: ``register(app)``, ``COMMANDS``, ``FLOWS`` and ``STARTUP_JOBS``
(plans missing weekly summaries, loads matplotlib). The figures are computed in ``bot.progress``; this
module only reads the update and sends what it gets back. Importing it also registers the weekly summary
reminder kind and the slips and milestones sections of /export.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.flows.base import FlowCtx
from bot.handlers.context import BotContext
from bot.progress import chart, milestones, slip_flow, summary
from bot.repos import flows as flow_repo
from bot.repos import patients as patient_repo
from bot.sending import send_text

COMMANDS = (
    ("progress", "progress.help.progress", "progress.menu.progress"),
    ("slip", "progress.help.slip", "progress.menu.slip"),
)
FLOWS = {slip_flow.FLOW: slip_flow}
log = logging.getLogger(__name__)


async def warm_up_charts(_services: object) -> None:
    """Loads matplotlib once, off the event loop, so the first /progress does not wait for it."""
    await asyncio.to_thread(chart.warm_up)


STARTUP_JOBS = (
    ("planning the weekly summaries", summary.plan_missing_summaries),
    ("loading the chart library (progress charts will not be drawn)", warm_up_charts),
)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("progress", progress_command, filters=private))
    app.add_handler(CommandHandler("slip", slip_command, filters=private))


async def progress_command(update: Update, ctx: BotContext) -> None:
    """A milestone first when one is due, then the figures, then the chart (or why there is none)."""
    fc = await _patient_flow(update, ctx)
    if fc is None:
        return
    s, chat_id = ctx.services, update.effective_chat.id
    celebration = await milestones.celebrate_due(s, ctx.session, fc.patient)
    if celebration:
        await send_text(ctx.bot, chat_id, celebration)
    report = await summary.load(s, ctx.session, fc.patient)
    await send_text(ctx.bot, chat_id, summary.progress_text(s.content, report.lang, report.progress))
    if not report.has_chart:
        await send_text(ctx.bot, chat_id, fc.t("progress.report.no_chart"))
        return
    png = await summary.chart_png(s, report)
    if png is None:
        await send_text(ctx.bot, chat_id, fc.t("progress.report.chart_failed"))
        return
    await ctx.bot.send_photo(chat_id, png, caption=summary.chart_caption(s.content, report))


async def slip_command(update: Update, ctx: BotContext) -> None:
    """Opens /slip for a patient who finished set-up (set-up in progress is never overwritten)."""
    fc = await _patient_flow(update, ctx)
    if fc is None:
        return
    if fc.patient.onboarded_at is None:
        await send_text(ctx.bot, update.effective_chat.id, fc.t("progress.slip.needs_setup"))
        return
    await slip_flow.start(fc)


async def _patient_flow(update: Update, ctx: BotContext) -> FlowCtx | None:
    """The patient's flow context, or None (after asking for consent) when there is no patient."""
    chat_id = update.effective_chat.id
    patient = await patient_repo.by_chat(ctx.session, chat_id)
    if patient is None:
        lang = ctx.services.content.resolve_language(update.effective_user.language_code)
        await send_text(ctx.bot, chat_id, ctx.services.content.text(lang, "onboarding.consent_needed"))
        return None
    return FlowCtx(ctx, chat_id, patient, await flow_repo.get(ctx.session, patient.id))
