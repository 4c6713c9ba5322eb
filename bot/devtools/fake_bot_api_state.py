"""Shared state of the fake Bot API: the base class of ``FakeBotApi`` and its mixins."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from bot.devtools.fake_bot_api_types import ApiError, SentRecord, UploadedFile, bad_request


class Bucket:
    """Token bucket: ``rate`` tokens per second, burst ``max(1, rate)``."""

    def __init__(self, rate: float) -> None:
        self.rate, self.tokens, self.last = rate, max(1.0, rate), time.monotonic()

    def wait_needed(self, rate: float, t: float) -> float:
        self.rate = rate
        self.tokens = min(max(1.0, rate), self.tokens + max(0.0, t - self.last) * rate)
        self.last = max(self.last, t)
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / rate


class ApiState:
    """Attributes and helpers every part of ``FakeBotApi`` relies on."""

    def __init__(
        self,
        *,
        bot_id: int = 1000,
        first_name: str = "Recovery Bot",
        username: str = "recovery_test_bot",
        rate_limit_per_second: float | None = None,
        per_chat_per_second: float | None = None,
        latency: float = 0.0,
    ) -> None:
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.sent: list[SentRecord] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.updates: list[dict[str, Any]] = []  # pushed, not yet confirmed by an offset
        self.allowed_updates: list[str] | None = None
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.files: dict[str, UploadedFile] = {}
        self.file_paths: dict[str, UploadedFile] = {}
        self.pending_callbacks: dict[str, dict[str, Any]] = {}
        self.blocked_chats: set[int] = set()
        self.rate_limit_per_second = rate_limit_per_second
        self.per_chat_per_second = per_chat_per_second
        self.latency = latency
        self.tokens_seen: set[str] = set()
        self.call_counts: Counter[str] = Counter()
        self.error_counts: Counter[int] = Counter()
        self.rate_limited_count = 0
        self.updates_pushed = 0
        self.pollers_waiting = 0
        self._poll_generation = 0
        self._release_epoch = 0
        self._current_token: str | None = None
        self._ids = itertools.count(1)  # file ids, callback ids, ...
        self._next_update_id = 100_001
        self._last_message_id: dict[int, int] = {}
        self._fail_next: dict[str, deque[ApiError]] = {}
        self._fail_all: dict[str, ApiError] = {}  # "*" = every method
        self._global_bucket: Bucket | None = None
        self._chat_buckets: dict[Any, Bucket] = {}
        self._consumed: set[int] = set()
        self._update_waiters: list[asyncio.Future[None]] = []
        self._sent_waiters: list[asyncio.Future[None]] = []
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            name[2:]: getattr(self, name) for name in dir(self) if name.startswith("m_")
        }

    def _target_chat(self, p: dict[str, Any], *, check_blocked: bool = True) -> dict:
        if p.get("chat_id") in (None, ""):
            raise bad_request("chat_id is empty")
        chat = self.chat(p["chat_id"])
        if check_blocked and chat["id"] in self.blocked_chats:
            what = (
                "bot was blocked by the user"
                if chat["type"] == "private"
                else ("bot was kicked from the group chat")
            )
            raise ApiError(403, f"Forbidden: {what}")
        return chat

    # -- state helpers ---------------------------------------------------------------------
    def chat(self, chat_id: int | str) -> dict[str, Any]:
        """The stored Chat JSON (created on first use: private for positive ids, else group)."""
        if isinstance(chat_id, str) and not chat_id.lstrip("-").isdigit():
            name = chat_id.lstrip("@")
            for chat in self.chats.values():
                if chat.get("username") == name:
                    return chat
            raise ApiError(400, "Bad Request: chat not found")
        cid = int(chat_id)
        if cid not in self.chats:
            self.chats[cid] = (
                {"id": cid, "type": "private", "first_name": f"User{cid}"}
                if cid > 0
                else {"id": cid, "type": "group", "title": f"Group {cid}"}
            )
        return self.chats[cid]

    @staticmethod
    def _message_id(p: dict[str, Any]) -> int:
        value = p.get("message_id")
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request("message identifier is not specified")
        return value

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def register_file(self, upload: UploadedFile) -> tuple[str, str]:
        """Store a file; returns ``(file_id, file_unique_id)`` usable with getFile/re-sending."""
        n = next(self._ids)
        file_id = f"BQACAgIAAxkBAAI{n:08d}"
        self.files[file_id] = upload
        return file_id, f"AQAD{n:08d}"

    def _uploads(self, p: dict[str, Any]) -> dict[str, UploadedFile]:
        return {k: v for k, v in p.items() if isinstance(v, UploadedFile)}

    def _record(
        self,
        method: str,
        p: dict[str, Any],
        chat_id: Any,
        message_id: int | None,
        text: str | None,
        result: Any,
        files: dict[str, UploadedFile] | None = None,
    ) -> None:
        markup = p.get("reply_markup")
        self.sent.append(
            SentRecord(
                method=method,
                chat_id=chat_id,
                message_id=message_id,
                text=text,
                reply_markup=markup if isinstance(markup, dict) else None,
                params=p,
                at=time.monotonic(),
                index=len(self.sent),
                result=result,
                files=files or {},
                token=self._current_token,
            )
        )
        self._notify(self._sent_waiters)

    def _update_allowed(self, update: dict[str, Any]) -> bool:
        if not self.allowed_updates:
            return True
        return any(k in self.allowed_updates for k in update if k != "update_id")

    # -- waiting ---------------------------------------------------------------------------
    def release_pollers(self) -> None:
        """End every pending getUpdates long poll now with an empty result (used on shutdown)."""
        self._release_epoch += 1
        self._notify(self._update_waiters)

    @staticmethod
    def _notify(waiters: list[asyncio.Future[None]]) -> None:
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)
        waiters.clear()

    @staticmethod
    async def _wait(waiters: list[asyncio.Future[None]], seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters.append(fut)
        try:
            await asyncio.wait_for(fut, seconds)
        except TimeoutError:
            pass
        finally:
            if fut in waiters:
                waiters.remove(fut)
