"""End-to-end fixtures: the real ``python -m bot run`` process against a fake Bot API on loopback.

The fake Bot API server runs in the test's own event loop, so a test can both talk to the bot over
HTTP (as Telegram would) and look at or hook the fake's state directly. The bot is a child process
with its own SQLite database in the test's temporary folder; it can be stopped with SIGKILL and
started again on the same database. Its stderr goes to a file that is printed when a test fails.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.content import Content
from bot.devtools.fake_bot_api import FakeBotApi, SentRecord
from bot.devtools.fake_bot_api_http import FakeBotApiServer

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST-token-for-e2e-tests-only"
TEST_KEY = "q8bU7b7Zr2Jm2b8KX2Qv6cT0n0cS3rWcVdE0yWq3zZE="
SEND_METHODS = {"sendMessage", "sendDocument", "sendPhoto", "editMessageText"}
START_TIMEOUT = 20.0
# Settings a developer's shell might carry that must not leak into the bot under test.
_CLEARED_ENV = (
    "BOT_TOKEN",
    "BOT_API_URL",
    "DATABASE_URL",
    "ENCRYPTION_KEYS",
    "ENCRYPTION_KEY_FILE",
    "CONFIG_FILE",
    "STAFF_CHAT_ID",
    "CLINIC_NAME",
    "DEFAULT_LANGUAGE",
    "DEFAULT_COUNTRY",
    "LOG_LEVEL",
)


class BotProcess:
    """One ``python -m bot run`` child process; ``start`` may be called again after ``kill``."""

    def __init__(self, api: FakeBotApi, base_url: str, workdir: Path) -> None:
        self.api = api
        self.workdir = workdir
        self.db_path = workdir / "e2e.db"
        self.env = {k: v for k, v in os.environ.items() if k not in _CLEARED_ENV}
        self.env.update(
            BOT_TOKEN=TOKEN,
            BOT_API_URL=base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{self.db_path}",
            ENCRYPTION_KEYS=TEST_KEY,
            ENCRYPTION_KEY_FILE=str(workdir / "unused.key"),
            CONFIG_FILE=str(ROOT / "config.toml"),
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        self.proc: asyncio.subprocess.Process | None = None
        self.runs = 0
        self.logs: list[Path] = []

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self, wait_polling: bool = True) -> None:
        """Starts the bot and returns once it is blocked in a getUpdates long poll."""
        assert not self.alive, "the bot is already running"
        await self._wait_no_pollers()
        self.runs += 1
        log = self.workdir / f"bot-run{self.runs}.stderr"
        self.logs.append(log)
        with log.open("wb") as err:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=ROOT,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=err,
                stderr=err,
            )
        if not wait_polling:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while self.api.pollers_waiting == 0:
            if self.proc.returncode is not None:
                raise AssertionError(f"the bot exited with {self.proc.returncode} while starting")
            if loop.time() > deadline:
                raise TimeoutError("the bot did not start long polling in time")
            try:
                await self.api.wait_polling(timeout=0.2)
            except TimeoutError:
                pass

    def sigkill(self) -> None:
        """SIGKILL right now (callable from a hook inside the fake's request handling)."""
        if self.alive:
            os.kill(self.pid, signal.SIGKILL)

    async def wait_exit(self, timeout: float = 10.0) -> int:  # noqa: ASYNC109
        """Waits for the process to end (e.g. killed by a hook); returns its exit code."""
        assert self.proc is not None
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        await self._wait_no_pollers()
        return code

    async def kill(self) -> None:
        """SIGKILL and reap; the fake notices the dropped long poll shortly after."""
        if self.proc is None:
            return
        self.sigkill()
        await self.proc.wait()
        await self._wait_no_pollers()

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if the bot is still there after a few seconds."""
        if not self.alive:
            return
        assert self.proc is not None
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 5)
        except TimeoutError:
            await self.kill()

    async def _wait_no_pollers(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """A killed bot's long poll is cancelled by the server when it sees the socket close."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if not self.api.pollers_waiting or loop.time() > deadline:
                return
            await asyncio.sleep(0.01)

    def stderr(self) -> str:
        parts = []
        for log in self.logs:
            text = log.read_text(errors="replace") if log.exists() else ""
            parts.append(f"----- {log.name} -----\n{text[-20000:]}")
        return "\n".join(parts)

    # -- the database, read from outside (WAL: readers see what the bot has committed) --------
    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.db_path, timeout=5)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def pending_update_ids(self) -> list[int]:
        rows = self.query("SELECT update_id FROM inbound_updates WHERE status = 'pending' ORDER BY 1")
        return [r[0] for r in rows]

    def inbound_statuses(self) -> dict[int, str]:
        return dict(self.query("SELECT update_id, status FROM inbound_updates"))

    def last_stored_update_id(self) -> int | None:
        rows = self.query("SELECT value FROM bot_state WHERE key = 'last_update_id'")
        return int(rows[0][0]) if rows else None

    def queued_replies(self) -> Counter[int]:
        """Replies committed to the outbox and not yet taken by the Bot API, by the chat that caused them."""
        return Counter(chat for (chat,) in self.query("SELECT source_chat_id FROM outbox"))

    async def wait_store_empty(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Waits until no stored update and no queued reply is left (all handled, committed, sent)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            rows = self.query("SELECT update_id, status FROM inbound_updates")
            queued = self.queued_replies()
            if not rows and not queued:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"updates still in the store: {rows}; replies in the outbox: {queued}")
            await asyncio.sleep(0.02)


class Patient:
    """A patient in one private chat, talking to the bot through the fake Bot API."""

    def __init__(self, api: FakeBotApi, content: Content, chat_id: int) -> None:
        self.api = api
        self.content = content
        self.chat_id = chat_id

    def send(self, text: str) -> int:
        return self.api.push_message(self.chat_id, text)

    def press(self, record: SentRecord, label: str) -> int:
        """Presses the button whose label contains ``label`` on a message the bot sent."""
        for text, data in buttons(record):
            if label.casefold() in text.casefold():
                return self.api.push_callback(self.chat_id, record.message_id, data)
        raise AssertionError(f"no button {label!r} in {buttons(record)}")

    async def reply(self, timeout: float = 5.0) -> SentRecord:  # noqa: ASYNC109
        chat = self.chat_id
        return await self.api.wait_for(lambda r: r.chat_id == chat and r.method in SEND_METHODS, timeout)

    async def answer(self, key: str, **values: Any) -> SentRecord:
        """The next message the bot sends to this chat; it must be the content under ``key``."""
        record = await self.reply()
        assert self.matches(record.text or "", key, **values), f"{key!r} expected, got {record.text!r}"
        return record

    async def replies_until(self, key: str, **values: Any) -> SentRecord:
        for _ in range(10):
            record = await self.reply()
            if self.matches(record.text or "", key, **values):
                return record
        raise AssertionError(f"no reply matching {key}")

    async def past_language_step(self) -> SentRecord:
        """After consent: chooses English when the language question comes; returns the next question."""
        record = await self.reply()
        if self.matches(record.text or "", "onboarding.step_language"):
            self.press(record, "English")
            record = await self.reply()
        return record

    def matches(self, text: str, key: str, **values: Any) -> bool:
        """True when ``text`` contains one variant of ``key`` (placeholders match anything)."""
        for variant in self.content.variants("en", key):
            literal = variant.format(**values) if values else variant
            parts = [re.escape(p) for p in re.split(r"\{[^}]*\}", literal)]
            if re.search(".*?".join(parts), text, re.S):
                return True
        return False

    def sent(self, method: str = "sendMessage") -> list[SentRecord]:
        return [r for r in self.api.sent_to(self.chat_id) if r.method == method]


def buttons(record: SentRecord) -> list[tuple[str, str]]:
    rows = (record.reply_markup or {}).get("inline_keyboard") or []
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


Before = Callable[[str, dict[str, Any]], None]
After = Callable[[str, dict[str, Any], dict[str, Any]], None]


class HookedApi(FakeBotApi):
    """The fake Bot API with test hooks: :meth:`hold` makes chosen methods wait until
    :meth:`release`; hooks in ``before`` see each call as it arrives, hooks in ``after`` see it with
    its response envelope (before the response is written). ``offsets`` lists every getUpdates
    offset received (0 = none)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.gated: set[str] = set()
        self.gate = asyncio.Event()
        self.gate.set()
        self.held = 0
        self.before: list[Before] = []
        self.after: list[After] = []
        self.offsets: list[int] = []

    def hold(self, *methods: str) -> None:
        self.gated = set(methods)
        self.gate.clear()

    def release(self) -> None:
        self.gated = set()
        self.gate.set()

    async def handle(
        self, method: str, params: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        if method == "getUpdates":
            self.offsets.append(int((params or {}).get("offset") or 0))
        for check in list(self.before):
            check(method, params or {})
        if method in self.gated:
            self.held += 1
            try:
                await self.gate.wait()
            finally:
                self.held -= 1
        envelope = await super().handle(method, params, token=token)
        for hook in list(self.after):
            hook(method, params or {}, envelope)
        return envelope


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Adds the bot process's stderr to the report of a failed test."""
    outcome = yield
    report = outcome.get_result()
    process = getattr(item, "e2e_bot", None)
    if report.failed and process is not None:
        report.sections.append(("stderr of the bot process", process.stderr()))


@pytest.fixture
def content() -> Content:
    return Content.load(ROOT / "content", "en")


@pytest.fixture
async def server():
    fake = FakeBotApiServer(HookedApi())
    await fake.start()
    try:
        yield fake
    finally:
        fake.api.release()
        await fake.stop()


@pytest.fixture
def api(server: FakeBotApiServer) -> HookedApi:
    return server.api


@pytest.fixture
async def bot(request, server: FakeBotApiServer, tmp_path: Path):
    process = BotProcess(server.api, server.base_url, tmp_path)
    request.node.e2e_bot = process
    try:
        yield process
    finally:
        server.api.release()
        await process.stop()
