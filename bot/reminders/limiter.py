"""Pacing for bulk sending: a global rate and a minimum interval per chat (Telegram's limits)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class SendPacer:
    """Hands out send slots: at most ``rate`` per second overall and one per ``per_chat`` seconds a chat.

    Replies to patients do not go through it: only reminders and other bulk messages do, and the rate
    is set below Telegram's limit so that replies always find room.
    """

    def __init__(self, rate: float, per_chat: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / rate
        self._per_chat = per_chat
        self._clock = clock
        self._next = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[int, float] = {}
        self._lock = asyncio.Lock()

    async def slot(self, chat_id: int) -> None:
        """Waits until this chat may be sent to without breaking either limit.

        A slot handed out before a :meth:`pause` but falling inside it is not used: its holder takes a
        new one after the pause, so nothing is sent while Telegram has asked us to wait.
        """
        while True:
            async with self._lock:
                now = self._clock()
                at = max(now, self._next, self._chat_next.get(chat_id, 0.0))
                self._next = at + self._interval
                self._chat_next[chat_id] = at + self._per_chat
                if len(self._chat_next) > 10_000:
                    self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
            delay = at - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            if self._clock() >= self._paused_until:
                return

    @property
    def interval(self) -> float:
        """Seconds between two sends at the overall rate."""
        return self._interval

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after": nobody sends until then."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self._next = max(self._next, self._paused_until)
