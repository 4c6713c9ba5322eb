"""SQLAlchemy models. Every table that holds a patient's data references ``patients.id`` with
``ON DELETE CASCADE`` so that ``/delete`` removes all of it in one statement."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.db.crypto import EncryptedJSON, EncryptedText
from bot.db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(AsyncAttrs, DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Patient(Base):
    """A person who consented at onboarding. Nothing is stored for someone who did not consent."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    label: Mapped[str] = mapped_column(String(16), unique=True)
    consent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    substance: Mapped[str | None] = mapped_column(String(64))
    quit_date: Mapped[dt.date | None] = mapped_column(Date)
    checkin_time: Mapped[str | None] = mapped_column(String(5))
    enrolment_code: Mapped[str | None] = mapped_column(String(64))
    team: Mapped[str | None] = mapped_column(String(128))
    counsellor: Mapped[str | None] = mapped_column(String(128))
    onboarded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reminders_paused_until: Mapped[dt.date | None] = mapped_column(Date)
    # Local time for the extra support message on days 2-4 after the quit date; None = turned off.
    peak_support_time: Mapped[str | None] = mapped_column(String(5))
    # Where the patient is in a flow (None: in none). Loaded with the patient by ``patients.by_chat``;
    # elsewhere read through ``bot.repos.flows`` (``awaitable_attrs``), never by plain attribute access.
    flow_state: Mapped[FlowState | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class FlowState(Base):
    """Where a patient is in a multi-step flow; written in the same transaction as each answer."""

    __tablename__ = "flow_states"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    # Increases with every step; buttons carry it so a stale button is recognised and refused.
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class InboundUpdate(Base):
    """A Telegram update stored before it is confirmed to Telegram, deleted once handled.

    Rows that stay are either pending (not handled yet) or failed (handled ``attempts`` times without
    success; kept, encrypted, for an admin to inspect or replay with ``python -m bot updates``).
    """

    __tablename__ = "inbound_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(EncryptedText)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """A reply written in the same transaction as the update it answers, deleted once Telegram took it.

    ``source_chat_id`` is the chat whose update wrote it: that chat's next update is handled only
    after these replies went out, so replies keep their order. ``body`` holds the ``sendMessage``
    parameters as JSON, encrypted (a reply can quote what the patient wrote). No index besides the key:
    the table holds only the replies in flight, and each index would cost every reply a write.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_chat_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class BotState(Base):
    """Small key/value facts the bot keeps about itself (last confirmed update id, key canary)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Staff(Base):
    """A member of the clinic's staff, by numeric Telegram user id (never a username)."""

    __tablename__ = "staff"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    on_call: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Flag(Base):
    """Something staff must look at. Its review is a state machine: new -> acknowledged -> resolved."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    priority: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(200))
    excerpt: Mapped[str | None] = mapped_column(EncryptedText)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(BigInteger)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[int | None] = mapped_column(BigInteger)
    resolution_note: Mapped[str | None] = mapped_column(EncryptedText)
    next_alert_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    alert_count: Mapped[int] = mapped_column(Integer, default=0)
    followup_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)


class FlagMessage(Base):
    """The conversation around a flag: what the patient wrote, what staff replied, what the bot did."""

    __tablename__ = "flag_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(16))  # patient | staff | bot
    staff_id: Mapped[int | None] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(EncryptedText)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class StaffPost(Base):
    """A message for the staff group (or an on-call member), kept until Telegram accepted it."""

    __tablename__ = "staff_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # flag | realert | relay | notice | error
    body: Mapped[str] = mapped_column(EncryptedText)
    reply_to: Mapped[int | None] = mapped_column(BigInteger)
    with_buttons: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger)


class StaffThread(Base):
    """Maps a message in a staff chat to its flag, so a reply to it reaches the right patient."""

    __tablename__ = "staff_threads"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # flag | resolve_prompt


class SafetyPlan(Base):
    """A patient's Stanley-Brown safety plan, in their own words (encrypted)."""

    __tablename__ = "safety_plans"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)
    sections: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Every staff view and action, and what the system did on its own (re-alerts, follow-ups)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # staff:<id> | system | cli
    action: Mapped[str] = mapped_column(String(64))
    flag_id: Mapped[int | None] = mapped_column(Integer, index=True)
    patient_label: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)


# -- check-ins, progress, reminders (daily check-ins issue) ------------------------------------------
class CheckIn(Base):
    """One daily check-in; each answer is stored as it is given (incomplete ones keep what was said)."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    local_date: Mapped[dt.date] = mapped_column(Date, index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))  # reminder | command
    mood: Mapped[int | None] = mapped_column(Integer)
    craving: Mapped[int | None] = mapped_column(Integer)
    used: Mapped[bool | None] = mapped_column(Boolean)
    use_detail: Mapped[str | None] = mapped_column(EncryptedText)
    sleep_quality: Mapped[int | None] = mapped_column(Integer)  # 0 poor, 1 so-so, 2 good
    sleep_hours: Mapped[int | None] = mapped_column(Integer)
    symptoms: Mapped[list[str] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(EncryptedText)


class Slip(Base):
    """A use recorded without judgement; it ends the current streak and never erases history."""

    __tablename__ = "slips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    local_date: Mapped[dt.date] = mapped_column(Date, index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))  # slip | checkin
    detail: Mapped[str | None] = mapped_column(EncryptedText)
    note: Mapped[str | None] = mapped_column(EncryptedText)


class Measure(Base):
    """A weekly measure (PHQ-2, GAD-2, PHQ-9 item 9, the suicide-risk screener) with its score."""

    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    answers: Mapped[list[int]] = mapped_column(JSON)
    score: Mapped[int] = mapped_column(Integer)
    local_date: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Milestone(Base):
    """A milestone (days since the quit date) celebrated once."""

    __tablename__ = "milestones"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    celebrated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Reminder(Base):
    """A message due at a moment: the database is the source of truth for every reminder.

    ``key`` is unique per purpose (``checkin:2026-11-21``, ``risky:12:2026-11-21T21:00``), so planning the
    same reminder twice never creates two. ``status``: pending -> sending -> sent | skipped | failed.
    """

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("patient_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # checkin | nudge | weekly | risky | followup | peak
    key: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


Index("ix_reminders_status_due_at", Reminder.status, Reminder.due_at)


# -- coping tools and triggers (coping issue) --------------------------------------------------------
class CopingSession(Base):
    """One use of a coping tool: the craving before and after, how long, whether it was finished."""

    __tablename__ = "coping_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    tool: Mapped[str] = mapped_column(String(32))
    before: Mapped[int | None] = mapped_column(Integer)
    after: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished: Mapped[bool] = mapped_column(Boolean, default=False)


class PersonalItem(Base):
    """The patient's own words kept for the coping tools: reasons for recovery and support people."""

    __tablename__ = "personal_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # reason | supporter
    text: Mapped[str] = mapped_column(EncryptedText)
    contact: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Trigger(Base):
    """A personal trigger with the patient's if-then plan in their own words."""

    __tablename__ = "triggers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # people | places | situations | feelings | times
    description: Mapped[str] = mapped_column(EncryptedText)
    plan: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class RiskyTime(Base):
    """A weekly or one-off risky time tied to a trigger; a reminder goes out ``lead_minutes`` ahead."""

    __tablename__ = "risky_times"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    trigger_id: Mapped[int | None] = mapped_column(ForeignKey("triggers.id", ondelete="CASCADE"))
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday, for weekly ones
    on_date: Mapped[dt.date | None] = mapped_column(Date)  # for one-off ones
    local_time: Mapped[str] = mapped_column(String(5))
    lead_minutes: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(EncryptedText)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Outcome(Base):
    """The patient's short answer to "how did it go?" after a risky time."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    risky_time_id: Mapped[int | None] = mapped_column(ForeignKey("risky_times.id", ondelete="SET NULL"))
    answer: Mapped[str] = mapped_column(String(16))  # fine | hard | used
    note: Mapped[str | None] = mapped_column(EncryptedText)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
