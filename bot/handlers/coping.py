"""/craving and /reasons, and the "cr:start" button other features show (a feature module).

Registering builds the coping tools' runtime: the exercises of every language (broken exercise content
stops start-up with the content checker's messages), the pacing runner and the tools' random generator.
``on_start`` shows exercises a restart interrupted; ``on_stop`` stops every paced exercise.
"""

from __future__ import annotations

import logging
from functools import partial

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.coping import flow, runs
from bot.coping.common import FLOW, CopingRuntime
from bot.coping.exercises import ExerciseBook
from bot.coping.pacing import PacingRunner, stop_for_chat
from bot.flows.base import FlowCtx
from bot.handlers.context import BotContext, drop_buttons
from bot.repos import flows as flow_repo
from bot.repos import patients as patient_repo
from bot.sending import send_text

log = logging.getLogger(__name__)

COMMANDS = (
    ("craving", "coping.help_line", "coping.menu_command"),
    ("reasons", "coping.help_line_reasons", "coping.menu_command_reasons"),
)
FLOWS = {FLOW: flow}
START_PATTERN = r"^cr:start(?::(10|[0-9]))?$"  # "cr:start:7": the craving is already known (a check-in)
TOOL_PATTERN = r"^cr:tool:[a-z0-9_]{1,32}$"  # "cr:tool:breathing": one tap opens a tool (after the rating)


def register(app: Application) -> None:
    services = app.bot_data["services"]
    config = services.config
    book = ExerciseBook.load(config.content_dir, config.clinic.default_language)
    runner = PacingRunner(app.bot, min_interval=config.coping.edit_interval_seconds)
    app.bot_data["coping"] = CopingRuntime(book=book, runner=runner)
    app.bot_data["pacing"] = runner
    # The safety gate calls these when it detects a crisis: a paced exercise stops at once.
    app.bot_data.setdefault("crisis_interrupts", []).append(partial(stop_for_chat, app))
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("craving", craving, filters=private))
    app.add_handler(CommandHandler("reasons", reasons, filters=private))
    app.add_handler(CallbackQueryHandler(start_button, pattern=START_PATTERN))
    app.add_handler(CallbackQueryHandler(tool_button, pattern=TOOL_PATTERN))


async def on_start(app: Application) -> None:
    """Start-up: patients whose exercise a restart interrupted are told, and offered it again."""
    try:
        shown = await runs.interrupt_all(app)
    except Exception:
        log.exception("could not look for exercises interrupted by the restart")
        return
    if shown:
        log.info("told %s patient(s) that their exercise was interrupted by a restart", shown)


async def on_stop(app: Application) -> None:
    runner = app.bot_data.get("pacing")
    if isinstance(runner, PacingRunner):
        await runner.shutdown()


async def craving(update: Update, ctx: BotContext) -> None:
    """/craving: rate the craving, then the tools that helped most."""
    fc = await _flow_ctx(update, ctx)
    if fc is not None:
        await flow.start(fc)


async def reasons(update: Update, ctx: BotContext) -> None:
    """/reasons: the patient's reasons for recovery, to read or change."""
    fc = await _flow_ctx(update, ctx)
    if fc is not None:
        await flow.start_reasons(fc)


async def start_button(update: Update, ctx: BotContext) -> None:
    """ "cr:start" under another feature's message (a strong craving at a check-in): like /craving; with
    a score ("cr:start:8") the rating step is skipped."""
    query = update.callback_query
    await query.answer()
    await drop_buttons(query)
    parts = (query.data or "").split(":")
    before = int(parts[2]) if len(parts) == 3 else None
    fc = await _flow_ctx(update, ctx)
    if fc is not None:
        await flow.start(fc, before)


async def tool_button(update: Update, ctx: BotContext) -> None:
    """ "cr:tool:<tool>" under a reminder: the craving rating, then that tool (an unknown tool: the menu)."""
    query = update.callback_query
    await query.answer()
    await drop_buttons(query)
    tool = (query.data or "").split(":")[2]
    fc = await _flow_ctx(update, ctx)
    if fc is not None:
        await flow.start(fc, None, tool)


async def _flow_ctx(update: Update, ctx: BotContext) -> FlowCtx | None:
    """The patient's flow context; someone who has not consented is asked to /start first."""
    chat_id = update.effective_chat.id
    patient = await patient_repo.by_chat(ctx.session, chat_id)
    if patient is None:
        lang = ctx.services.content.resolve_language(update.effective_user.language_code)
        await send_text(ctx.bot, chat_id, ctx.services.content.text(lang, "onboarding.consent_needed"))
        return None
    return FlowCtx(ctx, chat_id, patient, await flow_repo.get(ctx.session, patient.id))
