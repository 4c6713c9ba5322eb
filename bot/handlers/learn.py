"""/learn: what is typical at this stage of recovery, a tip, and the extra support on days 2-4 (a feature).

The stage and the texts come from ``bot.recovery``; the buttons under /learn and under the peak-day
message change the peak-day support (``lr:peak:off|on|time|at:HHMM``) or show another tip
(``lr:more``). Callback data is untrusted: a time must be one of the offered choices.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.db.models import Patient
from bot.handlers.context import BotContext, drop_buttons, onboarded_patient
from bot.recovery import learn, peak
from bot.reminders.planning import in_transaction
from bot.sending import send_text

COMMANDS = (("learn", "learn.lines.learn", "learn.commands.learn"),)
STARTUP_JOBS = (("planning the peak-day messages", in_transaction(peak.plan_missing)),)
BUTTONS = r"^lr:(more|peak:(off|on|time|at:\d{4}))$"


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("learn", learn_command, filters=private))
    app.add_handler(CallbackQueryHandler(button, pattern=BUTTONS))


async def learn_command(update: Update, ctx: BotContext) -> None:
    """/learn: the stage since the last use, what is typical now, one thing that helps, red flags."""
    patient = await onboarded_patient(update, ctx)
    if patient is None:
        return
    services = ctx.services
    stage = await learn.stage(services, ctx.session, patient)
    lang = services.content.resolve_language(patient.language)
    text = learn.compose(services, patient, stage, lang)
    rows = [[InlineKeyboardButton(services.content.text(lang, "learn.button_more"), callback_data="lr:more")]]
    status = learn.peak_status(services, patient, lang)
    if status is not None:
        text += "\n\n" + status
        rows += _peak_rows(ctx, patient, lang)
    await send_text(ctx.bot, update.effective_chat.id, text, reply_markup=InlineKeyboardMarkup(rows))


async def button(update: Update, ctx: BotContext) -> None:
    """Another tip, or a change to the peak-day support."""
    query = update.callback_query
    await query.answer()
    patient = await onboarded_patient(update, ctx)
    if patient is None:
        return
    lang = ctx.services.content.resolve_language(patient.language)
    action = (query.data or "").split(":", 2)[1:]
    if action == ["more"]:
        await send_text(ctx.bot, patient.chat_id, ctx.services.content.text(lang, "learn.tips"))
        return
    await drop_buttons(query)
    await _peak_action(ctx, patient, lang, action[1])


async def _peak_action(ctx: BotContext, patient: Patient, lang: str, action: str) -> None:
    """Offers the times, or turns the peak-day message on (at a time) or off."""
    services, content = ctx.services, ctx.services.content
    choices = peak.time_choices(services)
    if action == "time":
        row = [InlineKeyboardButton(t, callback_data=f"lr:peak:at:{t.replace(':', '')}") for t in choices]
        markup = InlineKeyboardMarkup([row])
        await send_text(
            ctx.bot, patient.chat_id, content.text(lang, "learn.peak.pick_time"), reply_markup=markup
        )
        return
    if action.startswith("at:"):
        wanted: str | None = f"{action[3:5]}:{action[5:7]}"
        if wanted not in choices:
            await send_text(ctx.bot, patient.chat_id, content.text(lang, "common.unknown_button"))
            return
    elif action == "on":
        wanted = patient.peak_support_time or services.config.recovery.peak_support_time
    else:
        wanted = None
    await peak.set_time(services, ctx.session, patient, wanted)
    if wanted is None:
        await send_text(ctx.bot, patient.chat_id, content.text(lang, "learn.peak.saved_off"))
    else:
        await send_text(ctx.bot, patient.chat_id, content.text(lang, "learn.peak.saved_on", time=wanted))


def _peak_rows(ctx: BotContext, patient: Patient, lang: str) -> list[list[InlineKeyboardButton]]:
    content = ctx.services.content
    if patient.peak_support_time is None:
        return [
            [InlineKeyboardButton(content.text(lang, "learn.peak.button_on"), callback_data="lr:peak:on")]
        ]
    return [
        [
            InlineKeyboardButton(content.text(lang, "learn.peak.button_time"), callback_data="lr:peak:time"),
            InlineKeyboardButton(content.text(lang, "learn.peak.button_off"), callback_data=peak.OFF_DATA),
        ]
    ]
