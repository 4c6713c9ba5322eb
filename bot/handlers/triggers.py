"""/triggers and the "how did it go?" buttons after a risky time (a feature of ``bot.handlers.features``).

The steps of /triggers are in ``bot.triggers.flow``; the reminders in ``bot.triggers.schedule`` (imported
here so their kinds are registered). ``on_start`` plans the next reminder of every risky time that has
none pending. Also adds triggers, risky times and answers to /export.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.db.models import Patient
from bot.flows.base import FlowCtx
from bot.handlers.context import BotContext, drop_buttons, onboarded_patient
from bot.reminders.planning import in_transaction
from bot.repos import flows as flow_repo
from bot.repos import triggers as repo
from bot.services.privacy import exporter
from bot.triggers import flow, service
from bot.triggers import schedule as _schedule  # noqa: F401  (registers the reminder kinds)
from bot.triggers.service import Refused

COMMANDS = (("triggers", "triggers.lines.triggers", "triggers.commands.triggers"),)
STARTUP_JOBS = (("planning the risky-time reminders", in_transaction(service.plan_missing)),)
FLOWS = {flow.FLOW: flow}
OUTCOME_PATTERN = r"^tr:out:\d{1,12}:(fine|hard|used)$"


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("triggers", triggers_command, filters=private))
    app.add_handler(CallbackQueryHandler(outcome_button, pattern=OUTCOME_PATTERN))


async def triggers_command(update: Update, ctx: BotContext) -> None:
    """/triggers: the patient's triggers, plans and risky times, to add to or change."""
    fc = await _flow_ctx(update, ctx)
    if fc is not None:
        await flow.start(fc)


async def outcome_button(update: Update, ctx: BotContext) -> None:
    """ "How did it go?": fine / hard / used, recorded once; the reply fits the answer."""
    query = update.callback_query
    await query.answer()
    fc = await _flow_ctx(update, ctx)
    if fc is None:
        return
    _, _, reminder_id, answer = (query.data or "").split(":")
    try:
        recorded = await service.record_outcome(
            ctx.services, ctx.session, fc.patient, int(reminder_id), answer
        )
    except Refused as refused:
        await fc.say(fc.t(refused.key))
        return
    await drop_buttons(query)
    await fc.say(fc.t(f"triggers.outcome_reply.{answer}" if recorded else "triggers.outcome_already"))


async def _flow_ctx(update: Update, ctx: BotContext) -> FlowCtx | None:
    """The onboarded patient's flow context; anyone else is asked to /start first."""
    patient = await onboarded_patient(update, ctx)
    if patient is None:
        return None
    return FlowCtx(ctx, patient.chat_id, patient, await flow_repo.get(ctx.session, patient.id))


# -- /export ---------------------------------------------------------------------------------------------
@exporter
async def export_triggers(session: AsyncSession, patient: Patient) -> tuple[str, Any]:
    """Triggers with their plans, risky times and the answers to "how did it go?"."""
    times = await repo.risky_times(session, patient.id)
    return "triggers", {
        "triggers": [
            {
                "id": t.id,
                "kind": t.kind,
                "trigger": t.description,
                "plan": t.plan,
                "created_at": t.created_at.isoformat(),
            }
            for t in await repo.triggers(session, patient.id)
        ],
        "risky_times": [
            {
                "trigger_id": t.trigger_id,
                "weekday": t.weekday,
                "date": t.on_date.isoformat() if t.on_date else None,
                "local_time": t.local_time,
                "lead_minutes": t.lead_minutes,
                "active": t.active,
            }
            for t in times
        ],
        "how_did_it_go": [
            {"risky_time_id": o.risky_time_id, "answer": o.answer, "at": o.at.isoformat()}
            for o in await repo.outcomes(session, patient.id)
        ],
    }
