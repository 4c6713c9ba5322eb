"""Handles stored updates: in order within a chat, several chats at once, each exactly once.

An update's handlers and the removal of its stored row commit in one transaction, so a crash (even
``kill -9``) before the commit leaves the update pending and it is handled again after the restart,
and a crash after it never handles it twice. A handler that fails is retried with a back-off; after
``max_attempts`` the update is kept as ``failed`` (never silently dropped) and the failure is logged
and reported to staff without patient text.

What to handle and in which order always comes from the pending rows in the store; the payload of an
update the poller has just stored comes from memory (:mod:`bot.ingest.handoff`), and is only read
back and decrypted from the store when it is not there.

The replies an update's handlers send are written to the outbox in the same transaction and sent once
it has committed (:mod:`bot.sending`), so no transaction waits for Telegram. A chat whose replies
Telegram did not take (it is down, or asks to retry later) has a backlog: its next update waits until
the backlog went out, retried with a back-off, so replies never overtake each other; other chats go on.
A reply Telegram refuses for good is dropped: logged when the patient blocked the bot, and reported
to staff (``on_refused``) when Telegram calls it a bad request, since the patient then never got it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application

from bot.clock import Clock, SystemClock
from bot.db.engine import Database
from bot.ingest import handoff, store, unit
from bot.ingest.store import NO_CHAT  # the outbox source of an update without a chat
from bot.repos import outbox
from bot.sending import json_ready, retry_after_seconds

log = logging.getLogger(__name__)

FailureReporter = Callable[[int, str], Awaitable[None]]  # (update id or chat id, the error's name)
Payload = dict[str, Any] | str  # as the poller fetched it, or as stored (JSON)

MAX_DELIVERY_BACKOFF = 10.0  # seconds between tries of a chat's backlog, at most (a crisis may wait)


@dataclass
class Backlog:
    """A chat whose queued replies Telegram has not taken yet."""

    tries: int = 0
    not_before: float = 0.0  # time.monotonic()


class Processor:
    def __init__(
        self,
        app: Application,
        db: Database,
        *,
        concurrency: int = 16,
        max_attempts: int = 3,
        batch_size: int = 100,
        on_failure: FailureReporter | None = None,
        on_refused: FailureReporter | None = None,
        retry_delay: float = 0.5,
        clock: Clock | None = None,
    ) -> None:
        self.app = app
        self.db = db
        self.wake = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._max_attempts = max_attempts
        self._batch_size = batch_size
        self._on_failure = on_failure
        self._on_refused = on_refused  # a reply Telegram refused for good (not a blocked bot)
        self._retry_delay = retry_delay
        self._handoff = handoff.for_database(db)
        self._clock = clock or SystemClock()
        self._backlogs: dict[int, Backlog] = {}
        self._outbox_read = False  # the first pass reads the backlogs a restart left
        # Outbox rows of delivered replies: waiting for a transaction to remove them, and being removed.
        # A row in neither is still to be sent. (A crash before the removal commits sends it again.)
        self._sent: set[int] = set()
        self._removing: set[int] = set()
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
                await self._remove_sent()  # what the last deliveries left
                try:
                    async with asyncio.timeout(1.0):  # not wait_for: it can swallow a cancellation
                        await self.wake.wait()
                except TimeoutError:
                    pass

    async def finish(self) -> None:
        """After the processor's task has stopped: removes what it delivered, so that a restart does
        not send it again."""
        await self._remove_sent()

    async def run_once(self) -> int:
        """Handles one batch of pending updates; returns how many were taken."""
        held = self._handoff
        async with self.db.read() as session:
            if not self._outbox_read:  # replies committed before a restart and never sent
                self._backlogs.update((chat, Backlog()) for chat in await outbox.sources(session))
                self._outbox_read = True
            backlogs = list(self._backlogs)
            heads = await store.pending_heads(session, self._batch_size, skip_chats=backlogs)
            stored = await store.payloads(session, [h.update_id for h in heads if h.update_id not in held])
        if heads:
            held.forget_below(heads[0].update_id)
        by_chat: OrderedDict[int | None, list[tuple[int, Payload, int]]] = OrderedDict()
        for head in heads:
            payload = held.take(head.update_id)
            if payload is None:
                payload = stored[head.update_id]
            by_chat.setdefault(head.chat_id, []).append((head.update_id, payload, head.attempts))
        await asyncio.gather(
            *(self._run_chat(chat, items) for chat, items in by_chat.items()),
            *(self._catch_up(chat) for chat in backlogs),
        )
        return len(heads)

    async def _run_chat(self, chat_id: int | None, items: list[tuple[int, Payload, int]]) -> None:
        source = NO_CHAT if chat_id is None else chat_id
        async with self._slots:
            for update_id, payload, attempts in items:
                if source in self._backlogs:
                    return  # the rest waits, still pending, until the earlier replies went out
                await self._handle_with_retries(update_id, payload, attempts, source)

    async def _catch_up(self, source: int) -> None:
        """Sends a chat's backlog, oldest first, when its back-off has passed."""
        backlog = self._backlogs.get(source)
        if backlog is None or time.monotonic() < backlog.not_before:
            return
        async with self._slots:
            try:
                async with self.db.read() as session:
                    queued = await outbox.of_source(session, source)
            except Exception:
                log.exception("cannot read the outbox of chat %s; retrying", source)
                self._postpone(source, backlog)
                return
            replies = [
                (q.id, q.params) for q in queued if q.id not in self._sent and q.id not in self._removing
            ]
            if await self._deliver(source, replies):
                self._backlogs.pop(source, None)
                self.wake.set()  # its pending updates can go on now

    async def _handle_with_retries(
        self, update_id: int, payload: Payload, attempts: int, source: int
    ) -> None:
        while True:
            try:
                await self._handle(update_id, payload, source)
                self.handled += 1
                return
            except Exception as exc:
                attempts += 1
                give_up = attempts >= self._max_attempts
                await self._record_failure(update_id, exc, give_up)
                if give_up:
                    return
                await asyncio.sleep(self._retry_delay * attempts)

    async def _handle(self, update_id: int, payload: Payload, source: int) -> None:
        raw = payload if isinstance(payload, dict) else json.loads(payload)
        update = Update.de_json(raw, self.app.bot)
        work: unit.UnitOfWork | None = None
        queued: list[int] = []
        replies: list[dict[str, Any]] = []
        removed: list[int] = []
        try:
            async with self.db.transaction() as session:
                work = unit.UnitOfWork(session=session, update_id=update_id, defers_replies=True)
                token = unit.enter(work)
                try:
                    await self.app.process_update(update)
                finally:
                    unit.leave(token)
                retryable = [e for e in work.errors if not isinstance(e, Forbidden)]
                if retryable:
                    raise retryable[0]
                await store.mark_done(session, update_id)
                replies = [json_ready(params) for params in work.outgoing]
                if replies:
                    queued = await outbox.add(session, source, replies, self._clock.now())
                removed = self._take_sent()
                await outbox.remove(session, removed)  # what was delivered meanwhile rides along
        except BaseException:
            self._sent.update(removed)  # not removed after all: the next transaction takes them
            raise
        finally:
            self._removing.difference_update(removed)
        for callback in work.after_commit if work else ():
            callback()
        if queued:
            await self._deliver(source, list(zip(queued, replies, strict=True)))

    async def _deliver(self, source: int, replies: list[tuple[int, dict[str, Any]]]) -> bool:
        """Sends queued replies in order and removes those Telegram took (or refused for good).

        Returns True when none is left; otherwise the chat gets (or keeps) a backlog with a back-off.
        A row is removed by the next transaction that commits, or when the processor is idle or stops.
        """
        for row_id, params in replies:
            try:
                await self.app.bot._post("sendMessage", params)
            except Forbidden as exc:
                log.info("reply %s dropped: the patient has blocked the bot (%s)", row_id, exc)
            except BadRequest as exc:
                log.error("reply %s refused by Telegram and dropped: %s", row_id, exc)
                if self._on_refused is not None:
                    await self._on_refused(int(params["chat_id"]), type(exc).__name__)
            except Exception as exc:  # down, flood control, a network error: tried again later
                log.warning("reply %s not delivered yet (%s: %s)", row_id, type(exc).__name__, exc)
                backlog = self._backlogs.get(source) or Backlog()
                self._postpone(
                    source, backlog, retry_after_seconds(exc) if isinstance(exc, RetryAfter) else None
                )
                return False
            self._sent.add(row_id)
        return True

    def _take_sent(self) -> list[int]:
        """The delivered replies' rows, for the transaction that is about to commit to remove."""
        ids = sorted(self._sent)
        self._removing.update(ids)
        self._sent.clear()
        return ids

    async def _remove_sent(self) -> None:
        """Removes the rows of delivered replies that no update's transaction took along (idle)."""
        if not self._sent:
            return
        ids = self._take_sent()
        try:
            async with self.db.transaction() as session:
                await outbox.remove(session, ids)
        except Exception:
            self._sent.update(ids)
            log.exception("could not remove %d delivered replies from the outbox", len(ids))
        finally:
            self._removing.difference_update(ids)

    def _postpone(self, source: int, backlog: Backlog, retry_after: float | None = None) -> None:
        backlog.tries += 1
        if retry_after is None:
            retry_after = min(MAX_DELIVERY_BACKOFF, self._retry_delay * 2 ** (backlog.tries - 1))
        backlog.not_before = time.monotonic() + retry_after
        self._backlogs[source] = backlog

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
