"""Fake Bot API: driven through a real python-telegram-bot ``Bot``, in-process and over HTTP."""

from __future__ import annotations

import asyncio
import struct
import sys
import time

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler

from bot.devtools.fake_bot_api import FakeBotApi, FakeBotApiServer
from bot.devtools.inprocess_request import InProcessRequest

# PTB's own RetryAfter.__init__ trips its retry_after int->timedelta deprecation warning.
pytestmark = pytest.mark.filterwarnings("ignore:Deprecated since version v22.2")

TOKEN = "123:ABC"
CHAT = 4242
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
# 2x3 PNG header is enough for the size sniffing.
PNG = b"\x89PNG\r\n\x1a\n" + struct.pack(">I4sII", 13, b"IHDR", 2, 3) + b"\x08\x02\0\0\0" * 4


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
async def server(api):
    srv = FakeBotApiServer(api)
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture(params=["inprocess", "http"])
async def bot(request, api):
    if request.param == "inprocess":
        b = Bot(TOKEN, request=InProcessRequest(api), get_updates_request=InProcessRequest(api))
        async with b:
            yield b
    else:
        srv = FakeBotApiServer(api)
        url = await srv.start()
        b = Bot(TOKEN, base_url=url, base_file_url=url.replace("/bot", "/file/bot"))
        try:
            async with b:
                yield b
        finally:
            await srv.stop()


async def test_send_edit_and_transcript(bot, api):
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (1000, "recovery_test_bot", True)
    msg = await bot.send_message(CHAT, "<b>Hello</b> &amp; welcome", parse_mode="HTML", reply_markup=KEYBOARD)
    assert msg.text == "Hello & welcome" and msg.entities[0].type == "bold"
    assert msg.reply_markup == KEYBOARD and msg.from_user.id == 1000
    second = await bot.send_message(CHAT, "again")
    assert second.message_id == msg.message_id + 1

    edited = await bot.edit_message_text(
        "Changed", chat_id=CHAT, message_id=msg.message_id, reply_markup=KEYBOARD
    )
    assert edited.text == "Changed" and edited.edit_date is not None
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("Changed", chat_id=CHAT, message_id=msg.message_id, reply_markup=KEYBOARD)
    stripped = await bot.edit_message_reply_markup(CHAT, msg.message_id, reply_markup=None)
    assert stripped.reply_markup is None
    assert api.messages[(CHAT, msg.message_id)]["text"] == "Changed"
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=999)
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(CHAT, " ")
    with pytest.raises(BadRequest, match="(?i)can.t parse entities: Unsupported start tag"):
        await bot.send_message(CHAT, "1 <3 you", parse_mode="HTML")
    assert await bot.delete_message(CHAT, second.message_id)
    assert await bot.send_chat_action(CHAT, "typing")

    methods = [r.method for r in api.sent_to(CHAT)]
    assert methods == [
        "sendMessage",
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "deleteMessage",
        "sendChatAction",
    ]
    first = api.sent[0]
    assert first.text == "Hello & welcome" and first.params["text"].startswith("<b>")
    assert first.reply_markup["inline_keyboard"][0][0]["callback_data"] == "yes"
    assert first.token == TOKEN and TOKEN in api.tokens_seen


async def test_photo_and_document_uploads(bot, api):
    photo = await bot.send_photo(CHAT, PNG, caption="a <i>pic</i>", parse_mode="HTML", filename="pic.png")
    assert photo.caption == "a pic"
    assert (photo.photo[-1].width, photo.photo[-1].height) == (2, 3)
    assert photo.photo[-1].file_size == len(PNG)
    rec = api.sent[-1]
    assert rec.method == "sendPhoto" and rec.files["photo"].data == PNG
    assert rec.files["photo"].filename == "pic.png" and rec.files["photo"].mime_type == "image/png"

    doc = await bot.send_document(CHAT, b"report", filename="r.txt")
    assert (doc.document.file_name, doc.document.file_size) == ("r.txt", 6)
    assert api.sent[-1].files["document"].data == b"report"
    tg_file = await bot.get_file(doc.document.file_id)
    assert await tg_file.download_as_bytearray() == b"report"
    again = await bot.send_photo(CHAT, photo.photo[-1].file_id)  # re-send by file_id
    assert again.photo[-1].file_size == len(PNG)


async def test_updates_callbacks_and_offsets(bot, api):
    kb_msg = await bot.send_message(CHAT, "Pick", reply_markup=KEYBOARD)
    first = api.push_message(CHAT, "/start@recovery_test_bot hi", language_code="de")
    api.push_callback(CHAT, kb_msg.message_id, "yes")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first, first + 1]
    cmd = updates[0].message
    assert cmd.text.startswith("/start") and cmd.from_user.language_code == "de"
    assert cmd.entities[0].type == "bot_command" and cmd.entities[0].length == 24
    assert cmd.chat.type == "private" and cmd.chat.id == CHAT
    query = updates[1].callback_query
    assert query.data == "yes" and query.message.message_id == kb_msg.message_id
    assert query.message.reply_markup == KEYBOARD
    assert await bot.answer_callback_query(query.id, text="Saved")
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query.id)
    assert api.sent[-1].method == "answerCallbackQuery" and api.sent[-1].chat_id == CHAT

    # Not confirmed yet -> delivered again; offset confirms and drops.
    assert len(await bot.get_updates(timeout=0)) == 2
    assert await bot.get_updates(offset=first + 2, timeout=0) == ()
    assert api.updates == []
    api.push_message(CHAT, "one")
    api.push_message(CHAT, "two")
    limited = await bot.get_updates(limit=1, timeout=0)
    assert [u.message.text for u in limited] == ["one"]


async def test_long_polling_wakes_on_push(bot, api):
    async def push_later():
        await asyncio.sleep(0.1)
        return api.push_message(CHAT, "hello")

    started = time.monotonic()
    pusher = asyncio.create_task(push_later())
    updates = await bot.get_updates(timeout=5)
    assert [u.message.text for u in updates] == ["hello"]
    assert updates[0].update_id == await pusher
    assert time.monotonic() - started < 2
    started = time.monotonic()
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0.2) == ()
    assert time.monotonic() - started >= 0.19


async def test_injected_failures(bot, api):
    api.blocked_chats.add(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hi")
    api.blocked_chats.clear()
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 5", retry_after=5)
    with pytest.raises(RetryAfter, match=r"Retry in (5 seconds|0:00:05)"):
        await bot.send_message(CHAT, "hi")
    api.fail_next("sendMessage", 400, "Bad Request: chat not found", times=2)
    for _ in range(2):
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(CHAT, "hi")
    api.fail_all()
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_me()
    api.fail_all(enabled=False)
    assert (await bot.send_message(CHAT, "back")).text == "back"
    assert api.rate_limited_count == 1 and api.error_counts[502] == 1
    assert [r.text for r in api.sent] == ["back"]


async def test_rate_limiter(bot, api):
    api.rate_limit_per_second = 3
    for i in range(3):
        await bot.send_message(CHAT + i, "ok")
    with pytest.raises(RetryAfter, match=r"Retry in (1 seconds|0:00:01)"):
        await bot.send_message(CHAT, "too fast")
    assert await bot.send_chat_action(CHAT, "typing")  # not rate limited
    api.rate_limit_per_second = None
    api.per_chat_per_second = 1
    await bot.send_message(CHAT + 10, "ok")
    with pytest.raises(RetryAfter):
        await bot.send_message(CHAT + 10, "again")
    await bot.send_message(CHAT + 11, "other chat is fine")
    assert api.rate_limited_count == 2


async def test_handle_envelopes(api):
    assert await api.handle("nope", {}) == {"ok": False, "error_code": 404, "description": "Not Found"}
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 5", retry_after=5)
    assert await api.handle("sendMessage", {"chat_id": 1, "text": "x"}) == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 5",
        "parameters": {"retry_after": 5},
    }
    ok = await api.handle(
        "sendMessage", {"chat_id": "1", "text": "x", "reply_markup": '{"inline_keyboard": []}'}
    )
    assert ok["ok"] and ok["result"]["chat"] == {"id": 1, "type": "private", "first_name": "User1"}
    assert api.sent[-1].reply_markup == {"inline_keyboard": []}
    empty = await api.handle("sendMessage", {"chat_id": 1, "text": ""})
    assert empty["description"] == "Bad Request: message text is empty"


async def test_pushed_updates_parse_with_ptb(api):
    bot = Bot(TOKEN, request=InProcessRequest(api))
    api.push_message(CHAT, "caption", photo=True)
    api.push_message(CHAT, None, sticker=True)
    api.push_message(CHAT, None, voice=True)
    api.push_message(CHAT, None, document=("a.pdf", b"%PDF", "application/pdf"))
    api.push_message(CHAT, None, location=(52.5, 13.4))
    api.push_message(CHAT, "fixed typo", edited=True, message_id=1)
    api.push_message(
        -100, "/help", chat_type="group", user={"id": 7, "first_name": "Ann"}, reply_to_message_id=None
    )
    reply = api.push_message(CHAT, "answer", reply_to_message_id=2)
    updates = [Update.de_json(u, bot) for u in api.updates]
    m = [u.effective_message for u in updates]
    assert m[0].photo and m[0].caption == "caption"
    assert m[1].sticker and m[2].voice and m[3].document.file_name == "a.pdf"
    assert m[4].location.latitude == 52.5
    assert updates[5].edited_message.text == "fixed typo" and m[5].message_id == 1
    assert m[6].chat.type == "group" and m[6].from_user.first_name == "Ann"
    assert m[6].entities[0].type == "bot_command"
    assert m[7].reply_to_message.message_id == 2 and updates[7].update_id == reply
    assert api.push_update({"update_id": 1, "message": api.updates[0]["message"]}) > reply


async def test_wait_for_semantics(api):
    await api.handle("sendMessage", {"chat_id": 1, "text": "a"})
    await api.handle("sendMessage", {"chat_id": 1, "text": "b"})
    assert (await api.wait_for(lambda r: r.text == "b")).text == "b"
    assert (await api.wait_for(lambda r: True)).text == "a"  # earlier, still unconsumed

    async def later():
        await asyncio.sleep(0.05)
        await api.handle("sendMessage", {"chat_id": 2, "text": "c"})

    task = asyncio.create_task(later())
    assert (await api.wait_for(lambda r: r.chat_id == 2, timeout=2)).text == "c"
    await task
    with pytest.raises(TimeoutError, match="no matching record"):
        await api.wait_for(lambda r: True, timeout=0.05)


async def test_concurrent_get_updates_conflict(api):
    bot = Bot(TOKEN, request=InProcessRequest(api), get_updates_request=InProcessRequest(api))
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_polling()
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first
    assert await second == ()


async def test_ptb_application_end_to_end_inprocess(api):
    async def start(update, context):
        await update.message.reply_text("Welcome!", reply_markup=KEYBOARD)

    async def pressed(update, context):
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(f"You chose {update.callback_query.data}")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(InProcessRequest(api))
        .get_updates_request(InProcessRequest(api))
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        api.push_message(CHAT, "/start")
        welcome = await api.wait_for(lambda r: r.method == "sendMessage", timeout=3)
        assert welcome.text == "Welcome!" and welcome.reply_markup is not None
        api.push_callback(CHAT, welcome.message_id, "yes")
        edit = await api.wait_for(lambda r: r.method == "editMessageText", timeout=3)
        assert edit.text == "You chose yes"
        assert api.messages[(CHAT, welcome.message_id)]["text"] == "You chose yes"
        await app.updater.stop()
        await app.stop()
    assert api.updates == []  # cleanup call confirmed the offset


async def test_http_control_endpoints(server, api):
    root = server.base_url.removesuffix("/bot")
    bot = Bot(TOKEN, base_url=server.base_url)
    async with aiohttp.ClientSession() as http, bot:
        async with http.post(f"{root}/_test/push_message", json={"chat_id": CHAT, "text": "/start"}) as resp:
            update_id = (await resp.json())["update_id"]
        updates = await bot.get_updates(timeout=0)
        assert updates[0].update_id == update_id and updates[0].message.text == "/start"
        sent = await bot.send_message(CHAT, "hi", reply_markup=KEYBOARD)
        await bot.send_photo(CHAT, PNG)
        async with http.get(f"{root}/_test/sent", params={"since": "0"}) as resp:
            records = await resp.json()
        assert [(r["index"], r["method"]) for r in records] == [(0, "sendMessage"), (1, "sendPhoto")]
        assert records[1]["files"]["photo"]["size"] == len(PNG)
        assert records[1]["params"]["photo"]["size"] == len(PNG)
        async with http.post(
            f"{root}/_test/push_callback",
            json={"chat_id": CHAT, "message_id": sent.message_id, "data": "yes"},
        ) as resp:
            assert (await resp.json())["ok"]
        async with http.post(
            f"{root}/_test/config", json={"blocked_chats": [CHAT], "rate_limit_per_second": 100}
        ) as r:
            assert (await r.json())["blocked_chats"] == [CHAT]
        with pytest.raises(Forbidden):
            await bot.send_message(CHAT, "blocked")
        async with http.post(f"{root}/_test/config", json={"blocked_chats": [], "fail_all": True}) as resp:
            assert resp.status == 200
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(CHAT, "down")
        async with http.post(f"{root}/_test/config", json={"fail_all": False}) as resp:
            assert resp.status == 200

        async def send_later():
            await asyncio.sleep(0.05)
            await bot.send_message(CHAT, "late")

        task = asyncio.create_task(send_later())
        async with http.get(f"{root}/_test/sent", params={"since": "2", "wait": "3"}) as resp:
            assert [r["text"] for r in await resp.json()] == ["late"]
        await task
        async with http.get(f"{root}/_test/stats") as resp:
            stats = await resp.json()
        assert stats["sent"] == 3 and stats["error_counts"] == {"403": 1, "502": 1}
        assert stats["tokens_seen"] == [TOKEN] and stats["updates_pending"] == 2
        async with http.post(f"{server.base_url}{TOKEN}/getMe", data={"unused": "1"}) as resp:  # form-encoded
            assert (await resp.json())["result"]["id"] == 1000
        async with http.get(f"{server.base_url}{TOKEN}/unknownMethod") as resp:
            assert resp.status == 404 and (await resp.json())["description"] == "Not Found"


async def test_standalone_server_process():
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.devtools.fake_bot_api",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        base_url = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/bot")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base_url}{TOKEN}/getMe") as resp:
                assert (await resp.json())["result"]["username"] == "recovery_test_bot"
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0


async def test_http_long_poll_release_on_disconnect_and_stop(api):
    server = FakeBotApiServer(api)
    url = await server.start()
    async with aiohttp.ClientSession() as http:
        abandoned = asyncio.create_task(http.get(f"{url}{TOKEN}/getUpdates", params={"timeout": "30"}))
        await api.wait_polling()
        abandoned.cancel()  # client goes away -> the server-side poll is cancelled too
        for _ in range(100):
            if api.pollers_waiting == 0:
                break
            await asyncio.sleep(0.01)
        assert api.pollers_waiting == 0

        async def poll():
            async with http.get(f"{url}{TOKEN}/getUpdates", params={"timeout": "30"}) as resp:
                return await resp.json()

        pending = asyncio.create_task(poll())
        await api.wait_polling()
        started = time.monotonic()
        await server.stop()
        assert (await pending) == {"ok": True, "result": []}
        assert time.monotonic() - started < 2
