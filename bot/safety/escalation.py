"""Escalation rules: raising flags, the conversation around them, and what staff do with them.

The core says "this patient is flagged"; delivery is a separate concern. Every message for staff is
written as a :class:`StaffPost` in the same transaction as the flag, and the sweeper delivers it (and
retries it) afterwards, so a staff group that is down never blocks or loses anything.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Flag, Patient, StaffPost
from bot.repos import flags as repo
from bot.safety.review import Action, Priority, transition
from bot.services.container import Services

ICONS = {Priority.EMERGENCY: "🔴", Priority.CRISIS: "🟠", Priority.CONCERN: "🟡", Priority.ROUTINE: "⚪"}
EXCERPT_CHARS = 300


class Escalation:
    def __init__(self, services: Services) -> None:
        self.s = services

    @property
    def staff_chat(self) -> int:
        return self.s.config.telegram.staff_chat_id

    def t(self, key: str, **values: object) -> str:
        return self.s.content.text(self.s.content.default_language, key, **values)

    def deadline(self, priority: Priority, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(minutes=self.s.config.escalation.ack_minutes[priority.label])

    async def raise_flag(
        self,
        session: AsyncSession,
        patient: Patient,
        priority: Priority,
        source: str,
        reason: str,
        excerpt: str | None = None,
    ) -> Flag:
        """A new flag, or the patient's open flag of at least this priority with the event added."""
        now = self.s.clock.now()
        for open_flag in await repo.open_for_patient(session, patient.id):
            if open_flag.priority >= priority:
                note = f"[{source}] {reason}" + (f": {excerpt}" if excerpt else "")
                await repo.add_message(session, open_flag.id, "bot", note, now)
                return open_flag
        flag = await repo.add(
            session,
            Flag(
                patient_id=patient.id,
                priority=int(priority),
                source=source,
                reason=reason[:200],
                excerpt=(excerpt or "")[:EXCERPT_CHARS] or None,
                status="new",
                created_at=now,
                next_alert_at=self.deadline(priority, now),
                alert_count=0,
            ),
        )
        if excerpt:
            await repo.add_message(session, flag.id, "patient", excerpt, now)
        await repo.audit(session, now, "system", "flag_raised", flag.id, patient.label, f"{source}: {reason}")
        await self.post(
            session, flag.id, self.staff_chat, "flag", self.flag_text(flag, patient), buttons=True
        )
        return flag

    def flag_text(self, flag: Flag, patient: Patient) -> str:
        priority = Priority(flag.priority)
        source_key = f"staff.sources.{flag.source}"
        excerpt = self.t("staff.excerpt_line", excerpt=flag.excerpt) if flag.excerpt else ""
        return self.t(
            "staff.flag",
            icon=ICONS[priority],
            priority=self.t(f"staff.priorities.{priority.label}"),
            label=patient.label,
            flag_id=flag.id,
            source=self.t(source_key) if self.s.content.has(source_key) else flag.source,
            reason=flag.reason,
            excerpt_line=excerpt,
            country=patient.country or "?",
            team=patient.team or "-",
            minutes=self.s.config.escalation.ack_minutes[priority.label],
        )

    async def post(
        self,
        session: AsyncSession,
        flag_id: int | None,
        chat_id: int,
        kind: str,
        body: str,
        buttons: bool = False,
        reply_to: int | None = None,
    ) -> None:
        """Queues a message for staff; nothing is queued when no staff chat is configured."""
        if not chat_id:
            return
        await repo.enqueue_post(
            session,
            StaffPost(
                flag_id=flag_id,
                chat_id=chat_id,
                kind=kind,
                body=body,
                with_buttons=buttons,
                reply_to=reply_to,
                attempts=0,
                next_attempt_at=self.s.clock.now(),
            ),
        )

    async def patient_wrote(self, session: AsyncSession, patient: Patient, text: str) -> bool:
        """Adds a patient's message to their open flag's thread; False when no flag is open."""
        if not await repo.has_open(session, patient.id):  # the common case, asked of every message
            return False
        flags = await repo.open_for_patient(session, patient.id)
        if not flags:
            return False
        flag, now = flags[0], self.s.clock.now()
        await repo.add_message(session, flag.id, "patient", text, now)
        reply_to = await repo.flag_message_id(session, flag.id, self.staff_chat)
        body = self.t("staff.relay_from_patient", label=patient.label, text=text[:3000])
        await self.post(session, flag.id, self.staff_chat, "relay", body, reply_to=reply_to)
        return True

    async def staff_act(
        self,
        session: AsyncSession,
        flag: Flag,
        staff_id: int,
        staff_name: str,
        action: Action,
        note: str | None = None,
    ) -> None:
        """Acknowledges or resolves (raises TransitionRefused), audits, and tells the staff chat."""
        now = self.s.clock.now()
        patient = await repo.patient(session, flag)
        transition(flag, action, staff_id, now, note)
        repo.status_changed(session, flag)
        label = patient.label if patient else None
        await repo.audit(session, now, f"staff:{staff_id}", action.value, flag.id, label, note)
        if action is Action.ACKNOWLEDGE:
            body = self.t("staff.acknowledged", flag_id=flag.id, staff=staff_name)
        else:
            body = self.t("staff.resolved", flag_id=flag.id, staff=staff_name, note=note or "")
            if flag.priority >= Priority.CRISIS:
                flag.followup_at = now + dt.timedelta(hours=self.s.config.escalation.followup_hours)
            if note:
                await repo.add_message(session, flag.id, "staff", f"[resolved] {note}", now, staff_id)
        reply_to = await repo.flag_message_id(session, flag.id, self.staff_chat)
        await self.post(session, flag.id, self.staff_chat, "notice", body, reply_to=reply_to)
