"""Sends due reminders exactly once, paced under Telegram's limits, one failure never stopping the rest.

Each pass: claim the due rows (``pending`` -> ``sending``, committed, so no other pass or instance takes
them), render them, send them paced by :class:`SendPacer`, then record each result and plan what follows.
A reminder later than the configured window (the bot was down) is recorded as ``skipped`` instead of
arriving at a useless hour. A row a crashed process left in ``sending`` is marked ``unconfirmed`` at
start-up rather than sent twice. A patient who blocked the bot (403) is marked inactive.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.db.models import Patient, Reminder
from bot.reminders.kinds import KINDS, Outgoing
from bot.reminders.limiter import SendPacer
from bot.repos import reminders as repo
from bot.sending import retry_after_seconds, send_text
from bot.services.container import Services

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BATCH = 500
BATCH_SECONDS = 4.0  # a batch is about this much sending: what a crash can leave unconfirmed stays small
CHUNK = 20  # reminders per transaction when rendering and recording a batch
LEAD = 2.0  # seconds of sending left when the next batch is claimed (see Dispatcher.run)
NETWORK_RETRIES = 3  # attempts of one message when the network or Telegram's servers fail
FLOOD_RETRIES = 10  # "retry after" answers one message may get; each is waited for, then retried


@dataclass
class _Job:
    reminder_id: int
    patient_id: int
    chat_id: int
    kind: str
    outgoing: Outgoing | None
    late: bool
    result: str = "pending"
    tried: bool = False  # a request was made: it may have reached the patient
    error: str | None = None
    sent_at: dt.datetime | None = None


def _chunks(items: list[T]) -> list[list[T]]:
    """Short transactions: the database work of a batch is split so that sending goes on in between
    (SQLite runs on the event loop: one long transaction would hold every send back, then let them
    out in a burst that Telegram answers with 429)."""
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


def _delivered(tasks: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("sending a batch of reminders failed", exc_info=task.exception())

    return done


class Dispatcher:
    def __init__(self, services: Services, bot: Bot) -> None:
        self.s = services
        self.bot = bot
        cfg = services.config.reminders
        self.pacer = SendPacer(cfg.bulk_rate_per_second, cfg.per_chat_interval_seconds)
        self.late_window = dt.timedelta(minutes=cfg.late_window_minutes)
        self.batch = min(MAX_BATCH, max(10, round(cfg.bulk_rate_per_second * BATCH_SECONDS)))
        self.sent = 0
        self.queued = 0  # rendered messages not yet sent (or given up)
        self._room = asyncio.Event()  # set when the backlog falls to LEAD seconds

    async def start(self) -> None:
        """Start-up: settle what a crash left behind (planning runs afterwards, see ``RunningBot``)."""
        async with self.s.db.transaction() as session:
            orphans = await repo.orphaned_sending(session)
            if orphans:
                log.warning("%d reminders were being sent when the bot stopped; marked unconfirmed", orphans)

    async def run(self) -> None:
        """Passes until cancelled. A full batch is sent while the next one is claimed and rendered, as
        soon as what is left to send would take the pacer under ``LEAD`` seconds: the pacer does not
        wait for the bookkeeping between batches (recording one, claiming and rendering the next)."""
        delivering: set[asyncio.Task[None]] = set()
        try:
            while True:
                try:
                    batch = await self._claim()
                except Exception:
                    log.exception("reminder pass failed; retrying")
                    batch = None
                if batch is not None:
                    task = asyncio.create_task(self._deliver(*batch))
                    delivering.add(task)
                    task.add_done_callback(_delivered(delivering))
                if batch is None or len(batch[0]) < self.batch:
                    await asyncio.sleep(1.0)
                if self._backlog() > LEAD:
                    self._room.clear()
                    await self._room.wait()
        finally:
            for task in delivering:
                task.cancel()
            await asyncio.gather(*delivering, return_exceptions=True)

    async def run_once(self) -> int:
        """One pass: claims what is due, sends it, records the results; returns how many were due."""
        batch = await self._claim()
        if batch is None:
            return 0
        await self._deliver(*batch)
        return len(batch[0])

    async def _claim(self) -> tuple[list[Reminder], list[_Job]] | None:
        """Takes the due reminders (``pending`` -> ``sending``, committed) and renders them."""
        now = self.s.clock.now()
        async with self.s.db.transaction() as session:
            claimed = await repo.claim_due(session, now, self.batch)
        if not claimed:
            return None
        jobs = await self._render(claimed, now)
        self.queued += sum(1 for job in jobs if job.outgoing and not job.late)
        return claimed, jobs

    async def _deliver(self, claimed: list[Reminder], jobs: list[_Job]) -> None:
        """Sends the rendered reminders, paced, then records each result and plans what follows."""
        try:
            await asyncio.gather(*(self._send_counted(job) for job in jobs if job.outgoing and not job.late))
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.create_task(self._settle_stopped(claimed, jobs)))
            raise
        await self._record(jobs, claimed)

    async def _settle_stopped(self, claimed: list[Reminder], jobs: list[_Job]) -> None:
        """The bot stops mid-batch: what was sent is recorded, what was never tried is pending again.

        A message whose request was made but not answered stays ``sending``: ``unconfirmed`` at the
        next start, never sent twice.
        """
        untried = [job for job in jobs if job.result == "pending" and not job.tried]
        done = [job for job in jobs if job.result != "pending" or job.late or job.outgoing is None]
        try:
            await self._record(done, claimed)
            async with self.s.db.transaction() as session:
                await repo.release(session, [job.reminder_id for job in untried if job.outgoing])
        except Exception:
            log.exception("could not record the reminders of a batch stopped mid-way")

    async def _send_counted(self, job: _Job) -> None:
        try:
            await self._send(job)
        finally:
            self.queued -= 1
            if self._backlog() <= LEAD:
                self._room.set()

    def _backlog(self) -> float:
        """Seconds the pacer needs for what was rendered and not sent yet."""
        return self.queued * self.pacer.interval

    async def _render(self, claimed: list[Reminder], now: dt.datetime) -> list[_Job]:
        jobs: list[_Job] = []
        for part in _chunks(claimed):
            async with self.s.db.transaction() as session:
                for reminder in part:
                    patient = await session.get(Patient, reminder.patient_id)
                    if patient is None:
                        continue
                    late = now - reminder.due_at > self.late_window
                    outgoing = None
                    kind = KINDS.get(reminder.kind)
                    if not late and patient.active and kind is not None:
                        outgoing = await kind.render(self.s, session, patient, reminder)
                    jobs.append(_Job(reminder.id, patient.id, patient.chat_id, reminder.kind, outgoing, late))
            await asyncio.sleep(0)
        return jobs

    async def _send(self, job: _Job) -> None:
        """Sends one message; "retry after" is waited for and does not count as a failed attempt."""
        assert job.outgoing is not None
        failures = floods = 0
        while failures < NETWORK_RETRIES and floods <= FLOOD_RETRIES:
            await self.pacer.slot(job.chat_id)
            job.tried = True
            try:
                await send_text(self.bot, job.chat_id, job.outgoing.text, reply_markup=job.outgoing.markup)
            except RetryAfter as exc:
                floods += 1
                job.error = str(exc)
                self.pacer.pause(retry_after_seconds(exc))
                continue
            except Forbidden as exc:
                job.result, job.error = "blocked", str(exc)
                return
            except BadRequest as exc:
                job.result, job.error = "failed", str(exc)
                return
            except (NetworkError, TelegramError) as exc:
                failures += 1
                job.error = f"{type(exc).__name__}: {exc}"
                if failures < NETWORK_RETRIES:
                    await asyncio.sleep(0.5 * 2**failures)
                continue
            job.result, job.sent_at = "sent", self.s.clock.now()
            self.sent += 1
            return
        job.result = "failed"

    async def _record(self, jobs: list[_Job], claimed: list[Reminder]) -> None:
        by_id = {r.id: r for r in claimed}
        for part in _chunks(jobs):
            async with self.s.db.transaction() as session:
                for job in part:
                    await self._record_one(session, job, by_id[job.reminder_id])
            await asyncio.sleep(0)

    async def _record_one(self, session: AsyncSession, job: _Job, reminder: Reminder) -> None:
        status = job.result
        patient = await session.get(Patient, job.patient_id)
        if job.late or job.outgoing is None:
            status = "skipped"
        elif status == "blocked":
            status = "failed"
            if patient is not None:
                patient.active = False
        await repo.set_result(session, job.reminder_id, status, job.sent_at, job.error)
        kind = KINDS.get(job.kind)
        if kind and kind.after and patient is not None and patient.active:
            await kind.after(self.s, session, patient, reminder)
