"""/checkin, the reminder's "Start check-in" button (``ci:start``), /pause and its buttons.

A feature of ``bot.handlers.features``: ``register(app)``, ``COMMANDS`` and ``FLOWS``. The check-in's
steps are in ``bot.checkins.flow``; typed answers and flow buttons reach it through the flow routing.
Also adds the patient's check-ins to /export.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.checkins import flow as checkin_flow
from bot.db.models import CheckIn, Patient
from bot.flows.base import FlowCtx
from bot.handlers.context import BotContext, drop_buttons
from bot.repos import checkins as checkin_repo
from bot.repos import flows as flow_repo
from bot.repos import patients as patient_repo
from bot.sending import send_text
from bot.services.privacy import exporter

COMMANDS = (
    ("checkin", "checkin.lines.checkin", "checkin.commands.checkin"),
    ("pause", "checkin.lines.pause", "checkin.commands.pause"),
)
FLOWS = {checkin_flow.FLOW: checkin_flow}
PAUSE = checkin_flow.PAUSE_DAYS
BUTTONS = r"^ci:(start|resume|pause:(" + "|".join(str(d) for d in PAUSE) + r"))$"


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("checkin", checkin_command, filters=private))
    app.add_handler(CommandHandler("pause", pause_command, filters=private))
    app.add_handler(CallbackQueryHandler(button, pattern=BUTTONS))


async def checkin_command(update: Update, ctx: BotContext) -> None:
    fc = await _ready(update, ctx)
    if fc is not None:
        await checkin_flow.start(fc, "command")


async def pause_command(update: Update, ctx: BotContext) -> None:
    """Offers how long to pause, or "resume now" while the reminders are paused."""
    fc = await _ready(update, ctx)
    if fc is None:
        return
    until = checkin_flow.paused_until(ctx.services, fc.patient)
    if until is not None:
        resume = InlineKeyboardButton(fc.t("checkin.pause.resume"), callback_data="ci:resume")
        await fc.say(fc.t("checkin.pause.paused", date=until.isoformat()), [[resume]])
        return
    buttons = [InlineKeyboardButton(_days_label(fc, d), callback_data=f"ci:pause:{d}") for d in PAUSE]
    await fc.say(fc.t("checkin.pause.ask"), [buttons[:2], buttons[2:]])


def _days_label(fc: FlowCtx, days: int) -> str:
    return fc.t("checkin.pause.one_day") if days == 1 else fc.t("checkin.pause.days", days=days)


async def button(update: Update, ctx: BotContext) -> None:
    """``ci:start`` (from the reminder), ``ci:pause:<days>`` and ``ci:resume``."""
    query = update.callback_query
    await query.answer()
    await drop_buttons(query)
    fc = await _ready(update, ctx)
    if fc is None:
        return
    action = (query.data or "").split(":")
    if action[1] == "start":
        await checkin_flow.start(fc, "reminder")
    elif action[1] == "resume" and checkin_flow.paused_until(ctx.services, fc.patient) is None:
        await fc.say(fc.t("checkin.pause.not_paused"))  # an old "Resume now", after the pause ended
    elif action[1] == "resume":
        await checkin_flow.resume(ctx.services, ctx.session, fc.patient)
        await fc.say(fc.t("checkin.pause.resumed", time=fc.patient.checkin_time))
    else:
        until = await checkin_flow.pause(ctx.services, ctx.session, fc.patient, int(action[2]))
        await fc.say(fc.t("checkin.pause.done", date=until.isoformat()))


async def _ready(update: Update, ctx: BotContext) -> FlowCtx | None:
    """The patient's flow context; None (after saying why) without consent or before set-up is done."""
    chat_id = update.effective_chat.id
    patient = await patient_repo.by_chat(ctx.session, chat_id)
    content = ctx.services.content
    if patient is None:
        user = update.effective_user
        lang = content.resolve_language(user.language_code if user else None)
        await send_text(ctx.bot, chat_id, content.text(lang, "onboarding.consent_needed"))
        return None
    fc = FlowCtx(ctx, chat_id, patient, await flow_repo.get(ctx.session, patient.id))
    if patient.onboarded_at is None:
        await fc.say(fc.t("checkin.not_ready"))
        return None
    return fc


# -- /export -------------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


@exporter
async def export_checkins(session: AsyncSession, patient: Patient) -> tuple[str, Any]:
    """Every check-in, complete or not, with the notes and use details decrypted (their own data)."""
    columns = [c for c in CheckIn.__table__.columns.keys() if c not in ("id", "patient_id")]
    rows = await checkin_repo.for_patient(session, patient.id)
    return "checkins", [{c: _plain(getattr(r, c)) for c in columns} for r in rows]
