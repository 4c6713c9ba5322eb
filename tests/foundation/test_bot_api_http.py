"""The aiohttp client for the Bot API (bot/bot_api_http.py), through a real python-telegram-bot ``Bot``
against the Bot API server on loopback: what it sends, and how each kind of failure reaches the caller."""

from __future__ import annotations

import asyncio
import io
import socket

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.bot_api_http import AiohttpRequest
from bot.devtools.fake_bot_api import FakeBotApi
from bot.devtools.fake_bot_api_http import FakeBotApiServer

TOKEN = "123456:TEST-token-for-the-http-client"


@pytest.fixture
async def served():
    server = FakeBotApiServer(FakeBotApi())
    base_url = await server.start("127.0.0.1", 0)
    bot = Bot(TOKEN, base_url=base_url, request=AiohttpRequest(), get_updates_request=AiohttpRequest(1))
    await bot.initialize()
    try:
        yield server.api, bot
    finally:
        await bot.shutdown()
        await server.stop()


async def test_a_message_with_buttons_arrives_whole_and_comes_back_parsed(served):
    api, bot = served
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ireland ☘", callback_data="fl:c:IE")]])
    text = "Which country? Ünïcödé, emoji 🌱 and RTL טקסט & <b>not html</b>"
    sent = await bot.send_message(42, text, reply_markup=markup)
    record = api.sent_to(42)[-1]
    assert record.text == text
    assert record.reply_markup == {"inline_keyboard": [[{"text": "Ireland ☘", "callback_data": "fl:c:IE"}]]}
    assert sent.message_id == record.message_id and sent.text == text
    assert sent.reply_markup == markup


async def test_a_file_goes_as_multipart_with_its_name_type_and_bytes(served):
    api, bot = served
    data = bytes(range(256)) * 40  # binary, not text
    await bot.send_document(42, document=io.BytesIO(data), filename="export.json", caption="Your data")
    record = api.sent_to(42)[-1]
    upload = record.files["document"]
    assert (upload.filename, upload.data) == ("export.json", data)
    assert record.text == "Your data"


async def test_bot_api_errors_become_python_telegram_bot_errors(served):
    api, bot = served
    api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(Forbidden):
        await bot.send_message(42, "hello")
    api.fail_next("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(42, "hello")
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter, match="3"):
        await bot.send_message(42, "hello")
    api.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(NetworkError):
        await bot.send_message(42, "hello")
    await bot.send_message(42, "and then it works again")
    assert api.sent_to(42)[-1].text == "and then it works again"


async def test_a_slow_answer_is_a_timeout(served):
    api, bot = served
    api.configure(latency=0.5)
    with pytest.raises(TimedOut):
        await bot.send_message(42, "hello", read_timeout=0.1)


async def test_a_server_that_is_not_there_is_a_network_error():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
        assert not isinstance(caught.value, TimedOut)
    finally:
        await request.shutdown()


async def test_a_request_before_initialize_or_after_shutdown_says_so():
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/x", "POST")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()  # twice is harmless
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/x", "POST")


async def test_many_calls_at_once_share_the_pool(served):
    api, bot = served
    await asyncio.gather(*(bot.send_message(1000 + i, f"message {i}") for i in range(60)))
    assert sorted(r.text for r in api.sent if r.method == "sendMessage") == sorted(
        f"message {i}" for i in range(60)
    )
