"""The real bot process answers a crisis with the helplines within a second and alerts the staff group."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import Patient

pytestmark = pytest.mark.e2e

STAFF_CHAT = -100777


async def test_crisis_reply_within_a_second_and_flag_in_staff_group(api, bot, content):
    bot.env["STAFF_CHAT_ID"] = str(STAFF_CHAT)
    await bot.start()
    me = Patient(api, content, chat_id=7301)
    me.send("/start")
    await me.answer("onboarding.welcome")
    consent = await me.answer("onboarding.privacy_notice")
    me.press(consent, "I agree")
    await me.reply()  # the first set-up question

    started = time.monotonic()
    me.send("I can't do this anymore, I want to kill myself tonight")
    reply = await me.answer("crisis.crisis_body")
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"crisis reply took {elapsed:.3f}s"
    assert "999" in reply.text or "112" in reply.text  # the emergency number of the patient's country
    assert "116 123" in reply.text  # a helpline (Samaritans, United Kingdom by default)

    post = await api.wait_for(lambda r: r.chat_id == STAFF_CHAT and "flag #" in (r.text or ""), timeout=10)
    assert "CRISIS" in post.text and "P-" in post.text
    data = [b.get("callback_data") for row in post.reply_markup["inline_keyboard"] for b in row]
    assert any(d and d.startswith("fg:ack:") for d in data)
    print(f"crisis reply after {elapsed * 1000:.0f} ms")
