"""Sending a text message without reading Telegram's answer back into an object.

python-telegram-bot's ``send_message`` turns Telegram's answer (the sent message, its buttons included)
into a ``Message``: about 0.2 ms of CPU, a tenth of what handling a whole update costs here. Most
replies never look at that answer, so they go through :func:`send_text`. It makes the same
``sendMessage`` call through the same machinery (``Bot._post``, which ``send_message`` itself calls in
python-telegram-bot 22: the same defaults, timeouts, request and errors, ``Forbidden`` for a blocked
bot included) and returns nothing. A caller that needs the sent message, for its id, uses
``send_message``.
"""

from __future__ import annotations

from telegram import Bot, ForceReply, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


async def send_text(bot: Bot, chat_id: int | str, text: str, reply_markup: ReplyMarkup | None = None) -> None:
    await bot._post("sendMessage", {"chat_id": chat_id, "text": text, "reply_markup": reply_markup})
