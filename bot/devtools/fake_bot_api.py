"""A fake Telegram Bot API for the terminal demo, offline tests, e2e tests and benchmarks.

``FakeBotApi`` is pure asyncio state: ``await api.handle("sendMessage", {...})`` returns the Bot
API envelope (``{"ok": true, "result": ...}`` / ``{"ok": false, "error_code": ..., ...}``).
Plug it into python-telegram-bot without HTTP via
:class:`bot.devtools.inprocess_request.InProcessRequest`, or serve it on loopback with
:class:`bot.devtools.fake_bot_api_http.FakeBotApiServer` (``BOT_API_URL=http://127.0.0.1:PORT/bot``).

Run standalone: ``python -m bot.devtools.fake_bot_api --port 8081``.

All methods must be called from the event loop's thread.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from bot.devtools.fake_bot_api_drivers import UpdateDrivers
from bot.devtools.fake_bot_api_faults import FaultInjection
from bot.devtools.fake_bot_api_messages import MessageMethods
from bot.devtools.fake_bot_api_methods import BotApiMethods
from bot.devtools.fake_bot_api_types import (
    ApiError,
    SentRecord,
    UploadedFile,
    decode_params,
)

__all__ = ["ApiError", "FakeBotApi", "SentRecord", "UploadedFile"]  # + lazy FakeBotApiServer


def __getattr__(name: str) -> Any:  # lazy re-export; the HTTP module imports this one
    if name == "FakeBotApiServer":
        from bot.devtools.fake_bot_api_http import FakeBotApiServer

        return FakeBotApiServer
    raise AttributeError(name)


class FakeBotApi(BotApiMethods, MessageMethods, UpdateDrivers, FaultInjection):
    """In-memory Telegram Bot API.  See module docstring; public attributes are the transcript
    (``sent``, ``messages``), test knobs (``blocked_chats``, ``rate_limit_per_second``,
    ``per_chat_per_second``, ``latency``) and counters (``call_counts``, ``error_counts``,
    ``rate_limited_count``)."""

    # -- dispatch --------------------------------------------------------------------------
    async def handle(
        self, method: str, params: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """Execute one Bot API call and return the response envelope (never raises ApiError)."""
        if token is not None:
            self.tokens_seen.add(token)
        self.call_counts[method] += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            self._check_injected(method)
            fn = self._methods.get(method.lower())
            if fn is None:
                raise ApiError(404, "Not Found")
            decoded = decode_params(params)
            self._check_rate_limit(method, decoded)
            self._current_token = token
            result = fn(decoded)
            if inspect.isawaitable(result):
                result = await result
            return {"ok": True, "result": result}
        except ApiError as exc:
            self.error_counts[exc.error_code] += 1
            if exc.error_code == 429:
                self.rate_limited_count += 1
            return exc.envelope()

    async def wait_for(
        self,
        predicate: Callable[[SentRecord], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test API
        *,
        since: int = 0,
    ) -> SentRecord:
        """Return the earliest record matching ``predicate`` that no earlier ``wait_for`` call
        returned (each record is handed out at most once), waiting up to ``timeout`` seconds
        for it to be sent.  ``since`` ignores records with a smaller index (use
        ``len(api.sent)`` as a bookmark).  Raises ``TimeoutError`` listing recent records."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        scanned = since
        while True:
            for rec in self.sent[scanned:]:
                if rec.index not in self._consumed and predicate(rec):
                    self._consumed.add(rec.index)
                    return rec
            scanned = max(scanned, len(self.sent))
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n".join(
                    f"  #{r.index} {r.method} chat={r.chat_id} text={r.text!r}" for r in self.sent[-10:]
                )
                raise TimeoutError(f"no matching record within {timeout}s; recent:\n{recent}")
            await self._wait(self._sent_waiters, remaining)

    async def wait_new_records(self, since: int, timeout: float) -> list[SentRecord]:  # noqa: ASYNC109
        """Records with index >= ``since``, waiting up to ``timeout`` s for at least one."""
        if len(self.sent) <= since and timeout > 0:
            await self._wait(self._sent_waiters, timeout)
        return self.sent[since:]

    async def wait_polling(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until some client is blocked in a getUpdates long poll (the bot is ready)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.pollers_waiting == 0:
            if loop.time() >= deadline:
                raise TimeoutError("no getUpdates long poll within timeout")
            await asyncio.sleep(0.01)

    def sent_to(self, chat_id: int) -> list[SentRecord]:
        return [r for r in self.sent if r.chat_id == chat_id]

    # -- control ---------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        return {
            "sent": len(self.sent),
            "updates_pushed": self.updates_pushed,
            "updates_pending": len(self.updates),
            "pollers_waiting": self.pollers_waiting,
            "rate_limited": self.rate_limited_count,
            "call_counts": dict(self.call_counts),
            "error_counts": {str(k): v for k, v in self.error_counts.items()},
            "tokens_seen": sorted(self.tokens_seen),
            "messages_stored": len(self.messages),
        }


if __name__ == "__main__":
    from bot.devtools.fake_bot_api_http import main

    main()
