"""Bad input: each gets a clear, kind reply or is ignored as a person would expect; nothing crashes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db.models import InboundUpdate

MEDIA = [
    ({"photo": True}, "common.photo"),
    ({"sticker": True}, "common.sticker"),
    ({"voice": True}, "common.voice"),
    ({"document": True}, "common.document"),
    ({"location": (53.3, -6.2)}, "common.location"),
]


@pytest.mark.parametrize(("kwargs", "key"), MEDIA)
async def test_media_gets_a_kind_reply(sqlite_harness, kwargs, key):
    sqlite_harness.send(None, **kwargs)
    await sqlite_harness.answer(key)


async def test_very_long_text_emoji_only_and_invisible_characters(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    h.send("a" * 5000)
    await h.answer("common.too_long")
    h.send("🙂🙂🙂")
    await h.answer("common.emoji_only")
    h.send("\u200b\u200f\u202e")
    await h.answer("common.emoji_only")
    h.send("/settings")
    summary = await h.answer("onboarding.summary")
    h.press(summary, "Check-in time")
    await h.answer("onboarding.step_checkin")
    h.send("\u200f21:30\u200b")  # right-to-left mark and zero-width space around a valid time
    await h.answer("onboarding.summary")


async def test_right_to_left_text_is_answered(sqlite_harness):
    sqlite_harness.send("مرحبا كيف حالك")
    await sqlite_harness.answer("common.need_start")


async def test_edited_messages_are_ignored_unless_risky(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    h.send("hello")
    await h.answer("common.free_text_default")
    h.send("hello again", edited=True)
    await h.settle()
    before = len(h.sent_texts())
    h.send("hello, edited once more", edited=True)
    await h.settle()
    assert len(h.sent_texts()) == before


async def test_group_messages_get_pointer_to_private_chat_only_for_commands(sqlite_harness):
    h = sqlite_harness
    h.send("hello everyone", chat_id=-100123, chat_type="supergroup")
    await h.settle()
    assert h.sent_texts(-100123) == []
    h.send("/start", chat_id=-100123, chat_type="supergroup")
    await h.answer("common.group_chat", chat_id=-100123)


async def test_unknown_command_and_forged_buttons(sqlite_harness):
    h = sqlite_harness
    h.send("/frobnicate")
    await h.answer("common.unknown_command")
    h.press_data(1, "not-a-real-button")
    h.press_data(1, "fl:1:pick:GB")  # no patient, no flow
    await h.settle()
    answers = [r for r in h.api.sent if r.method == "answerCallbackQuery"]
    assert len(answers) == 2


async def test_nothing_stays_pending_after_bad_input(sqlite_harness):
    h = sqlite_harness
    for kwargs, _ in MEDIA:
        h.send(None, **kwargs)
    h.send("x" * 10_000)
    h.send("")
    await h.settle()
    async with h.services.db.transaction() as session:
        assert (await session.scalars(select(InboundUpdate))).all() == []
