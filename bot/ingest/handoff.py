"""Updates the poller has just stored, handed to the processor in memory so it need not read them back.

Each is held as the JSON object Telegram sent (a dict, never modified), exactly what was stored.

This is only a cache of parsed payloads. The update store stays the one source of truth: the processor
still decides what to handle, and in which order, from the pending rows it reads, and takes a payload
from here only for a row it read; anything missing (after a restart, a retry, a requeue from the CLI,
or a full hand-off) is decrypted from the store as before. The poller adds updates only after their
batch has committed, so nothing here is newer than the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from weakref import WeakKeyDictionary

MAX_HELD = 10_000  # beyond this (a processor far behind), payloads are read back from the store


class Handoff:
    def __init__(self, limit: int = MAX_HELD) -> None:
        self._held: dict[int, Any] = {}
        self._limit = limit

    def put(self, items: Iterable[tuple[int, Any]]) -> None:
        for update_id, update in items:
            if len(self._held) >= self._limit:
                return
            self._held[update_id] = update

    def take(self, update_id: int) -> Any | None:
        return self._held.pop(update_id, None)

    def forget_below(self, update_id: int) -> None:
        """Drops what is older than the oldest pending update: removed meanwhile (``/delete``)."""
        for old in [u for u in self._held if u < update_id]:
            del self._held[old]

    def __contains__(self, update_id: object) -> bool:
        return update_id in self._held

    def __len__(self) -> int:
        return len(self._held)


_by_database: WeakKeyDictionary[Any, Handoff] = WeakKeyDictionary()


def for_database(db: Any) -> Handoff:
    """The hand-off between the poller and the processor that share this database."""
    handoff = _by_database.get(db)
    if handoff is None:
        handoff = _by_database[db] = Handoff()
    return handoff
