"""Delivery: a blocked bot, flood control, server errors, and exactly once with one or two dispatchers."""

from __future__ import annotations

import asyncio
import collections
import time

from bot.reminders.dispatcher import Dispatcher
from bot.reminders.limiter import SendPacer
from bot.runtime import prepare
from tests.reminders.conftest import Driver, add_patients, enrol, patient, reminders, stop, utc

ALICE, BOB = 6001, 6002
DUE = utc(2026, 11, 21, 20)  # 20:00 in Dublin, the default check-in time


async def test_a_patient_who_blocked_the_bot_is_marked_inactive_and_others_still_get_theirs(bots):
    h = await bots()
    await enrol(h, ALICE)
    await enrol(h, BOB)
    h.api.blocked_chats.add(ALICE)
    d = Driver(h)
    await d.walk(utc(2026, 11, 22, 21))
    assert d.of(BOB) == [DUE, utc(2026, 11, 22, 20)]
    assert d.of(ALICE) == []
    assert not (await patient(h, ALICE)).active
    rows = await reminders(h, ALICE, "checkin")
    assert [r.status for r in rows] == ["failed"]
    assert "blocked" in (rows[0].last_error or "")
    assert [r for r in await reminders(h, ALICE) if r.status in ("pending", "sent")] == []
    await stop(h)
    again = await bots(clock=h.clock, api=h.api)  # start-up plans only for active patients
    assert [r for r in await reminders(again, ALICE) if r.status in ("pending", "sent")] == []


async def test_retry_after_is_waited_for_and_the_reminder_arrives_once(bots):
    h = await bots()
    await enrol(h, ALICE)
    h.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    d = Driver(h)
    h.clock.advance(hours=10)
    started = time.monotonic()
    await d.run()
    assert time.monotonic() - started >= 0.95
    assert d.of(ALICE) == [DUE]
    assert h.api.error_counts[429] == 1
    assert [r.status for r in await reminders(h, ALICE, "checkin")][0] == "sent"


async def test_retry_after_several_times_in_a_row_still_delivers_once(bots):
    """Flood control may answer 429 again after the wait (other senders share the bot's limit)."""
    h = await bots()
    await enrol(h, ALICE)
    h.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=3)
    d = Driver(h)
    await d.jump(hours=10)
    assert d.of(ALICE) == [DUE]
    assert [r.status for r in await reminders(h, ALICE, "checkin")][0] == "sent"


async def test_under_a_lower_flood_limit_every_reminder_arrives_once(bots):
    """Telegram allows fewer messages than configured: the bot waits as told and loses none."""
    h = await bots()
    chats = list(range(7000, 7020))
    await add_patients(h, chats, "Europe/Dublin", "20:00")
    h.api.rate_limit_per_second = 5
    d = Driver(h)
    await d.jump(hours=10)
    sent = collections.Counter(x.chat_id for x in d.deliveries)
    assert sent == dict.fromkeys(chats, 1)
    assert h.api.rate_limited_count <= len(chats), "sends went on while Telegram said to wait"


async def test_server_errors_are_retried(bots):
    h = await bots()
    await enrol(h, ALICE)
    h.api.fail_next("sendMessage", 502, "Bad Gateway")
    h.api.fail_next("sendMessage", 500, "Internal Server Error")
    d = Driver(h)
    await d.jump(hours=10)
    assert d.of(ALICE) == [DUE]
    row = (await reminders(h, ALICE, "checkin"))[0]
    assert (row.status, row.attempts) == ("sent", 1)


async def test_a_reminder_that_keeps_failing_is_recorded_and_tomorrow_still_comes(bots):
    h = await bots()
    await enrol(h, ALICE)
    h.api.fail_next("sendMessage", 502, "Bad Gateway", times=3)
    d = Driver(h)
    await d.walk(utc(2026, 11, 22, 21), step=__import__("datetime").timedelta(hours=1))
    assert d.of(ALICE) == [utc(2026, 11, 22, 20)]
    assert [r.status for r in await reminders(h, ALICE, "checkin")] == ["failed", "sent", "pending"]


async def test_a_second_pass_sends_nothing_again(bots):
    h = await bots()
    await enrol(h, ALICE)
    h.clock.advance(hours=10)
    assert await h.bot.dispatcher.run_once() == 1
    assert await h.bot.dispatcher.run_once() == 0
    d = Driver(h)
    d.seen = 0
    d.collect()
    assert d.of(ALICE) == [DUE]


async def test_two_dispatchers_at_once_send_each_reminder_once(bots):
    h = await bots()
    chats = list(range(7100, 7140))
    await add_patients(h, chats, "Europe/Dublin", "20:00")
    other = await prepare(h.config, h.clock)  # a second instance: its own engine and pacer
    try:
        dispatchers = [h.bot.dispatcher, Dispatcher(other, h.app.bot)]
        h.clock.advance(hours=10)
        d = Driver(h)
        claimed = await asyncio.gather(*(x.run_once() for x in dispatchers * 3))
        d.collect()
    finally:
        await other.db.dispose()
    assert sum(claimed) == len(chats)
    assert collections.Counter(x.chat_id for x in d.deliveries) == dict.fromkeys(chats, 1)


async def test_the_pacer_hands_out_no_slot_while_paused():
    pacer = SendPacer(rate=50, per_chat=0)
    returned: list[float] = []

    async def take(chat: int) -> None:
        await pacer.slot(chat)
        returned.append(time.monotonic())

    tasks = [asyncio.create_task(take(chat)) for chat in range(10)]  # slots every 20 ms
    await asyncio.sleep(0.05)
    paused_at = time.monotonic()
    pacer.pause(0.3)  # slots already handed out inside the pause are taken again after it
    await asyncio.gather(*tasks)
    assert len(returned) == 10
    assert [t for t in returned if paused_at < t < paused_at + 0.3] == []


async def test_the_dispatcher_loop_sends_batch_after_batch_each_reminder_once(bots):
    h = await bots()
    h.bot.dispatcher.batch = 5  # the next batch is claimed while one is being sent
    chats = list(range(7200, 7223))
    await add_patients(h, chats, "Europe/Dublin", "20:00")
    h.clock.advance(hours=10)
    d = Driver(h)
    loop = asyncio.create_task(h.bot.dispatcher.run())
    try:
        for _ in range(200):
            rows = [r for c in chats for r in await reminders(h, c, "checkin")]
            if [r.status for r in rows].count("sent") == len(chats):
                break
            await asyncio.sleep(0.05)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
    d.collect()
    assert collections.Counter(x.chat_id for x in d.deliveries) == dict.fromkeys(chats, 1)
    assert h.bot.dispatcher.queued == 0


async def test_a_stop_mid_burst_loses_nothing_and_sends_nothing_twice(bots):
    """Stopping: what was sent is recorded, what was claimed but never tried goes out after the restart."""
    h = await bots()
    h.bot.dispatcher.batch = 5
    chats = list(range(7300, 7330))
    await add_patients(h, chats, "Europe/Dublin", "20:00")
    h.clock.advance(hours=10)
    d = Driver(h)
    loop = asyncio.create_task(h.bot.dispatcher.run())
    for _ in range(500):  # a few sent, more claimed and waiting for their slot
        if len(h.api.sent) - d.seen >= 8:
            break
        await asyncio.sleep(0.01)
    loop.cancel()
    await asyncio.gather(loop, return_exceptions=True)
    await stop(h)
    again = await bots(clock=h.clock, api=h.api)
    d.h = again
    await d.run()
    assert collections.Counter(x.chat_id for x in d.deliveries) == dict.fromkeys(chats, 1)
    rows = [r for c in chats for r in await reminders(again, c, "checkin")]
    assert collections.Counter(r.status for r in rows) == {"sent": len(chats), "pending": len(chats)}
