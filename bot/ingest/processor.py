"""Handles stored updates: in order within a chat, several chats at once, each exactly once.

An update's handlers and the removal of its stored row commit in one transaction, so a crash (even
``kill -9``) before the commit leaves the update pending and it is handled again after the restart,
and a crash after it never handles it twice. A handler that fails is retried with a back-off; after
``max_attempts`` the update is kept as ``failed`` (never silently dropped) and the failure is logged
and reported to staff without patient text.

What to handle and in which order always comes from the pending rows in the store; the payload of an
update the poller has just stored comes from memory (:mod:`bot.ingest.handoff`), and is only read
back and decrypted from the store when it is not there.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import Forbidden
from telegram.ext import Application

from bot.db.engine import Database
from bot.ingest import handoff, store, unit

log = logging.getLogger(__name__)

FailureReporter = Callable[[int, str], Awaitable[None]]
Payload = dict[str, Any] | str  # as the poller fetched it, or as stored (JSON)


class Processor:
    def __init__(
        self,
        app: Application,
        db: Database,
        *,
        concurrency: int = 4,
        max_attempts: int = 3,
        batch_size: int = 100,
        on_failure: FailureReporter | None = None,
        retry_delay: float = 0.5,
    ) -> None:
        self.app = app
        self.db = db
        self.wake = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._max_attempts = max_attempts
        self._batch_size = batch_size
        self._on_failure = on_failure
        self._retry_delay = retry_delay
        self._handoff = handoff.for_database(db)
        self.handled = 0

    async def run(self) -> None:
        """Processes pending updates until cancelled; sleeps until woken or for one second."""
        while True:
            self.wake.clear()  # before reading, so a wake-up during the read is not lost
            try:
                count = await self.run_once()
            except Exception:  # the database may be down: the poller answers crises meanwhile
                log.exception("update processor cannot read the update store; retrying")
                await asyncio.sleep(1.0)
                continue
            if count == 0:
                try:
                    async with asyncio.timeout(1.0):  # not wait_for: it can swallow a cancellation
                        await self.wake.wait()
                except TimeoutError:
                    pass

    async def run_once(self) -> int:
        """Handles one batch of pending updates; returns how many were taken."""
        held = self._handoff
        async with self.db.transaction() as session:
            heads = await store.pending_heads(session, self._batch_size)
            stored = await store.payloads(session, [h.update_id for h in heads if h.update_id not in held])
        if heads:
            held.forget_below(heads[0].update_id)
        by_chat: OrderedDict[int | None, list[tuple[int, Payload, int]]] = OrderedDict()
        for head in heads:
            payload = held.take(head.update_id)
            if payload is None:
                payload = stored[head.update_id]
            by_chat.setdefault(head.chat_id, []).append((head.update_id, payload, head.attempts))
        await asyncio.gather(*(self._run_chat(items) for items in by_chat.values()))
        return len(heads)

    async def _run_chat(self, items: list[tuple[int, Payload, int]]) -> None:
        async with self._slots:
            for update_id, payload, attempts in items:
                await self._handle_with_retries(update_id, payload, attempts)

    async def _handle_with_retries(self, update_id: int, payload: Payload, attempts: int) -> None:
        while True:
            try:
                await self._handle(update_id, payload)
                self.handled += 1
                return
            except Exception as exc:
                attempts += 1
                give_up = attempts >= self._max_attempts
                await self._record_failure(update_id, exc, give_up)
                if give_up:
                    return
                await asyncio.sleep(self._retry_delay * attempts)

    async def _handle(self, update_id: int, payload: Payload) -> None:
        raw = payload if isinstance(payload, dict) else json.loads(payload)
        update = Update.de_json(raw, self.app.bot)
        work: unit.UnitOfWork | None = None
        async with self.db.transaction() as session:
            work = unit.UnitOfWork(session=session, update_id=update_id)
            token = unit.enter(work)
            try:
                await self.app.process_update(update)
            finally:
                unit.leave(token)
            retryable = [e for e in work.errors if not isinstance(e, Forbidden)]
            if retryable:
                raise retryable[0]
            await store.mark_done(session, update_id)
        for callback in work.after_commit if work else ():
            callback()

    async def _record_failure(self, update_id: int, exc: BaseException, give_up: bool) -> None:
        error = f"{type(exc).__name__}: {exc}"
        log.error("update %s failed (%s)%s", update_id, error, "; giving up" if give_up else "")
        try:
            async with self.db.transaction() as session:
                await store.record_failure(session, update_id, error, give_up)
        except Exception:
            log.exception("could not record the failure of update %s", update_id)
        if give_up and self._on_failure is not None:
            await self._on_failure(update_id, type(exc).__name__)
