"""The processor: retries a failing update, keeps it as failed after the last attempt, tells staff."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import InboundUpdate
from tests.harness import STAFF_CHAT


async def test_a_failing_send_is_retried_and_handled_once(sqlite_harness):
    h = sqlite_harness
    h.api.fail_next("sendMessage", 502, "Bad Gateway", times=2)
    h.send("/help")
    await h.answer("help.intro")
    await h.settle()
    assert len([t for t in h.sent_texts() if h.matches(t, "help.intro")]) == 1


async def test_an_update_failing_every_attempt_is_kept_and_reported(sqlite_harness):
    h = sqlite_harness
    h.api.fail_next("sendMessage", 502, "Bad Gateway", times=3)
    update_id = h.send("/help")
    await h.settle()
    async with h.services.db.transaction() as session:
        row = await session.get(InboundUpdate, update_id)
    assert row is not None and row.status == "failed" and row.attempts == 3
    assert "NetworkError" in row.last_error or "Bad Gateway" in row.last_error
    report = await h.api.wait_for(lambda r: r.chat_id == STAFF_CHAT and str(update_id) in (r.text or ""))
    assert "help" not in report.text.lower()  # no patient text in error reports
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
