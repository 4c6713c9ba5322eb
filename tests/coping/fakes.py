"""A controllable clock for the pacing runner: sleeping moves time on at once (or waits at a chosen
moment until the test lets it go on), and every record of the fake Bot API can be dated in fake time."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.devtools.fake_bot_api import FakeBotApi


class FakeTimer:
    """``sleep`` returns at once and moves ``now`` on. ``marks`` remember how many API records existed
    when each sleep began, which dates every record (time only moves inside ``sleep``). With
    ``pause_at``, the first sleep that would pass that moment waits for :meth:`resume`."""

    def __init__(self, api: FakeBotApi | None = None, pause_at: float | None = None) -> None:
        self.t = 0.0
        self.api = api
        self.sleeps: list[float] = []
        self.marks: list[tuple[float, int]] = []
        self.pause_at = pause_at
        self.paused = asyncio.Event()
        self._go_on = asyncio.Event()

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        if self.api is not None:
            self.marks.append((self.t, len(self.api.sent)))
        self.sleeps.append(seconds)
        if self.pause_at is not None and self.t + seconds > self.pause_at:
            self.paused.set()
            await self._go_on.wait()
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)

    def resume(self) -> None:
        self.pause_at = None
        self._go_on.set()

    def time_of(self, record: Any) -> float:
        """The fake time at which this API record was made."""
        for t, count in self.marks:
            if count > record.index:
                return t
        return self.t


def edits(api: FakeBotApi, chat_id: int, message_id: int) -> list[Any]:
    return [
        r
        for r in api.sent
        if r.method == "editMessageText" and r.chat_id == chat_id and r.message_id == message_id
    ]
