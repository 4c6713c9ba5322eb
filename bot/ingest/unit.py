"""The unit of work of one update: its database session, its replies, the errors its handlers raised.

The processor opens the session, runs the handlers, and commits their writes together with the removal
of the stored update and the replies they queued (:mod:`bot.sending`); handlers reach the session
through :func:`current_session`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass
class UnitOfWork:
    session: AsyncSession
    update_id: int
    errors: list[BaseException] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    defers_replies: bool = False  # the processor's units: replies wait in ``outgoing`` for the commit
    outgoing: list[dict[str, Any]] = field(default_factory=list)  # sendMessage parameters, in order
    task: asyncio.Task[Any] | None = field(default_factory=asyncio.current_task)

    def defers_here(self) -> bool:
        """True in the task that handles the update; a task it started (which inherits the context,
        such as a paced exercise's timer) may run on after the commit, so it sends at once."""
        return self.defers_replies and asyncio.current_task() is self.task


_current: ContextVar[UnitOfWork | None] = ContextVar("current_unit_of_work", default=None)


def current_unit() -> UnitOfWork | None:
    return _current.get()


def current_session() -> AsyncSession:
    unit = _current.get()
    if unit is None:
        raise RuntimeError("no unit of work: handlers run only through the update processor")
    return unit.session


def enter(unit: UnitOfWork):
    return _current.set(unit)


def leave(token) -> None:
    _current.reset(token)


def after_commit(callback: Callable[[], None]) -> None:
    """Runs ``callback`` once this update's transaction has committed (at once outside an update)."""
    unit = _current.get()
    if unit is None:
        callback()
    elif callback not in unit.after_commit:
        unit.after_commit.append(callback)
