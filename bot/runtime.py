"""Start-up and the running bot: keys, migration, the key check, the poller and the processor."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from sqlalchemy import select
from telegram.error import TelegramError

from bot.app import build_application, build_services, publish_commands
from bot.clock import Clock
from bot.config import Config, ConfigError
from bot.db.crypto import WrongKeyError, current_keyring, load_or_create_key_file
from bot.db.migrate import upgrade_to_head
from bot.db.models import BotState
from bot.handlers import features
from bot.handlers.context import BotApplication
from bot.ingest.poller import Poller
from bot.ingest.processor import Processor
from bot.reminders.dispatcher import Dispatcher
from bot.repos import patients
from bot.safety.escalation import Escalation
from bot.safety.sweeper import Sweeper
from bot.services.container import Services

log = logging.getLogger(__name__)

CANARY_KEY = "key_canary"
CANARY_TEXT = "recovery-bot key check"


def encryption_keys(config: Config) -> list[str]:
    """The configured keys, or the key file beside the data (created on first start)."""
    if config.security.encryption_keys:
        return list(config.security.encryption_keys)
    return [load_or_create_key_file(config.security.key_file)]


async def verify_keys(services: Services) -> None:
    """Fails closed when the configured keys cannot read this database; stores the check on first run."""
    keyring = current_keyring()
    async with services.db.transaction() as session:
        stored = await session.scalar(select(BotState.value).where(BotState.key == CANARY_KEY))
        if stored is None:
            token = keyring.encrypt(CANARY_TEXT).decode()
            session.add(BotState(key=CANARY_KEY, value=token))
            return
        try:
            ok = keyring.decrypt(stored.encode()) == CANARY_TEXT
        except WrongKeyError:
            ok = False
    if not ok:
        raise ConfigError(
            "config: ENCRYPTION_KEYS cannot decrypt this database (wrong key; keep the old key listed "
            "after the new one until 'python -m bot rotate-key' has run)"
        )


async def prepare(config: Config, clock: Clock | None = None) -> Services:
    """Migrates to head, loads everything into memory and checks the keys."""
    keys = encryption_keys(config)
    await asyncio.to_thread(upgrade_to_head, config.database.url)
    services = build_services(config, keys, clock)
    await verify_keys(services)
    if not config.telegram.staff_chat_id:
        log.warning(NO_STAFF_GROUP)
    return services


# One line at start-up: flags are still recorded, but nobody is told, so replies promise no care team.
NO_STAFF_GROUP = (
    "no staff group configured (STAFF_CHAT_ID): flags reach nobody; patients are told who can help now"
)


class RunningBot:
    """The application plus its poller and processor, started and stopped together."""

    def __init__(self, services: Services, app: BotApplication, poll_timeout: int | None = None) -> None:
        self.services = services
        self.app = app
        cfg = services.config
        self.processor = Processor(
            app,
            services.db,
            concurrency=cfg.processing.concurrency,
            max_attempts=cfg.processing.max_attempts,
            on_failure=self._on_failure,
            on_refused=self._on_reply_refused,
            clock=services.clock,
        )
        self.poller = Poller(
            app.bot,
            services.db,
            services.clock,
            on_stored=self.processor.wake.set,
            fallback=lambda update: services.crisis.answer_without_database(app.bot, update),
            timeout=cfg.telegram.poll_timeout_seconds if poll_timeout is None else poll_timeout,
        )
        self.sweeper = Sweeper(services, app.bot)
        self.dispatcher = Dispatcher(services, app.bot)
        app.bot_data["sweeper_wake"] = self.sweeper.wake.set
        self._tasks: list[asyncio.Task[None]] = []
        self.startup_jobs: asyncio.Task[None] | None = None
        self.reminder_loop = True  # False: reminders go out only when someone calls dispatcher.run_once

    async def start(self) -> None:
        await self.app.initialize()
        try:
            await publish_commands(self.app, self.services)
        except TelegramError as exc:
            log.warning("could not set the command menu: %s", exc)
        await self.app.start()
        try:
            await self.dispatcher.start()
        except Exception:
            log.exception("could not plan reminders at start-up; the dispatcher will retry as it runs")
        await features.on_start(self.app)
        self._tasks = [
            asyncio.create_task(self.poller.run(), name="poller"),
            asyncio.create_task(self.processor.run(), name="processor"),
            asyncio.create_task(self.sweeper.run(), name="sweeper"),
        ]
        if self.reminder_loop:
            self._tasks.append(asyncio.create_task(self.dispatcher.run(), name="reminders"))
        # Planning every patient's next reminders takes seconds for a large clinic: it runs while the
        # bot already answers patients (a crisis message never waits for it), in short transactions.
        self.startup_jobs = asyncio.create_task(features.run_startup_jobs(self.services), name="startup-jobs")

    async def wait(self) -> None:
        """Returns when a task ends by itself (which only a fatal error does)."""
        done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()

    async def stop(self) -> None:
        await features.on_stop(self.app)
        if self.startup_jobs is not None:
            self.startup_jobs.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.startup_jobs
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.processor.finish()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        await self.services.db.dispose()

    async def _on_failure(self, update_id: int, error: str) -> None:
        """Tells staff (never with patient text) that an update could not be handled."""
        log.error("update %s kept as failed (%s); see 'python -m bot updates'", update_id, error)
        await self._tell_staff("staff.bot_error", update_id=update_id, error=error)

    async def _on_reply_refused(self, chat_id: int, error: str) -> None:
        """Tells staff which patient did not get a reply Telegram refused (never the reply itself)."""
        label = None
        try:
            async with self.services.db.transaction() as session:
                patient = await patients.by_chat(session, chat_id)
                label = patient.label if patient is not None else None
        except Exception:
            log.exception("could not read the patient of chat %s", chat_id)
        await self._tell_staff("staff.reply_refused", label=label or f"chat {chat_id}", error=error)

    async def _tell_staff(self, key: str, **values: Any) -> None:
        escalation = Escalation(self.services)
        body = escalation.t(key, **values)
        try:
            async with self.services.db.transaction() as session:
                await escalation.post(session, None, escalation.staff_chat, "error", body)
            self.sweeper.wake.set()
        except Exception:
            log.exception("could not queue the error report for staff")


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Runs the long-running bot on uvloop where it is installed (Linux, macOS), else on asyncio's own.

    uvloop is a drop-in event loop on libuv. Everything here (python-telegram-bot, aiohttp, SQLAlchemy's
    asyncio layer, the in-loop SQLite driver) runs on either; on uvloop the bot spends about a third less
    CPU per message (bench/throughput.py), most of it in socket I/O and callbacks.
    """
    try:
        import uvloop
    except ImportError:  # e.g. Windows, where uvloop does not exist
        asyncio.run(main)
        return
    uvloop.run(main)


async def run_bot(config: Config) -> None:
    """``python -m bot run`` with a token: long polling until interrupted."""
    services = await prepare(config)
    bot = RunningBot(services, build_application(services))
    await bot.start()
    log.info("bot running (long polling)")
    try:
        await bot.wait()
    finally:
        await bot.stop()
