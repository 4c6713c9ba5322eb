"""The processor: retries a failing update, keeps it as failed after the last attempt, tells staff;
sends each update's replies after its commit, from the outbox, in order, once."""

from __future__ import annotations

import asyncio
import json
import logging

from sqlalchemy import select, text
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from bot.db.models import InboundUpdate, OutboxMessage, Patient
from bot.sending import send_text
from tests.harness import STAFF_CHAT, Harness


async def outbox_rows(h: Harness) -> list[OutboxMessage]:
    async with h.services.db.transaction() as session:
        return list((await session.scalars(select(OutboxMessage))).all())


async def test_a_failing_handler_is_retried_and_its_update_handled_once(sqlite_harness):
    h = sqlite_harness
    h.send("/start")
    await h.answer("onboarding.welcome")
    consent = await h.answer("onboarding.privacy_notice")
    h.api.fail_next("answerCallbackQuery", 502, "Bad Gateway", times=2)
    h.press(consent, "I agree")
    await h.settle()
    steps = [t for t in h.sent_texts() if h.matches(t, "onboarding.step_language")]
    assert len(steps) == 1, "the rolled-back attempts sent nothing; the third one answered once"


async def test_an_update_failing_every_attempt_is_kept_and_reported(sqlite_harness):
    h = sqlite_harness
    h.send("/start")
    await h.answer("onboarding.welcome")
    consent = await h.answer("onboarding.privacy_notice")
    h.api.fail_next("answerCallbackQuery", 502, "Bad Gateway", times=3)
    update_id = h.press(consent, "I agree")
    await h.settle()
    async with h.services.db.transaction() as session:
        row = await session.get(InboundUpdate, update_id)
    assert row is not None and row.status == "failed" and row.attempts == 3
    assert "NetworkError" in row.last_error or "Bad Gateway" in row.last_error
    report = await h.api.wait_for(lambda r: r.chat_id == STAFF_CHAT and str(update_id) in (r.text or ""))
    assert "agree" not in report.text.lower()  # no patient data in error reports
    assert not any(h.matches(t, "onboarding.step_language") for t in h.sent_texts())
    # Later updates of the same chat are still handled.
    h.send("/sos")
    await h.answer("sos.intro")


async def test_updates_of_one_chat_are_handled_in_order(sqlite_harness):
    h = sqlite_harness
    for command in ("/help", "/sos", "/privacy", "/help", "/sos"):
        h.send(command)
    await h.settle()
    keys = ["help.intro", "sos.intro", "privacy.nothing_stored", "help.intro", "sos.intro"]
    texts = h.sent_texts()
    assert len(texts) == 5 and all(h.matches(t, k) for t, k in zip(texts, keys, strict=True))
    async with h.services.db.transaction() as session:
        assert (await session.scalars(select(InboundUpdate))).all() == []
    assert await outbox_rows(h) == []


async def test_a_reply_telegram_does_not_take_waits_in_the_outbox_and_keeps_its_place(harness):
    h = harness
    h.api.fail_next("sendMessage", 502, "Bad Gateway", times=2)
    h.send("/help")
    h.send("/sos")
    await h.settle(timeout=10)
    texts = h.sent_texts()
    assert len(texts) == 2 and h.matches(texts[0], "help.intro") and h.matches(texts[1], "sos.intro")
    assert h.bot.processor.handled == 2, "the update was handled once; only its reply was tried again"
    assert await outbox_rows(h) == []


async def test_a_chat_waiting_for_telegram_does_not_hold_up_the_others(sqlite_harness):
    h = sqlite_harness
    h.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    h.send("/help")  # its reply is refused for a second
    h.send("/sos")  # same chat: must wait for /help's reply
    h.send("/sos", chat_id=6001)  # another chat: answered meanwhile
    other = await h.reply(chat_id=6001, timeout=0.9)
    assert h.matches(other.text, "sos.intro")
    assert h.sent_texts() == [], "the waiting chat got nothing yet, and nothing out of order"
    await h.settle(timeout=10)
    texts = h.sent_texts()
    assert len(texts) == 2 and h.matches(texts[0], "help.intro") and h.matches(texts[1], "sos.intro")


async def test_a_reply_to_a_patient_who_blocked_the_bot_is_dropped_and_the_chat_goes_on(
    sqlite_harness, caplog
):
    h = sqlite_harness
    h.api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    caplog.set_level(logging.INFO, logger="bot.ingest.processor")
    h.send("/help")
    h.send("/sos")
    await h.answer("sos.intro")
    await h.settle()
    assert len(h.sent_texts()) == 1
    assert await outbox_rows(h) == []
    assert any("blocked the bot" in r.getMessage() for r in caplog.records)


async def test_a_reply_telegram_refuses_for_good_is_reported_to_staff_with_the_patients_label(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    async with h.services.db.transaction() as session:
        label = (await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))).label
    h.api.fail_next("sendMessage", 400, "Bad Request: message is too long")
    h.send("/help")
    report = await h.staff_post("staff.reply_refused", label=label, error="BadRequest")
    assert label in report.text and "help" not in report.text.lower()  # who, never what
    h.send("/sos")  # the chat goes on
    await h.answer("sos.intro")
    await h.settle()
    assert await outbox_rows(h) == []


async def test_replies_committed_before_a_stop_are_sent_after_the_restart(sqlite_url, tmp_path):
    first = Harness(sqlite_url, tmp_path)
    await first.start()
    try:
        first.api.fail_all("sendMessage")  # Telegram takes no message
        first.send("/help")
        first.send("/sos")
        for _ in range(250):
            if len(await outbox_rows(first)) == 1 and await first.pending() == 1:
                break
            await asyncio.sleep(0.02)
        (row,) = await outbox_rows(first)
        assert row.chat_id == first.chat_id and json.loads(row.body)["text"].startswith("/") is False
        assert await first.pending() == 1, "/sos is not handled before /help's reply went out"
        async with first.services.db.transaction() as session:
            raw = (await session.execute(text("SELECT body FROM outbox"))).scalar_one()
        assert b'"text"' not in bytes(raw), "the queued reply is encrypted at rest"
    finally:
        await first.stop()
    second = Harness(sqlite_url, tmp_path)
    await second.start()
    try:
        await second.settle(timeout=10)
        texts = second.sent_texts(first.chat_id)
        assert (
            len(texts) == 2
            and second.matches(texts[0], "help.intro")
            and second.matches(texts[1], "sos.intro")
        )
    finally:
        await second.stop()


async def test_a_handler_that_sends_directly_after_queuing_a_reply_keeps_the_order(sqlite_harness):
    h = sqlite_harness

    async def two_messages(update, ctx):
        await send_text(ctx.bot, update.effective_chat.id, "first, queued until the commit")
        await ctx.bot.send_message(update.effective_chat.id, "second, sent at once")
        raise ApplicationHandlerStop

    h.app.add_handler(MessageHandler(filters.Regex("^order test$"), two_messages), group=-1)
    h.send("order test")
    await h.settle()
    assert h.sent_texts() == ["first, queued until the commit", "second, sent at once"]


async def test_after_a_partly_delivered_update_only_what_was_left_is_sent(sqlite_harness):
    h = sqlite_harness
    original = h.api.handle

    async def second_fails_once(method, params=None, **kw):
        if method == "sendMessage" and (params or {}).get("text") == "second" and not failed:
            failed.append(True)
            h.api.fail_next("sendMessage", 502, "Bad Gateway")
        return await original(method, params, **kw)

    failed: list[bool] = []
    h.api.handle = second_fails_once

    async def two_replies(update, ctx):
        await send_text(ctx.bot, update.effective_chat.id, "first")
        await send_text(ctx.bot, update.effective_chat.id, "second")
        raise ApplicationHandlerStop

    h.app.add_handler(MessageHandler(filters.Regex("^two replies$"), two_replies), group=-1)
    h.send("two replies")
    h.send("/sos")
    await h.settle(timeout=10)
    texts = h.sent_texts()
    assert failed and texts[:2] == ["first", "second"] and h.matches(texts[2], "sos.intro")
    assert len(texts) == 3, "the reply that went through is not sent again"
