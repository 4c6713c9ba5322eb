"""/start, consent, /settings, /cancel, and routing of text and buttons to the active flow."""

from __future__ import annotations

import re

from telegram import Update

from bot.flows import setup as setup_flow
from bot.flows.base import FlowCtx, parse_press
from bot.handlers.context import BotContext, drop_buttons
from bot.handlers.features import FEATURES
from bot.repos import flows as flow_repo
from bot.repos import patients as patient_repo
from bot.sending import send_text
from bot.services import onboarding
from bot.services.text import clean

FLOWS = {setup_flow.FLOW: setup_flow}
for _feature in FEATURES:  # each feature's flows get typed text and flow buttons routed to them
    FLOWS.update(getattr(_feature, "FLOWS", {}))
_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


async def start(update: Update, ctx: BotContext) -> None:
    """Shows what the bot is and asks for consent, or resumes where the patient stopped."""
    chat_id = update.effective_chat.id
    patient = await ctx.patient(chat_id)
    lang = ctx.language(patient, update)
    if patient is not None:
        state = await flow_repo.get(ctx.session, patient.id)
        fc = FlowCtx(ctx, chat_id, patient, state)
        if state is not None and state.flow == setup_flow.FLOW:
            await setup_flow.ask(fc)
        elif patient.onboarded_at is None:
            await setup_flow.start(fc, "onboarding")
        else:
            await send_text(ctx.bot, chat_id, fc.t("onboarding.already_set_up"))
        return
    code = ctx.args[0] if ctx.args and _CODE_RE.match(ctx.args[0]) else ""
    for text, markup in onboarding.introduction(ctx.services, lang, code):
        await send_text(ctx.bot, chat_id, text, reply_markup=markup)


async def consent(update: Update, ctx: BotContext) -> None:
    """Handles "I agree" / "Not now"; only agreement creates a patient record."""
    query = update.callback_query
    await query.answer()
    await drop_buttons(query)
    chat_id = update.effective_chat.id
    user = update.effective_user
    parts = (query.data or "").split(":")
    lang = ctx.services.content.resolve_language(user.language_code)
    if parts[1] != "yes":
        await send_text(ctx.bot, chat_id, ctx.services.content.text(lang, "onboarding.declined"))
        return
    patient = await patient_repo.by_chat(ctx.session, chat_id)
    if patient is None:
        code = parts[2] if len(parts) > 2 else ""
        patient = await onboarding.register(ctx.session, ctx.services, chat_id, user.language_code, code)
    fc = FlowCtx(ctx, chat_id, patient, await flow_repo.get(ctx.session, patient.id))
    if fc.state is None and patient.onboarded_at is None:
        await setup_flow.start(fc, "onboarding")
    elif fc.state is not None:
        await setup_flow.ask(fc)


async def settings(update: Update, ctx: BotContext) -> None:
    fc = await _flow_ctx(update, ctx)
    if fc is None:
        return
    await setup_flow.start(fc, "settings" if fc.patient.onboarded_at else "onboarding")


async def cancel(update: Update, ctx: BotContext) -> None:
    fc = await _flow_ctx(update, ctx, quiet=True)
    content, lang = ctx.services.content, _lang(update, ctx, fc)
    if fc is None or fc.state is None:
        await send_text(ctx.bot, update.effective_chat.id, content.text(lang, "common.nothing_to_cancel"))
        return
    onboarding_left = fc.patient.onboarded_at is None
    await fc.finish()
    key = "onboarding.cancelled_onboarding" if onboarding_left else "common.cancelled"
    await send_text(ctx.bot, update.effective_chat.id, content.text(lang, key))


async def flow_button(update: Update, ctx: BotContext) -> None:
    """A button of a flow: checked against the current step; stale or forged ones are refused."""
    query = update.callback_query
    press = parse_press(query.data)
    fc = await _flow_ctx(update, ctx, quiet=True)
    if press is None or fc is None or fc.state is None:
        await query.answer(_text(update, ctx, fc, "common.unknown_button"))
        await drop_buttons(query)
        return
    if press.version != fc.state.version:
        await query.answer(fc.t("common.stale_button"))
        await drop_buttons(query)
        await FLOWS[fc.state.flow].ask(fc)
        return
    await query.answer()
    await drop_buttons(query)
    await FLOWS[fc.state.flow].on_press(fc, press)


async def flow_text(update: Update, ctx: BotContext) -> bool:
    """Gives typed text to the active flow; False when there is none."""
    fc = await _flow_ctx(update, ctx, quiet=True)
    if fc is None or fc.state is None:
        return False
    await FLOWS[fc.state.flow].on_text(fc, clean(update.effective_message.text or ""))
    return True


async def _flow_ctx(update: Update, ctx: BotContext, quiet: bool = False) -> FlowCtx | None:
    chat_id = update.effective_chat.id
    patient = await ctx.patient(chat_id)
    if patient is None:
        if not quiet:
            lang = ctx.services.content.resolve_language(update.effective_user.language_code)
            await send_text(ctx.bot, chat_id, ctx.services.content.text(lang, "onboarding.consent_needed"))
        return None
    return FlowCtx(ctx, chat_id, patient, await flow_repo.get(ctx.session, patient.id))


def _lang(update: Update, ctx: BotContext, fc: FlowCtx | None) -> str:
    if fc is not None:
        return fc.lang
    return ctx.services.content.resolve_language(update.effective_user.language_code)


def _text(update: Update, ctx: BotContext, fc: FlowCtx | None, key: str) -> str:
    return ctx.services.content.text(_lang(update, ctx, fc), key)
