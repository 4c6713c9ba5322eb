"""The escalation sweeper: delivers staff posts, re-alerts unacknowledged flags, sends follow-ups.

It runs beside the update processor, woken after each committed update and every few seconds. The
database decides what is due, so a restart loses nothing: a post not yet accepted by Telegram stays
queued and is retried with a back-off; a delivery that failed is surfaced in the next post that gets
through. One failing item never stops the others.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError

from bot.db.engine import deliver_swallowed_cancellation
from bot.db.models import StaffPost
from bot.repos import flags as repo
from bot.safety.escalation import Escalation
from bot.safety.review import Priority
from bot.sending import send_text
from bot.services.container import Services

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300


class Sweeper:
    def __init__(self, services: Services, bot: Bot) -> None:
        self.s = services
        self.bot = bot
        self.escalation = Escalation(services)
        self.wake = asyncio.Event()
        self._failed: set[int] = set()

    async def run(self) -> None:
        while True:
            self.wake.clear()  # before the sweep, so a wake-up during it is not lost
            try:
                await self.run_once()
            except Exception:
                log.exception("escalation sweep failed; retrying")
            deliver_swallowed_cancellation()  # a stop request swallowed during the sweep ends the loop
            try:  # not wait_for: with a wake-up at the same moment it can swallow a cancellation
                async with asyncio.timeout(self.s.config.escalation.sweep_seconds):
                    await self.wake.wait()
            except TimeoutError:
                pass

    async def run_once(self) -> None:
        await self.realert()
        await self.followups()
        await self.deliver()

    # -- staff posts ----------------------------------------------------------------------------------
    async def deliver(self) -> int:
        """Sends due staff posts; returns how many went through."""
        delivered = 0
        async with self.s.db.transaction() as session:
            posts = await repo.due_posts(session, self.s.clock.now())
            for post in posts:
                if await self._send(session, post):
                    delivered += 1
        return delivered

    async def _send(self, session, post: StaffPost) -> bool:
        now = self.s.clock.now()
        body = post.body
        earlier = len(self._failed)
        if earlier and post.chat_id == self.escalation.staff_chat:
            body = self.escalation.t("staff.delivery_problem", count=earlier) + "\n\n" + body
        try:
            message = await self.bot.send_message(
                post.chat_id,
                body,
                reply_markup=self._buttons(post) if post.with_buttons else None,
                reply_to_message_id=post.reply_to,
                allow_sending_without_reply=True,
            )
        except (TelegramError, OSError) as exc:
            post.attempts += 1
            post.last_error = f"{type(exc).__name__}: {exc}"[:500]
            delay = min(MAX_BACKOFF_SECONDS, 2**post.attempts)
            post.next_attempt_at = now + dt.timedelta(seconds=delay)
            log.error("staff post %s failed (attempt %d): %s", post.id, post.attempts, exc)
            self._failed.add(post.id)
            return False
        if post.chat_id == self.escalation.staff_chat:
            self._failed.clear()
        post.sent_at, post.message_id = now, message.message_id
        if post.flag_id is not None and post.kind in ("flag", "realert"):
            await repo.add_thread(session, post.chat_id, message.message_id, post.flag_id, "flag")
        return True

    def _buttons(self, post: StaffPost) -> InlineKeyboardMarkup:
        t, fid = self.escalation.t, post.flag_id
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(t("staff.button_ack"), callback_data=f"fg:ack:{fid}"),
                    InlineKeyboardButton(t("staff.button_resolve"), callback_data=f"fg:res:{fid}"),
                ],
                [InlineKeyboardButton(t("staff.button_conversation"), callback_data=f"fg:conv:{fid}")],
            ]
        )

    # -- re-alerts and follow-ups -----------------------------------------------------------------------
    async def realert(self) -> int:
        """Posts again every flag past its time limit, to the group and to each on-call member."""
        cfg = self.s.config.escalation
        priorities = [int(Priority[name.upper()]) for name in cfg.realert_priorities]
        now, count = self.s.clock.now(), 0
        async with self.s.db.transaction() as session:
            for flag in await repo.due_realerts(session, now, priorities):
                patient = await repo.patient(session, flag)
                if patient is None:
                    continue
                flag.alert_count += 1
                flag.next_alert_at = self.escalation.deadline(Priority(flag.priority), now)
                age = int((now - flag.created_at).total_seconds() // 60)
                body = (
                    self.escalation.t(
                        "staff.realert",
                        count=flag.alert_count,
                        label=patient.label,
                        flag_id=flag.id,
                        age=age,
                        priority=self.escalation.t(f"staff.priorities.{Priority(flag.priority).label}"),
                    )
                    + "\n\n"
                    + self.escalation.flag_text(flag, patient)
                )
                for chat in (self.escalation.staff_chat, *cfg.on_call):
                    await self.escalation.post(session, flag.id, chat, "realert", body, buttons=True)
                await repo.audit(
                    session, now, "system", "realert", flag.id, patient.label, f"#{flag.alert_count}"
                )
                count += 1
        return count

    async def followups(self) -> int:
        """72 hours after a crisis flag is resolved: a check-in to the patient and a note to staff."""
        now, count = self.s.clock.now(), 0
        async with self.s.db.transaction() as session:
            for flag in await repo.due_followups(session, now):
                flag.followup_at = None
                patient = await repo.patient(session, flag)
                if patient is None:
                    continue
                text = self.s.content.text(patient.language, "safety.followup")
                try:
                    await send_text(self.bot, patient.chat_id, text)
                except Forbidden:
                    patient.active = False
                except TelegramError as exc:
                    log.error("follow-up to flag %s failed: %s", flag.id, exc)
                    flag.followup_at = now + dt.timedelta(minutes=10)
                    continue
                await repo.add_message(session, flag.id, "bot", text, now)
                body = self.escalation.t("staff.followup", flag_id=flag.id, label=patient.label)
                await self.escalation.post(session, flag.id, self.escalation.staff_chat, "notice", body)
                await repo.audit(session, now, "system", "followup", flag.id, patient.label)
                count += 1
        return count
