"""Long polling that stores every update durably before confirming it to Telegram.

python-telegram-bot's own Updater moves the ``getUpdates`` offset (which tells Telegram the updates are
delivered) before handlers run. Here the offset only moves past an update once it has been committed to
the update store; the processor then handles it from there.

When the store cannot be written (the database is down), nothing is confirmed, so nothing is lost, and
each new update goes through the ``fallback``: the crisis path, which screens the text and answers risk
at once from memory. The fallback itself remembers what it answered, so that neither a second failed
store nor the processor (once the database is back) answers the same update twice.

Updates are fetched as JSON and stored as Telegram sent them; they are parsed once, by the processor
(which takes them from memory, :mod:`bot.ingest.handoff`), or here only for the crisis fallback.
Parsing them here and turning them back into dicts to store them cost about a third of a millisecond
per update.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.clock import Clock
from bot.db.engine import Database
from bot.ingest import handoff, store

log = logging.getLogger(__name__)

Fallback = Callable[[Update], Awaitable[None]]


class Poller:
    def __init__(
        self,
        bot: Bot,
        db: Database,
        clock: Clock,
        *,
        on_stored: Callable[[], None],
        fallback: Fallback,
        timeout: int = 30,
    ) -> None:
        self.bot = bot
        self.db = db
        self.clock = clock
        self._on_stored = on_stored
        self._fallback = fallback
        self._timeout = timeout
        self._offset: int | None = None
        self._handoff = handoff.for_database(db)
        self.stored = 0

    async def run(self) -> None:
        """Polls until cancelled."""
        await self._load_offset()
        delay = 0.0
        while True:
            if delay:
                await asyncio.sleep(delay)
            delay = await self.poll_once()

    async def _load_offset(self) -> None:
        while self._offset is None:
            try:
                async with self.db.read() as session:
                    last = await store.last_update_id(session)
                self._offset = (last + 1) if last is not None else 0
            except Exception:
                log.exception("cannot read the last update id; polling without confirming")
                return

    async def poll_once(self) -> float:
        """Fetches, stores and confirms one batch; returns how long to wait before the next."""
        try:
            raws = await self._get_updates()
        except RetryAfter as exc:
            return float(exc.retry_after if isinstance(exc.retry_after, int) else 5)
        except (InvalidToken, Conflict):
            raise
        except (NetworkError, TelegramError) as exc:
            log.warning("getUpdates failed: %s; retrying", exc)
            return 2.0
        if not raws:
            return 0.0
        try:
            async with self.db.transaction() as session:
                highest = await store.store_batch(session, raws, self.clock.now())
        except Exception:
            log.exception("cannot store %d updates; answering crises from memory", len(raws))
            await self._answer_from_memory(raws)
            return 2.0
        self._offset = highest + 1
        self.stored += len(raws)
        self._handoff.put((raw["update_id"], raw) for raw in raws)  # committed: the processor takes them
        self._on_stored()
        return 0.0

    async def _get_updates(self) -> list[dict[str, Any]]:
        """``getUpdates`` exactly as ``Bot.get_updates`` sends it, without parsing the result.

        ``Bot._post`` is what ``get_updates`` itself calls (python-telegram-bot 22): the same request
        pool, timeouts and errors. The public ``do_api_request`` would do, but warns for a method PTB has.
        """
        data = {"timeout": self._timeout, "offset": self._offset or None, "allowed_updates": Update.ALL_TYPES}
        # get_updates adds the long-poll timeout to the read timeout it is given (ours: timeout + 10)
        result = await self.bot._post("getUpdates", data, read_timeout=2 * self._timeout + 10)
        return list(result or [])

    async def _answer_from_memory(self, raws: list[dict[str, Any]]) -> None:
        for raw in raws:
            try:
                await self._fallback(Update.de_json(raw, self.bot))
            except Exception:
                log.exception("crisis fallback failed for update %s", raw.get("update_id"))
