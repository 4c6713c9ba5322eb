"""Reminder tests drive time by hand: a manual clock, and dispatcher passes run by the test itself.

``bots`` starts real bots (application, processor, poller, sweeper, dispatcher) on one database and
stops them at the end; several can be started one after another on the same database to test restarts.
The dispatcher's own loop does not run, so a reminder goes out only when the test moves the clock and
runs a pass (:class:`Driver`), and every delivery is stamped with the clock time it went out at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.checkins.schedule import plan_missing
from bot.db.models import CheckIn, Flag, FlagMessage, Patient, Reminder
from bot.devtools.fake_bot_api import FakeBotApi
from bot.reminders.limiter import SendPacer
from tests.harness import Harness, ManualClock

UTC = dt.UTC
REMINDER_KEYS = ("checkin.reminder", "checkin.nudge")

StartBot = Callable[..., Awaitable[Harness]]


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
async def bots(db_url: str, tmp_path: Path):
    """``await bots(clock=..., api=...)`` starts a bot on this test's database; all stop at the end."""
    running: list[Harness] = []

    async def start(clock: ManualClock | None = None, api: FakeBotApi | None = None) -> Harness:
        h = Harness(db_url, tmp_path, clock=clock)
        if api is not None:
            h.api = api
        await h.start(reminder_loop=False)
        running.append(h)
        return h

    try:
        yield start
    finally:
        for h in reversed(running):
            await stop(h)


async def stop(h: Harness) -> None:
    """Stops a bot started by ``bots`` (a second call does nothing)."""
    if getattr(h, "stopped", False):
        return
    h.stopped = True  # type: ignore[attr-defined]
    await h.stop()


@dataclass(frozen=True)
class Delivery:
    at: dt.datetime  # the manual clock when the pass that sent it ran
    chat_id: int
    key: str  # checkin.reminder | checkin.nudge


class Driver:
    """Moves the clock and runs dispatcher passes; records what was delivered and when."""

    def __init__(self, h: Harness, real_pacing: bool = True) -> None:
        """``real_pacing=False``: no real-time pause between two reminders to one chat (tests of local
        times walk weeks of reminders; the pacing itself is tested in ``test_delivery.py``)."""
        self.h = h
        if not real_pacing:
            h.bot.dispatcher.pacer = SendPacer(1000, 0.001)
        self.seen = len(h.api.sent)
        self.deliveries: list[Delivery] = []

    async def run(self) -> None:
        """Passes until nothing is due (a pass may plan something already due: downtime)."""
        for _ in range(50):
            if not await self.h.bot.dispatcher.run_once():
                break
        self.collect()

    def collect(self) -> None:
        now = self.h.clock.now()
        for record in self.h.api.sent[self.seen :]:
            for key in REMINDER_KEYS:
                if record.method == "sendMessage" and self.h.matches(record.text or "", key):
                    self.deliveries.append(Delivery(now, record.chat_id, key))
        self.seen = len(self.h.api.sent)

    async def walk(self, until: dt.datetime, step: dt.timedelta = dt.timedelta(minutes=10)) -> None:
        """Moves the clock to ``until`` in steps, running the passes at every step."""
        while self.h.clock.now() < until:
            self.h.clock.advance(seconds=min(step, until - self.h.clock.now()).total_seconds())
            await self.run()

    async def jump(self, **delta: float) -> None:
        """The clock moves at once (the bot was down or asleep), then one round of passes."""
        self.h.clock.advance(**delta)
        await self.run()

    def of(self, chat_id: int, key: str = "checkin.reminder") -> list[dt.datetime]:
        return [d.at for d in self.deliveries if d.chat_id == chat_id and d.key == key]

    def local(self, chat_id: int, zone: str, key: str = "checkin.reminder") -> list[str]:
        """The deliveries to one chat as local ``YYYY-MM-DD HH:MM`` in ``zone``."""
        return [at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") for at in self.of(chat_id, key)]


# -- patients ------------------------------------------------------------------------------------------
async def enrol(
    h: Harness, chat: int, *, country: str = "Ireland", zone: str | None = None, time: str = "20:00"
) -> None:
    """Onboards through the real set-up flow, typing the time zone and the check-in time."""
    h.send("/start", chat)
    await h.answer("onboarding.welcome", chat)
    consent = await h.answer("onboarding.privacy_notice", chat)
    h.press(consent, "I agree", chat)
    step = await h.reply(chat)
    if h.matches(step.text or "", "onboarding.step_language"):
        h.press(step, "English", chat)
    h.send(country, chat)
    step = await h.replies_until("onboarding.step_timezone", chat)
    if zone is None:
        h.press(step, h.buttons(step)[0][0], chat)
    else:
        h.send(zone, chat)
    step = await h.replies_until("onboarding.step_substance", chat)
    h.press(step, "Ketamine", chat)
    step = await h.replies_until("onboarding.step_quit", chat)
    h.press(step, "Today", chat)
    await h.replies_until("onboarding.step_checkin", chat)
    h.send(time, chat)
    step = await h.replies_until("onboarding.summary", chat)
    h.press(step, "All good", chat)
    await h.replies_until("onboarding.finished", chat)
    await h.settle()


async def change_setting(h: Harness, chat: int, button: str, answer: str) -> None:
    """/settings -> a change button -> a typed answer -> "All good" (the pending reminders are replanned)."""
    h.send("/settings", chat)
    summary = await h.replies_until("onboarding.summary", chat)
    h.press(summary, button, chat)
    await h.reply(chat)
    h.send(answer, chat)
    summary = await h.replies_until("onboarding.summary", chat)
    h.press(summary, "All good", chat)
    await h.replies_until("onboarding.settings_saved", chat)
    await h.settle()


async def add_patients(h: Harness, chats: list[int], zone: str, time: str) -> None:
    """Onboarded patients written straight to the database, then planned as at start-up.

    For tests that need many patients at once; the set-up flow itself is covered by :func:`enrol`.
    """
    now = h.clock.now()
    async with h.services.db.transaction() as session:
        for chat in chats:
            session.add(
                Patient(
                    chat_id=chat,
                    label=f"T-{chat}"[:16],
                    consent_at=now,
                    language="en",
                    country="IE",
                    timezone=zone,
                    substance="ketamine",
                    quit_date=now.date(),
                    checkin_time=time,
                    onboarded_at=now,
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
        await session.flush()
        await plan_missing(h.services, session)


async def patient(h: Harness, chat: int) -> Patient:
    async with h.services.db.read() as session:
        found = await session.scalar(select(Patient).where(Patient.chat_id == chat))
        assert found is not None
        return found


async def reminders(h: Harness, chat: int, kind: str | None = None) -> list[Reminder]:
    """The patient's reminder rows (of one kind), oldest due first."""
    async with h.services.db.transaction() as session:
        stmt = (
            select(Reminder).join(Patient, Patient.id == Reminder.patient_id).where(Patient.chat_id == chat)
        )
        if kind is not None:
            stmt = stmt.where(Reminder.kind == kind)
        return list((await session.scalars(stmt.order_by(Reminder.due_at, Reminder.id))).all())


async def checked_in(h: Harness, chat: int, day: dt.date) -> None:
    """A completed check-in for the patient's local ``day``, written as the check-in flow would."""
    p = await patient(h, chat)
    now = h.clock.now()
    async with h.services.db.transaction() as session:
        session.add(
            CheckIn(patient_id=p.id, local_date=day, started_at=now, completed_at=now, source="command")
        )


async def missed_day_events(h: Harness, chat: int) -> int:
    """How often staff were told about missed days: new flags plus notes added to an open flag."""
    p = await patient(h, chat)
    async with h.services.db.transaction() as session:
        flags = list((await session.scalars(select(Flag).where(Flag.patient_id == p.id))).all())
        notes = list(
            (
                await session.scalars(
                    select(FlagMessage).where(FlagMessage.flag_id.in_([f.id for f in flags] or [0]))
                )
            ).all()
        )
    return sum(f.source == "missed" for f in flags) + sum(n.text.startswith("[missed]") for n in notes)
