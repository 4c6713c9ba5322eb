"""The test harness: the real bot (application, processor, poller, database) against a fake Bot API.

Only the edges are fakes: the Bot API (an in-process :class:`FakeBotApi`) and, where a test needs it,
the clock. Tests talk to the bot as a patient would: send text, press buttons, read replies.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import build_application
from bot.config import Config, load_config
from bot.db.models import InboundUpdate, OutboxMessage
from bot.devtools.fake_bot_api import FakeBotApi
from bot.devtools.inprocess_request import InProcessRequest
from bot.runtime import RunningBot, prepare

ROOT = Path(__file__).resolve().parents[1]
TEST_KEY = "q8bU7b7Zr2Jm2b8KX2Qv6cT0n0cS3rWcVdE0yWq3zZE="
STAFF_CHAT = -100500
ON_CALL = 7001
SEND_METHODS = {"sendMessage", "sendDocument", "sendPhoto", "editMessageText"}


class ManualClock:
    """A clock that moves only when a test moves it."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += dt.timedelta(**delta)


def make_config(db_url: str, tmp_path: Path, **env: str) -> Config:
    base = {
        "DATABASE_URL": db_url,
        "ENCRYPTION_KEYS": TEST_KEY,
        "BOT_TOKEN": "",
        "CONFIG_FILE": str(ROOT / "config.toml"),
        "ENCRYPTION_KEY_FILE": str(tmp_path / "key"),
        "STAFF_CHAT_ID": str(STAFF_CHAT),
        "ON_CALL": str(ON_CALL),
    }
    if os.environ.get("TEST_CONTENT_DIR"):  # lets a developer test against a snapshot of content/
        base["CONTENT_DIR"] = os.environ["TEST_CONTENT_DIR"]
    base.update(env)
    return load_config(ROOT / "config.toml", env=base)


_pg_migrated: set[str] = set()


def reset_postgres(url: str) -> None:
    """Empties every table; the schema is rebuilt from scratch once per test session."""
    import psycopg

    from bot.db.engine import sync_url

    conninfo = sync_url(url).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        # A connection a cancelled task left open must not block the reset (it holds table locks).
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        if url not in _pg_migrated:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
            _pg_migrated.add(url)
            return
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        if tables:
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


class Harness:
    def __init__(self, db_url: str, tmp_path: Path, clock: Any = None, **env: str) -> None:
        self.config = make_config(db_url, tmp_path, **env)
        self.clock = clock or ManualClock()
        self.chat_id = 5001
        self.api = FakeBotApi()

    async def start(self, wait_startup_jobs: bool = True, reminder_loop: bool = True) -> None:
        """Starts the bot; by default returns once its start-up jobs (planning reminders) are done, so
        tests begin from a bot whose reminders are all planned. ``reminder_loop=False``: reminders go
        out only when the test runs ``bot.dispatcher.run_once()``."""
        self.services = await prepare(self.config, self.clock)
        self.app = build_application(
            self.services, request=InProcessRequest(self.api), updates_request=InProcessRequest(self.api)
        )
        self.bot = RunningBot(self.services, self.app, poll_timeout=1)
        self.bot.reminder_loop = reminder_loop
        self.bot.processor._retry_delay = 0.01
        await self.bot.start()
        if wait_startup_jobs:
            await self.startup_jobs_done()
        await self.api.wait_polling()

    async def startup_jobs_done(self) -> None:
        assert self.bot.startup_jobs is not None
        await self.bot.startup_jobs

    async def stop(self) -> None:
        await self.bot.stop()

    # -- talking ----------------------------------------------------------------------------------
    def send(self, text: str | None = None, chat_id: int | None = None, **kw: Any) -> int:
        return self.api.push_message(chat_id or self.chat_id, text, **kw)

    def press(self, record: Any, label: str, chat_id: int | None = None) -> int:
        """Presses the button whose label contains ``label`` on a sent message."""
        for text, data in self.buttons(record):
            if label.casefold() in text.casefold():
                return self.api.push_callback(chat_id or self.chat_id, record.message_id, data)
        raise AssertionError(f"no button {label!r} in {self.buttons(record)}")

    def press_data(self, message_id: int, data: str, chat_id: int | None = None) -> int:
        return self.api.push_callback(chat_id or self.chat_id, message_id, data)

    async def reply(self, chat_id: int | None = None, timeout: float = 5.0) -> Any:
        chat = chat_id or self.chat_id
        return await self.api.wait_for(lambda r: r.chat_id == chat and r.method in SEND_METHODS, timeout)

    async def replies_until(self, key: str, chat_id: int | None = None, **values: Any) -> Any:
        """Reads replies until one matches the content ``key``; returns it."""
        for _ in range(10):
            record = await self.reply(chat_id)
            if self.matches(record.text or "", key, **values):
                return record
        raise AssertionError(f"no reply matching {key}")

    async def answer(self, key: str, chat_id: int | None = None, **values: Any) -> Any:
        """The next reply, which must match ``key``."""
        record = await self.reply(chat_id)
        assert self.matches(record.text or "", key, **values), f"{key!r} expected, got {record.text!r}"
        return record

    async def settle(self, timeout: float = 5.0) -> None:
        """Waits until every pushed update has been stored and handled, and its replies went out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self.bot.poller.stored >= self.api.updates_pushed and await self.pending() == 0:
                if await self.queued_replies() == 0:
                    return
            await asyncio.sleep(0.02)
        raise TimeoutError("updates still pending, or replies still in the outbox")

    async def queued_replies(self) -> int:
        async with self.services.db.transaction() as session:
            return await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0

    async def pending(self) -> int:
        async with self.services.db.transaction() as session:
            return (
                await session.scalar(
                    select(func.count()).select_from(InboundUpdate).where(InboundUpdate.status == "pending")
                )
                or 0
            )

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        return [r.text or "" for r in self.api.sent_to(chat_id or self.chat_id) if r.method in SEND_METHODS]

    async def add_staff(self, user_id: int, name: str = "Sam", active: bool = True) -> None:
        from bot.db.models import Staff

        async with self.services.db.transaction() as session:
            session.add(
                Staff(
                    telegram_user_id=user_id,
                    name=name,
                    role="counsellor",
                    on_call=False,
                    active=active,
                    added_at=self.clock.now(),
                )
            )

    async def staff_post(self, key: str, **values: Any) -> Any:
        """The next message in the staff group, which must match ``key``."""
        return await self.answer(key, STAFF_CHAT, **values)

    # -- content ----------------------------------------------------------------------------------
    def matches(self, text: str, key: str, lang: str = "en", **values: Any) -> bool:
        """True when ``text`` contains one variant of ``key`` (placeholders match anything)."""
        for variant in self.services.content.variants(lang, key):
            literal = variant.format(**values) if values else variant
            parts = [re.escape(p) for p in re.split(r"\{[^}]*\}", literal)]
            if re.search(".*?".join(parts), text, re.S):
                return True
        return False

    @staticmethod
    def buttons(record: Any) -> list[tuple[str, str]]:
        rows = (record.reply_markup or {}).get("inline_keyboard") or []
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    # -- journeys ---------------------------------------------------------------------------------
    async def onboard(self, chat_id: int | None = None, country: str = "Ireland") -> None:
        """Walks a patient from /start to the end of set-up with typical answers."""
        chat = chat_id or self.chat_id
        self.send("/start", chat)
        await self.answer("onboarding.welcome", chat)
        consent = await self.answer("onboarding.privacy_notice", chat)
        self.press(consent, "I agree", chat)
        step = await self.reply(chat)
        if self.matches(step.text or "", "onboarding.step_language"):
            self.press(step, "English", chat)
            step = await self.replies_until("onboarding.step_country", chat)
        assert self.matches(step.text or "", "onboarding.step_country"), step.text
        self.send(country, chat)
        step = await self.replies_until("onboarding.step_timezone", chat)
        self.press(step, self.buttons(step)[0][0], chat)
        step = await self.replies_until("onboarding.step_substance", chat)
        self.press(step, "Ketamine", chat)
        step = await self.replies_until("onboarding.step_quit", chat)
        self.press(step, "Today", chat)
        step = await self.replies_until("onboarding.step_checkin", chat)
        self.press(step, "20:00", chat)
        step = await self.replies_until("onboarding.summary", chat)
        self.press(step, "All good", chat)
        await self.replies_until("onboarding.finished", chat)
