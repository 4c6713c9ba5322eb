"""What each kind of reminder says and what follows it.

A feature registers a kind with :func:`register`: ``render`` builds the message at send time (or returns
None when it is no longer needed, e.g. a nudge after the check-in was done) and ``after`` plans what
comes next (tomorrow's check-in, a nudge, a "how did it go?"). Both run inside the dispatcher's
transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.db.models import Patient, Reminder

if TYPE_CHECKING:
    from bot.services.container import Services


@dataclass(frozen=True)
class Outgoing:
    text: str
    markup: InlineKeyboardMarkup | None = None


Render = Callable[["Services", AsyncSession, Patient, Reminder], Awaitable[Outgoing | None]]
After = Callable[["Services", AsyncSession, Patient, Reminder], Awaitable[None]]


@dataclass(frozen=True)
class Kind:
    render: Render
    after: After | None = None


KINDS: dict[str, Kind] = {}


def register(name: str, render: Render, after: After | None = None) -> None:
    KINDS[name] = Kind(render, after)
