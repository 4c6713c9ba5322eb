"""The update store on its fast path: fewer statements, payloads handed over in memory, same guarantees."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

from bot.app import build_application
from bot.devtools.fake_bot_api import FakeBotApi
from bot.devtools.inprocess_request import InProcessRequest
from bot.ingest import handoff, store
from bot.ingest.poller import Poller
from bot.runtime import prepare
from tests.harness import ManualClock, make_config

NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)


def _message(update_id: int, chat_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Pat"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Pat", "language_code": "en"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}] if text[0] == "/" else [],
        },
    }


async def test_the_last_update_id_only_moves_forward(db_url: str, tmp_path: Path) -> None:
    services = await prepare(make_config(db_url, tmp_path))
    async with services.db.transaction() as session:
        assert await store.store_batch(session, [_message(10, 1, "a"), _message(12, 2, "b")], NOW) == 12
    async with services.db.transaction() as session:  # an older batch again (duplicates ignored)
        assert await store.store_batch(session, [_message(10, 1, "a")], NOW) == 12
    async with services.db.transaction() as session:
        assert await store.store_batch(session, [_message(13, 1, "c")], NOW) == 13
    async with services.db.transaction() as session:
        assert await store.last_update_id(session) == 13
        heads = await store.pending_heads(session, 10)
        assert [(h.update_id, h.chat_id, h.attempts) for h in heads] == [(10, 1, 0), (12, 2, 0), (13, 1, 0)]
        payloads = await store.payloads(session, [12, 13])
        assert json.loads(payloads[12]) == _message(12, 2, "b") and set(payloads) == {12, 13}
        await store.mark_done(session, 12)
    async with services.db.transaction() as session:
        assert [h.update_id for h in await store.pending_heads(session, 10)] == [10, 13]
    await services.db.dispose()


async def test_pending_heads_leave_out_chats_waiting_for_their_replies(db_url: str, tmp_path: Path) -> None:
    services = await prepare(make_config(db_url, tmp_path))
    chatless = {"update_id": 22, "poll": {"id": "1", "question": "?", "options": [], "total_voter_count": 0}}
    async with services.db.transaction() as session:
        await store.store_batch(session, [_message(20, 1, "a"), _message(21, 2, "b"), chatless], NOW)
    async with services.db.transaction() as session:
        heads = [h.update_id for h in await store.pending_heads(session, 10, skip_chats=[2])]
        assert heads == [20, 22]
        heads = [h.update_id for h in await store.pending_heads(session, 10, skip_chats=[1, store.NO_CHAT])]
        assert heads == [21], "an update without a chat counts as chat 0"
    await services.db.dispose()


async def test_the_poller_stores_updates_as_telegram_sent_them_and_hands_them_over(
    sqlite_url: str, tmp_path: Path
) -> None:
    services = await prepare(make_config(sqlite_url, tmp_path), ManualClock())
    api = FakeBotApi()
    app = build_application(services, request=InProcessRequest(api), updates_request=InProcessRequest(api))
    await app.initialize()
    stored_calls: list[int] = []
    poller = Poller(
        app.bot,
        services.db,
        services.clock,
        on_stored=lambda: stored_calls.append(1),
        fallback=None,
        timeout=0,
    )
    first = api.push_message(501, "/help")
    second = api.push_message(502, "hello")
    sent = copy.deepcopy(api.updates)
    assert await poller.poll_once() == 0.0
    assert stored_calls == [1] and poller.stored == 2
    async with services.db.transaction() as session:
        payloads = await store.payloads(session, [first, second])
    assert [json.loads(payloads[u]) for u in (first, second)] == sent
    held = handoff.for_database(services.db)
    assert held.take(first) == sent[0] and held.take(second) == sent[1]
    await app.shutdown()
    await services.db.dispose()


async def test_updates_not_handed_over_are_read_back_from_the_store(harness) -> None:
    """After a restart (or a requeue), the processor decrypts the stored payload as before."""
    h = harness
    async with h.services.db.transaction() as session:
        await store.store_batch(session, [_message(900_001, h.chat_id, "/help")], NOW)
    h.bot.processor.wake.set()
    await h.answer("help.intro")
    await h.settle()
    assert len(handoff.for_database(h.services.db)) == 0


async def test_handed_over_updates_are_handled_once_in_order_and_not_kept(harness) -> None:
    h = harness
    for command in ("/help", "/sos", "/help"):
        h.send(command)
    h.send("/sos", chat_id=h.chat_id + 1)
    await h.settle()
    texts = h.sent_texts()
    keys = ["help.intro", "sos.intro", "help.intro"]
    assert len(texts) == 3 and all(h.matches(t, k) for t, k in zip(texts, keys, strict=True))
    assert len(h.sent_texts(h.chat_id + 1)) == 1
    assert len(handoff.for_database(h.services.db)) == 0
    assert await h.pending() == 0


def test_the_handoff_forgets_what_can_no_longer_be_pending() -> None:
    held = handoff.Handoff(limit=3)
    held.put((u, {"update_id": u}) for u in (1, 2, 3, 4))
    assert len(held) == 3 and 4 not in held  # full: the store has the rest
    held.forget_below(3)
    assert 1 not in held and 2 not in held and held.take(3) == {"update_id": 3}
