"""A flag's review as an explicit state machine: new -> acknowledged -> resolved.

One function, :func:`transition`, routes every change, stamps who and when, and refuses a change
that makes no sense (acknowledging a resolved flag, resolving twice) with :class:`TransitionRefused`.
Resolving a flag nobody acknowledged yet acknowledges it in the same step (same person, same time).
"""

from __future__ import annotations

import datetime as dt
import enum

from bot.db.models import Flag


class Status(enum.StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Action(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class Priority(enum.IntEnum):
    ROUTINE = 0
    CONCERN = 1
    CRISIS = 2
    EMERGENCY = 3

    @property
    def label(self) -> str:
        return self.name.lower()


ALLOWED: dict[tuple[Status, Action], Status] = {
    (Status.NEW, Action.ACKNOWLEDGE): Status.ACKNOWLEDGED,
    (Status.NEW, Action.RESOLVE): Status.RESOLVED,
    (Status.ACKNOWLEDGED, Action.RESOLVE): Status.RESOLVED,
}


class TransitionRefused(Exception):
    """The flag is not in a state where this action makes sense."""


def transition(
    flag: Flag, action: Action, staff_id: int, now: dt.datetime, note: str | None = None
) -> Status:
    """Applies ``action`` to ``flag`` or raises :class:`TransitionRefused`; returns the new status."""
    current = Status(flag.status)
    target = ALLOWED.get((current, action))
    if target is None:
        raise TransitionRefused(f"flag #{flag.id} is {current.value}: cannot {action.value}")
    if flag.acknowledged_at is None:
        flag.acknowledged_at, flag.acknowledged_by = now, staff_id
    if target is Status.RESOLVED:
        text = (note or "").strip()
        if not text:
            raise TransitionRefused(f"flag #{flag.id}: resolving needs a note")
        flag.resolved_at, flag.resolved_by, flag.resolution_note = now, staff_id, text
    flag.next_alert_at = None
    flag.status = target.value
    return target
