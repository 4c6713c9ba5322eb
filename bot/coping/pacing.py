"""Live pacing: one message edited on a timer ("Breathe in… 4… 3"), with a Stop button, within Telegram's
limits.

A :class:`Run` is a list of :class:`Frame`\\ s, each due a number of seconds after the start. The
:class:`PacingRunner` (one per application, in ``bot_data["pacing"]``) plays each run as an asyncio task,
one run per chat:

* the schedule is absolute (no drift); when the runner is late, it shows the latest frame that is due;
* a chat's message is edited at most once per ``min_interval`` seconds, and all chats together at most
  ``rate`` times a second: a countdown tick that does not fit is skipped, a phase change (``essential``)
  waits for its turn (unless a later frame is due by then: each tick also names its phase);
* an edit that would not change the text is not sent (Telegram refuses "message is not modified");
* ``RetryAfter`` is honoured by waiting, and the schedule moves on by the same time (nothing is skipped);
  a wait longer than ``max_wait`` ends the run as failed;
* a message that is gone (deleted, or the bot blocked) ends the run; other errors skip a frame, and
  several in a row end it.

The timer is injectable (``now``/``sleep``) so tests run a five-minute exercise at once and check the
time of every edit. How a run ends is reported to ``Run.on_end`` with its outcome (finished, abandoned,
gone, failed, or crisis); a run stopped from a handler (Stop button), replaced or shut down is not
reported. A stopped run never edits its message again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.sending import retry_after_seconds

log = logging.getLogger(__name__)

FINISHED, STOPPED, CRISIS, GONE, FAILED, ABANDONED = (
    "finished",
    "stopped",
    "crisis",
    "gone",
    "failed",
    "abandoned",
)
_GONE_MARKERS = (
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
    "chat not found",
)


class Timer(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class RealTimer:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(frozen=True)
class Frame:
    at: float  # seconds after the start
    text: str
    essential: bool = True  # a phase change: shown even if late; a countdown tick may be skipped


@dataclass
class Run:
    chat_id: int
    message_id: int
    frames: list[Frame]
    total: float  # seconds from the start to the end
    final_text: str  # shown (without buttons) when the run comes to its end
    markup: InlineKeyboardMarkup | None = None  # kept on every frame (the Stop button)
    sent_text: str | None = None  # what the message already shows (it was just sent with the markup)
    stopped_text: str | None = None  # shown when ``alive`` says the patient left the exercise
    on_end: Callable[[str], Awaitable[None]] | None = None
    alive: Callable[[], Awaitable[bool]] | None = None  # asked every ``check_every`` seconds
    check_every: float = 5.0
    stop_reason: str | None = field(default=None, init=False)


class _Budget:
    """All chats together: at most ``rate`` edits a second."""

    def __init__(self, rate: float, timer: Timer) -> None:
        self.interval, self.timer, self.next = 1.0 / rate, timer, 0.0

    def try_take(self) -> bool:
        now = self.timer.now()
        if self.next > now:
            return False
        self.next = now + self.interval
        return True

    async def take(self) -> None:
        now = self.timer.now()
        at = max(now, self.next)
        self.next = at + self.interval
        if at > now:
            await self.timer.sleep(at - now)


class PacingRunner:
    def __init__(
        self,
        bot: Bot,
        timer: Timer | None = None,
        *,
        min_interval: float = 1.0,
        rate: float = 20.0,
        max_wait: float = 30.0,
        max_errors: int = 5,
    ) -> None:
        self.bot = bot
        self.timer: Timer = timer or RealTimer()
        self.min_interval = min_interval
        self.max_wait = max_wait
        self.max_errors = max_errors
        self._budget = _Budget(rate, self.timer)
        self._runs: dict[int, tuple[Run, asyncio.Task[None]]] = {}

    def set_timer(self, timer: Timer) -> None:
        """Replaces the clock (tests make sleeping instant with it)."""
        self.timer = timer
        self._budget.timer = timer

    # -- control ---------------------------------------------------------------------------------------
    def start(self, run: Run) -> None:
        """Plays ``run``; a run already playing in the same chat is replaced."""
        self._cancel(run.chat_id, "replaced")
        task = asyncio.create_task(self._main(run), name=f"pacing:{run.chat_id}")
        self._runs[run.chat_id] = (run, task)

    def running(self, chat_id: int) -> bool:
        entry = self._runs.get(chat_id)
        return entry is not None and not entry[1].done()

    async def stop(self, chat_id: int, reason: str = STOPPED, wait: bool = True) -> bool:
        """Stops the chat's run (no more edits); True when one was playing. With ``wait``, returns once
        its task has ended (at most a second later)."""
        task = self._cancel(chat_id, reason)
        if task is None:
            return False
        if wait:
            await asyncio.wait({task}, timeout=1.0)
        return True

    async def shutdown(self) -> None:
        """Stops every run without reporting them: after a restart they show as interrupted."""
        tasks = [t for t in (self._cancel(chat, "shutdown") for chat in list(self._runs)) if t is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)

    async def interrupt(self, chat_id: int) -> None:
        """A crisis in this chat (the safety gate's ``crisis_interrupts`` hook): the run stops at once,
        without a word. No network and no database here; the run's ``on_end`` tidies up afterwards in
        its own task. Never raises."""
        try:
            self._cancel(chat_id, CRISIS)
        except Exception:
            log.exception("could not stop the paced exercise in chat %s", chat_id)

    def _cancel(self, chat_id: int, reason: str) -> asyncio.Task[None] | None:
        entry = self._runs.pop(chat_id, None)
        if entry is None or entry[1].done():
            return None
        run, task = entry
        run.stop_reason = reason
        task.cancel()
        return task

    # -- playing ---------------------------------------------------------------------------------------
    async def _main(self, run: Run) -> None:
        """Plays the run, then reports how it ended; the run counts as playing until that report is
        done, so the patient's next message never finds it neither playing nor ended."""
        try:
            try:
                outcome = await self._play(run)
            except asyncio.CancelledError:
                if run.stop_reason != CRISIS:  # stopped from a handler, replaced, shut down: no report
                    raise
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()
                outcome = CRISIS
            except Exception:
                log.exception("pacing failed in chat %s", run.chat_id)
                outcome = FAILED
            if run.on_end is not None:
                try:
                    await run.on_end(outcome)
                except Exception:
                    log.exception("pacing: ending the run in chat %s failed", run.chat_id)
        finally:
            entry = self._runs.get(run.chat_id)
            if entry is not None and entry[0] is run:
                del self._runs[run.chat_id]

    async def _play(self, run: Run) -> str:
        state = _PlayState(start=self.timer.now())
        if run.sent_text is not None:  # the message was just sent: that counts as this chat's last edit
            state.shown, state.last_edit = (run.sent_text, run.markup is not None), state.start
        i = 0
        while i < len(run.frames):
            if not await self._still_wanted(run, state):
                if run.stopped_text:
                    await self._edit(run, run.stopped_text, None, state, retries=0)
                return ABANDONED
            elapsed = self.timer.now() - state.start
            if run.frames[i].at > elapsed:
                await self.timer.sleep(run.frames[i].at - elapsed)
                continue
            j = max(k for k in range(i, len(run.frames)) if run.frames[k].at <= elapsed)
            frame = run.frames[j]
            wait = state.last_edit + self.min_interval - self.timer.now()
            if wait > 0:
                if not frame.essential and self._next_due_within(run, j, elapsed + wait):
                    i = j + 1
                    continue
                await self.timer.sleep(wait)
                continue
            if not frame.essential and not self._budget.try_take():
                i = j + 1
                continue
            if frame.essential:
                await self._budget.take()
            result = await self._edit(run, frame.text, run.markup, state)
            if result is not None:
                return result
            i = j + 1
        remaining = run.total - (self.timer.now() - state.start)
        remaining = max(remaining, state.last_edit + self.min_interval - self.timer.now())
        if remaining > 0:
            await self.timer.sleep(remaining)
        await self._edit(run, run.final_text, None, state, retries=1)
        return FINISHED

    @staticmethod
    def _next_due_within(run: Run, j: int, until: float) -> bool:
        return j + 1 < len(run.frames) and run.frames[j + 1].at <= until

    async def _still_wanted(self, run: Run, state: _PlayState) -> bool:
        if run.alive is None or self.timer.now() - state.checked < run.check_every:
            return True
        state.checked = self.timer.now()
        try:
            return await run.alive()
        except Exception:
            log.exception("pacing: could not check the exercise in chat %s; carrying on", run.chat_id)
            return True

    async def _edit(
        self, run: Run, text: str, markup: Any, state: _PlayState, retries: int | None = None
    ) -> str | None:
        """Shows ``text``; returns an outcome that ends the run, or None to carry on."""
        if (text, markup is not None) == state.shown:
            return None
        attempts = 0
        while True:
            try:
                await self.bot.edit_message_text(
                    text, chat_id=run.chat_id, message_id=run.message_id, reply_markup=markup
                )
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                attempts += 1
                if seconds > self.max_wait or (retries is not None and attempts > retries):
                    log.warning("pacing: flood wait of %ss in chat %s; ending the run", seconds, run.chat_id)
                    return FAILED
                await self.timer.sleep(seconds)
                state.start += seconds  # the exercise pauses; nothing is skipped
                continue
            except Forbidden:
                return GONE
            except BadRequest as exc:
                message = str(exc).lower()
                if "not modified" in message:
                    break
                if any(marker in message for marker in _GONE_MARKERS):
                    return GONE
                return self._error(run, state, exc)
            except TelegramError as exc:
                return self._error(run, state, exc)
            break
        state.shown, state.errors, state.last_edit = (text, markup is not None), 0, self.timer.now()
        return None

    def _error(self, run: Run, state: _PlayState, exc: Exception) -> str | None:
        state.errors += 1
        log.warning("pacing: edit failed in chat %s (%s); frame skipped", run.chat_id, exc)
        return FAILED if state.errors >= self.max_errors else None


@dataclass
class _PlayState:
    start: float
    last_edit: float = float("-inf")
    checked: float = 0.0
    errors: int = 0
    shown: tuple[str, bool] | None = None

    def __post_init__(self) -> None:
        self.checked = self.start


# -- for callers that hold the application ------------------------------------------------------------
async def stop_for_chat(app: Any, chat_id: int) -> None:
    """Stops the chat's paced exercise as after a crisis (see :meth:`PacingRunner.interrupt`), given the
    application; nothing happens when there is no runner. Never raises."""
    try:
        runner = app.bot_data.get("pacing")
    except Exception:
        log.exception("no application data to find the paced exercise of chat %s", chat_id)
        return
    if isinstance(runner, PacingRunner):
        await runner.interrupt(chat_id)
