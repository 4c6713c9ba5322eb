"""Failure injection and rate limiting for the fake Bot API (mixed into ``FakeBotApi``)."""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Any

from bot.devtools.fake_bot_api_state import ApiState, Bucket
from bot.devtools.fake_bot_api_types import ApiError

# Methods counted by the optional rate limiter (Telegram does not rate-limit chat actions).
_UNLIMITED_SENDS = {"sendchataction"}


class FaultInjection(ApiState):
    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``"*"`` = any method) fail like this."""
        queue = self._fail_next.setdefault(method.lower(), deque())
        queue.extend(ApiError(error_code, description, retry_after) for _ in range(times))

    def fail_all(
        self,
        method: str | None = None,
        *,
        error_code: int = 502,
        description: str = "Bad Gateway",
        enabled: bool = True,
    ) -> None:
        """Simulate an outage: every call of ``method`` (None = all methods) fails until
        ``fail_all(method, enabled=False)`` or :meth:`clear_failures`."""
        key = (method or "*").lower()
        if enabled:
            self._fail_all[key] = ApiError(error_code, description)
        else:
            self._fail_all.pop(key, None)

    def clear_failures(self) -> None:
        self._fail_next.clear()
        self._fail_all.clear()

    def _check_injected(self, method: str) -> None:
        key = method.lower()
        down = self._fail_all.get(key) or self._fail_all.get("*")
        if down is not None:
            raise ApiError(down.error_code, down.description, down.retry_after)
        for k in (key, "*"):
            queue = self._fail_next.get(k)
            if queue:
                raise queue.popleft()

    def _check_rate_limit(self, method: str, p: dict[str, Any]) -> None:
        key = method.lower()
        if not key.startswith("send") or key in _UNLIMITED_SENDS:
            return
        t = time.monotonic()
        waits = []
        buckets = []
        if self.rate_limit_per_second:
            if self._global_bucket is None:
                self._global_bucket = Bucket(self.rate_limit_per_second)
            buckets.append(self._global_bucket)
            waits.append(self._global_bucket.wait_needed(self.rate_limit_per_second, t))
        if self.per_chat_per_second:
            bucket = self._chat_buckets.setdefault(p.get("chat_id"), Bucket(self.per_chat_per_second))
            buckets.append(bucket)
            waits.append(bucket.wait_needed(self.per_chat_per_second, t))
        if any(waits):
            retry = max(1, math.ceil(max(waits)))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry)
        for bucket in buckets:
            bucket.tokens -= 1

    # -- control ---------------------------------------------------------------------------
    def configure(self, **cfg: Any) -> dict[str, Any]:
        """Apply control settings (used by ``POST /_test/config``); returns the current ones.
        Keys: rate_limit_per_second, per_chat_per_second, latency, blocked_chats (list,
        replaces), fail_all (None/False = off, True = 502 for all, or a dict of
        :meth:`fail_all` kwargs), fail_next (dict of :meth:`fail_next` kwargs),
        clear_failures (bool)."""
        for key in ("rate_limit_per_second", "per_chat_per_second"):
            if key in cfg:
                setattr(self, key, cfg[key] or None)
        if "latency" in cfg:
            self.latency = float(cfg["latency"] or 0.0)
        if "blocked_chats" in cfg:
            self.blocked_chats = {int(c) for c in cfg["blocked_chats"] or []}
        if cfg.get("clear_failures"):
            self.clear_failures()
        if "fail_all" in cfg:
            value = cfg["fail_all"]
            if isinstance(value, dict):
                self.fail_all(**value)
            elif value:
                self.fail_all(None)
            else:
                self._fail_all.clear()
        if cfg.get("fail_next"):
            self.fail_next(**cfg["fail_next"])
        return {
            "rate_limit_per_second": self.rate_limit_per_second,
            "per_chat_per_second": self.per_chat_per_second,
            "latency": self.latency,
            "blocked_chats": sorted(self.blocked_chats),
            "fail_all": {k: [e.error_code, e.description] for k, e in self._fail_all.items()},
        }
