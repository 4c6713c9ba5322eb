"""The staff side: flag buttons, resolution notes, replies to patients, the queue.

Every press and command re-checks that the sender is an active member of the roster (by numeric
Telegram user id) and acts only in the configured staff chat or a staff member's private chat;
callback data is parsed strictly and the flag it names must exist. Every view and action is audited.
"""

from __future__ import annotations

import re

from telegram import ForceReply, Update
from telegram.error import TelegramError

from bot.db.models import Staff
from bot.handlers.context import BotContext
from bot.ingest.unit import after_commit
from bot.repos import flags as repo
from bot.safety.escalation import Escalation
from bot.safety.review import Action, Priority, TransitionRefused
from bot.sending import send_text

FLAG_BUTTON = re.compile(r"^fg:(ack|res|conv):(\d{1,9})$")


def _t(ctx: BotContext, key: str, **values: object) -> str:
    return ctx.services.content.text(ctx.services.content.default_language, key, **values)


async def _staff(update: Update, ctx: BotContext) -> Staff | None:
    """The sender when they are active staff acting in a staff place; else None (and it is audited)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    member = await repo.staff_member(ctx.session, user.id)
    in_place = chat.id == ctx.services.config.telegram.staff_chat_id or (member and chat.id == user.id)
    if member is None or not in_place:
        await repo.audit(
            ctx.session,
            ctx.services.clock.now(),
            f"user:{user.id}",
            "refused_not_staff",
            detail=(update.callback_query.data if update.callback_query else "command"),
        )
        return None
    return member


async def flag_button(update: Update, ctx: BotContext) -> None:
    query = update.callback_query
    member = await _staff(update, ctx)
    match = FLAG_BUTTON.match(query.data or "")
    if member is None or match is None:
        await query.answer(_t(ctx, "staff.not_staff"), show_alert=True)
        return
    action, flag_id = match.group(1), int(match.group(2))
    flag = await repo.get(ctx.session, flag_id)
    if flag is None:
        await query.answer(_t(ctx, "staff.refused", why="unknown flag"), show_alert=True)
        return
    await query.answer()
    if action == "ack":
        await _act(update, ctx, member, flag, Action.ACKNOWLEDGE)
    elif action == "res":
        await _ask_resolution(update, ctx, member, flag)
    else:
        await _show_conversation(update, ctx, member, flag)


async def _act(update, ctx, member: Staff, flag, action: Action, note: str | None = None) -> None:
    try:
        await Escalation(ctx.services).staff_act(
            ctx.session, flag, member.telegram_user_id, member.name, action, note
        )
    except TransitionRefused as exc:
        await repo.audit(
            ctx.session,
            ctx.services.clock.now(),
            f"staff:{member.telegram_user_id}",
            f"refused_{action.value}",
            flag.id,
            detail=str(exc),
        )
        await send_text(ctx.bot, update.effective_chat.id, _t(ctx, "staff.refused", why=str(exc)))
    after_commit(ctx.application.bot_data["sweeper_wake"])


async def _ask_resolution(update, ctx, member: Staff, flag) -> None:
    patient = await repo.patient(ctx.session, flag)
    prompt = await ctx.bot.send_message(
        update.effective_chat.id,
        _t(ctx, "staff.resolve_prompt", flag_id=flag.id, label=patient.label if patient else "?"),
        reply_markup=ForceReply(selective=True),
    )
    await repo.add_thread(ctx.session, prompt.chat_id, prompt.message_id, flag.id, "resolve_prompt")


async def _show_conversation(update, ctx, member: Staff, flag) -> None:
    patient = await repo.patient(ctx.session, flag)
    label = patient.label if patient else "?"
    now = ctx.services.clock.now()
    await repo.audit(
        ctx.session, now, f"staff:{member.telegram_user_id}", "view_conversation", flag.id, label
    )
    lines = [_t(ctx, "staff.conversation_header", flag_id=flag.id, label=label)]
    for m in await repo.conversation(ctx.session, flag.id):
        lines.append(
            _t(
                ctx,
                "staff.conversation_line",
                at=m.at.strftime("%m-%d %H:%M"),
                author=_t(ctx, f"staff.author_{m.author}"),
                text=m.text[:500],
            )
        )
    if len(lines) == 1:
        lines.append(_t(ctx, "staff.conversation_empty"))
    await send_text(ctx.bot, update.effective_chat.id, "\n".join(lines)[:4000])


async def staff_reply_message(update: Update, ctx: BotContext) -> None:
    """A reply in the staff chat to a flag message (relayed to the patient) or to a resolve prompt."""
    message = update.effective_message
    replied = message.reply_to_message
    if replied is None or not message.text:
        return
    thread = await repo.thread(ctx.session, update.effective_chat.id, replied.message_id)
    if thread is None:
        return
    member = await _staff(update, ctx)
    if member is None:
        await message.reply_text(_t(ctx, "staff.not_staff"))
        return
    flag = await repo.get(ctx.session, thread.flag_id)
    if thread.kind == "resolve_prompt":
        await _act(update, ctx, member, flag, Action.RESOLVE, message.text)
    else:
        await _relay_to_patient(update, ctx, member, flag, message.text)


async def reply_command(update: Update, ctx: BotContext) -> None:
    """``/reply <flag> <text>``: sends the text to the flag's patient as from their care team."""
    member = await _staff(update, ctx)
    if member is None:
        await send_text(ctx.bot, update.effective_chat.id, _t(ctx, "staff.not_staff"))
        return
    args = ctx.args or []
    flag = await repo.get(ctx.session, int(args[0])) if args and args[0].isdigit() else None
    if flag is None or len(args) < 2:
        await send_text(ctx.bot, update.effective_chat.id, _t(ctx, "staff.reply_usage"))
        return
    text = update.effective_message.text.split(None, 2)[2]
    await _relay_to_patient(update, ctx, member, flag, text)


async def _relay_to_patient(update, ctx, member: Staff, flag, text: str) -> None:
    patient = await repo.patient(ctx.session, flag)
    if patient is None:
        return
    s, now = ctx.services, ctx.services.clock.now()
    body = s.content.text(patient.language, "safety.staff_reply", clinic=s.config.clinic.name, text=text)
    try:  # at once, not after the commit: staff are told whether it reached the patient
        await send_text(ctx.bot, patient.chat_id, body, now=True)
    except TelegramError as exc:
        await send_text(ctx.bot, update.effective_chat.id, _t(ctx, "staff.refused", why=str(exc)))
        return
    await repo.add_message(ctx.session, flag.id, "staff", text, now, member.telegram_user_id)
    await repo.audit(ctx.session, now, f"staff:{member.telegram_user_id}", "reply", flag.id, patient.label)
    await send_text(ctx.bot, update.effective_chat.id, _t(ctx, "staff.reply_sent", label=patient.label))


async def queue_command(update: Update, ctx: BotContext) -> None:
    """``/queue``: open flags by risk, then age."""
    member = await _staff(update, ctx)
    if member is None:
        await send_text(ctx.bot, update.effective_chat.id, _t(ctx, "staff.not_staff"))
        return
    now = ctx.services.clock.now()
    await repo.audit(ctx.session, now, f"staff:{member.telegram_user_id}", "view_queue")
    lines = [_t(ctx, "staff.queue_header")]
    for flag, patient in await repo.queue(ctx.session):
        lines.append(
            _t(
                ctx,
                "staff.queue_line",
                flag_id=flag.id,
                label=patient.label,
                status=flag.status,
                priority=Priority(flag.priority).label,
                reason=flag.reason,
                age=int((now - flag.created_at).total_seconds() // 60),
            )
        )
    await send_text(
        ctx.bot,
        update.effective_chat.id,
        "\n".join(lines) if len(lines) > 1 else _t(ctx, "staff.queue_empty"),
    )
