"""Sending replies: after the update's transaction commits, from the outbox, in order.

A reply that a handler sends with :func:`send_text` while its update is being handled is not sent at
once: it is kept with the update's unit of work, written to the outbox in the update's own transaction,
and sent by the processor once that transaction has committed (:mod:`bot.ingest.processor`). So

- the database is never held while Telegram is asked (on SQLite, the write lock is held from an
  update's first statement to its commit; a reply sent in between made every other chat wait for that
  round trip);
- a reply goes out only for an update whose work committed; one that rolled back sends nothing, and
  its retry does not repeat what the patient already saw;
- a reply survives a crash: what was committed and not yet accepted by Telegram is in the outbox and
  goes out after the restart (at least once: a crash between Telegram's acceptance and the outbox row's
  removal sends it again).

Order is kept: :class:`ReplyOrderBot` sends an update's waiting replies before any other Bot API call
the update makes (a ``send_message`` whose id is kept, a photo, an edit), and the processor handles a
chat's next update only after its replies went out. :func:`send_text` sends at once outside an update
(reminders, paced exercises, the sweeper) and with ``now=True``: crisis replies and the answers to the
buttons under them (they must not wait for a commit, nor depend on the database at all), and a staff
reply to a patient (staff are told at once when it did not arrive).

:func:`send_text` makes the same ``sendMessage`` call as python-telegram-bot's ``send_message``
through the same machinery (``Bot._post``: the same defaults, timeouts, request and errors), but does
not turn Telegram's answer into a ``Message`` (about 0.2 ms of CPU). A caller that needs the sent
message, for its id, uses ``send_message``.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

from telegram import Bot, ForceReply, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import RetryAfter
from telegram.ext import ExtBot
from telegram.warnings import PTBDeprecationWarning

from bot.ingest.unit import current_unit

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply

# Calls that do not show anything in the chat, so they need not wait for the replies before them.
_ORDER_FREE = frozenset({"answerCallbackQuery"})


async def send_text(
    bot: Bot,
    chat_id: int | str,
    text: str,
    reply_markup: ReplyMarkup | None = None,
    *,
    now: bool = False,
) -> None:
    """Sends a text message: after the commit inside an update, at once outside one or with ``now``."""
    params: dict[str, Any] = {"chat_id": chat_id, "text": text}
    if reply_markup is not None:
        params["reply_markup"] = reply_markup
    unit = current_unit()
    if not now and unit is not None and unit.defers_here():
        unit.outgoing.append(params)
        return
    await bot._post("sendMessage", params)  # ReplyOrderBot first sends the replies waiting before it


async def send_waiting(bot: Bot) -> None:
    """Sends the current update's waiting replies now, in order (before a call that must follow them)."""
    unit = current_unit()
    if unit is None or not unit.outgoing or not unit.defers_here():
        return
    waiting = list(unit.outgoing)
    unit.outgoing.clear()
    for params in waiting:
        await bot._post("sendMessage", params)


def retry_after_seconds(exc: RetryAfter) -> float:
    """Telegram's "retry after" in seconds: an int or a timedelta, depending on python-telegram-bot's
    setting (reading it warns of the change to come; the value is the same)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value) if isinstance(value, int | float) else 1.0


def json_ready(params: dict[str, Any]) -> dict[str, Any]:
    """``sendMessage`` parameters as the outbox stores them and as they are sent: the keyboard already
    serialised to the JSON string the Bot API takes (python-telegram-bot sends a string as it is, so
    it is serialised once, not once for the outbox and again for the request)."""
    markup = params.get("reply_markup")
    if markup is None or isinstance(markup, str):
        return params
    return {**params, "reply_markup": markup.to_json()}


class ReplyOrderBot(ExtBot[None]):
    """The application's bot: any call an update makes first sends the replies the update queued.

    Without this, a handler that sends a text (queued until the commit) and then a photo (sent at once)
    would show the photo first.
    """

    async def _post(self, endpoint: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        if endpoint not in _ORDER_FREE:
            await send_waiting(self)
        return await super()._post(endpoint, data, *args, **kwargs)
