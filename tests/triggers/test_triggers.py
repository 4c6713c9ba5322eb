"""/triggers: triggers with if-then plans, risky times and their reminders, through the real application.

Reminders are driven as in ``tests/reminders``: a manual clock and dispatcher passes run by the test, so
"one hour before Friday 21:00 local" is checked to the minute, across restarts and DST.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db.models import Outcome, Reminder, RiskyTime, Trigger
from bot.reminders.limiter import SendPacer
from tests.checkins.helpers import settle
from tests.harness import Harness, ManualClock
from tests.reminders.conftest import enrol, patient, stop, utc

DUBLIN = "Europe/Dublin"


# -- helpers ----------------------------------------------------------------------------------------------
async def started(bots, **kw) -> Harness:
    """A bot whose reminders are not paced in real time (pacing has tests of its own): a month of
    reminders to one chat then takes milliseconds instead of a second each."""
    api = kw.get("api")
    h = await bots(**kw)
    h.pushed_before = api.updates_pushed if api is not None else 0  # type: ignore[attr-defined]
    h.bot.dispatcher.pacer = SendPacer(1000, 0.001)
    return h


async def add_trigger(h: Harness, kind: str, text: str, plan: str | None, chat: int | None = None):
    """/triggers -> Add -> kind -> words -> plan; returns the "does it happen at a set time?" message."""
    chat = chat or h.chat_id
    h.send("/triggers", chat)
    listing = await h.reply(chat)
    h.press(listing, "Add a trigger", chat)
    h.press(await h.answer("triggers.ask_kind", chat), kind, chat)
    if kind == "Feelings":
        h.press(await h.answer("triggers.ask_feeling", chat), text, chat)
    else:
        await h.answer(f"triggers.ask_describe.{kind.lower()}", chat)
        h.send(text, chat)
    ask_plan = await h.replies_until("triggers.ask_plan", chat)
    if plan is None:
        h.press(ask_plan, "Skip", chat)
    else:
        h.send(plan, chat)
    return await h.replies_until("triggers.ask_time_question", chat)


async def weekly_time(h: Harness, question, day: str, time: str, lead: str, chat: int | None = None):
    """From "a set time?" to saved: every week, on ``day`` at ``time``, reminded ``lead`` before."""
    chat = chat or h.chat_id
    h.press(question, "Every week", chat)
    h.press(await h.answer("triggers.ask_weekday", chat), day, chat)
    await h.answer("triggers.ask_time", chat)
    h.send(time, chat)
    h.press(await h.answer("triggers.ask_lead", chat), lead, chat)
    return await h.answer("triggers.time_saved", chat)


async def run(h: Harness) -> None:
    for _ in range(20):
        if not await h.bot.dispatcher.run_once():
            return


async def next_due(h: Harness) -> dt.datetime | None:
    async with h.services.db.transaction() as session:
        return await session.scalar(
            select(Reminder.due_at).where(Reminder.status == "pending").order_by(Reminder.due_at).limit(1)
        )


async def walk(h: Harness, until: dt.datetime) -> list:
    """Moves the clock from one due reminder to the next up to ``until``, running the dispatcher at each
    (so a message is stamped with the exact time it went out); returns (clock, record) for each message
    sent meanwhile (each counts as read, so ``h.answer`` afterwards sees what comes next)."""
    seen, out = len(h.api.sent), []
    while True:
        due = await next_due(h)
        if due is None or due > until:
            break
        if due > h.clock.now():
            h.clock.advance(seconds=(due - h.clock.now()).total_seconds())
        await run(h)
        for record in h.api.sent[seen:]:
            if record.method == "sendMessage":
                out.append((h.clock.now(), record))
                await h.api.wait_for(lambda r, i=record.index: r.index == i, 1)
        seen = len(h.api.sent)
    if until > h.clock.now():
        h.clock.advance(seconds=(until - h.clock.now()).total_seconds())
    return out


def of(h: Harness, sent: list, key: str, zone: str = DUBLIN) -> list[str]:
    return [
        at.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M")
        for at, r in sent
        if h.matches(r.text or "", key)
    ]


async def rows(h: Harness, model):
    """Every row of ``model``, once the updates sent so far are handled and committed."""
    await settle(h)
    async with h.services.db.transaction() as session:
        return list((await session.scalars(select(model).order_by(model.id))).all())


# -- adding and reminding --------------------------------------------------------------------------------
async def test_weekly_risky_time_brings_the_plan_an_hour_ahead_then_asks_how_it_went(bots):
    h = await started(bots)  # Saturday 2026-11-21 10:00 UTC; Dublin is UTC+0 in winter
    await enrol(h, h.chat_id, zone=DUBLIN)
    question = await add_trigger(h, "People", "J. from the old crowd", "If J. texts, then I call my sister")
    saved = await weekly_time(h, question, "Friday", "21:00", "1 hour")
    assert "Fridays at 21:00" in saved.text

    sent = await walk(h, utc(2026, 12, 5, 6))
    assert of(h, sent, "triggers.reminder") == ["Fri 2026-11-27 20:00", "Fri 2026-12-04 20:00"]
    reminder = next(r for _, r in sent if h.matches(r.text or "", "triggers.reminder"))
    assert "J. from the old crowd" in reminder.text and "If J. texts, then I call my sister" in reminder.text
    assert [data for _, data in h.buttons(reminder)] == ["cr:tool:breathing", "cr:start"]
    assert of(h, sent, "triggers.outcome_ask") == ["Sat 2026-11-28 00:00", "Sat 2026-12-05 00:00"]

    ask = next(r for _, r in sent if h.matches(r.text or "", "triggers.outcome_ask"))
    h.press(ask, "It went fine")
    await h.replies_until("triggers.outcome_reply.fine")
    h.press_data(ask.message_id, h.buttons(ask)[0][1])  # a second press of the same answer
    await h.replies_until("triggers.outcome_already")
    assert [o.answer for o in await rows(h, Outcome)] == ["fine"]


async def test_the_list_shows_triggers_plans_and_times(bots):
    h = await started(bots)
    await enrol(h, h.chat_id, zone=DUBLIN)
    question = await add_trigger(h, "Places", "the park near the station", None)
    h.press(question, "No set time")
    await h.answer("triggers.list_header")
    question = await add_trigger(h, "Feelings", "Lonely", "If I feel lonely, then I go to my group")
    await weekly_time(h, question, "Sunday", "19:00", "30 min")
    h.send("/triggers")
    listing = await h.answer("triggers.list_header")
    assert "the park near the station" in listing.text and h.matches(listing.text, "triggers.no_plan_yet")
    assert "Lonely (Feelings)" in listing.text and "If I feel lonely, then I go to my group" in listing.text
    assert "Sundays at 19:00, reminder 30 min before" in listing.text
    assert [t.kind for t in await rows(h, Trigger)] == ["places", "feelings"]


async def test_a_one_off_time_is_reminded_once_and_a_past_one_is_refused(bots):
    h = await started(bots)  # Saturday 21 November, 10:00 in Dublin
    await enrol(h, h.chat_id, zone=DUBLIN)
    question = await add_trigger(h, "Situations", "a party", "If someone offers, then I say no and leave")
    h.press(question, "Once, on a date")
    h.press(await h.answer("triggers.ask_date"), "Today")
    await h.answer("triggers.ask_time")
    h.send("9:00")  # already past today
    h.press(await h.answer("triggers.ask_lead"), "2 hours")
    await h.answer("triggers.in_the_past")
    await h.answer("triggers.ask_date")
    h.send("2026-11-28")
    await h.answer("triggers.ask_time")
    h.send("22:00")
    h.press(await h.answer("triggers.ask_lead"), "2 hours")
    saved = await h.answer("triggers.time_saved")
    assert "Saturday 28 Nov at 22:00" in saved.text

    sent = await walk(h, utc(2026, 12, 13, 6))
    assert of(h, sent, "triggers.reminder") == ["Sat 2026-11-28 20:00"]
    assert of(h, sent, "triggers.outcome_ask") == ["Sun 2026-11-29 01:00"]
    assert [t.active for t in await rows(h, RiskyTime)] == [False]


async def test_a_restart_before_the_reminder_sends_it_exactly_once(bots):
    clock = ManualClock()
    h = await started(bots, clock=clock)
    await enrol(h, h.chat_id, zone=DUBLIN)
    await weekly_time(
        h,
        await add_trigger(h, "Times", "Friday nights", "If it's Friday, then I go to the gym"),
        "Friday",
        "21:00",
        "1 hour",
    )
    await stop(h)
    clock.advance(days=2)
    h2 = await started(bots, clock=clock, api=h.api)  # a new process on the same database
    sent = await walk(h2, utc(2026, 11, 27, 23))
    await stop(h2)
    h3 = await started(bots, clock=clock, api=h.api)  # and another, after it went out
    sent += await walk(h3, utc(2026, 11, 28, 2))
    assert of(h3, sent, "triggers.reminder") == ["Fri 2026-11-27 20:00"]
    keys = [r.key for r in await rows(h3, Reminder) if r.kind == "risky"]
    assert keys == ["risky:1:2026-11-27", "risky:1:2026-12-04"]


async def test_downtime_past_the_window_skips_the_reminder_and_plans_the_next(bots):
    clock = ManualClock()
    h = await started(bots, clock=clock)
    await enrol(h, h.chat_id, zone=DUBLIN)
    await weekly_time(h, await add_trigger(h, "Times", "Friday nights", None), "Friday", "21:00", "1 hour")
    await stop(h)
    clock._now = utc(2026, 11, 27, 23)  # down from Saturday to Friday 23:00: 3 h late
    h2 = await started(bots, clock=clock, api=h.api)
    sent = await walk(h2, utc(2026, 12, 4, 22))
    assert of(h2, sent, "triggers.reminder") == ["Fri 2026-12-04 20:00"]
    statuses = {r.key: r.status for r in await rows(h2, Reminder) if r.kind == "risky"}
    assert statuses["risky:1:2026-11-27"] == "skipped"


async def test_weekly_time_keeps_local_time_across_the_clocks_going_back(bots):
    h = await started(
        bots, clock=ManualClock(utc(2026, 10, 20, 10))
    )  # Dublin: 02:00 -> 01:00 on Sunday 25 Oct
    await enrol(h, h.chat_id, zone=DUBLIN)
    await weekly_time(
        h, await add_trigger(h, "Times", "Saturday nights", None), "Saturday", "22:00", "1 hour"
    )
    sent = await walk(h, utc(2026, 11, 2, 6))
    assert of(h, sent, "triggers.reminder") == ["Sat 2026-10-24 21:00", "Sat 2026-10-31 21:00"]
    utc_times = [at for at, r in sent if h.matches(r.text or "", "triggers.reminder")]
    assert utc_times == [utc(2026, 10, 24, 20), utc(2026, 10, 31, 21)]  # summer, then winter time


async def test_a_new_time_zone_moves_the_pending_reminder(bots):
    h = await started(bots)
    await enrol(h, h.chat_id, zone=DUBLIN)
    await weekly_time(h, await add_trigger(h, "Times", "Friday nights", None), "Friday", "21:00", "1 hour")
    h.send("/settings")
    summary = await h.replies_until("onboarding.summary")
    h.press(summary, "Time zone")
    await h.reply()
    h.send("America/New_York")
    summary = await h.replies_until("onboarding.summary")
    h.press(summary, "All good")
    await h.replies_until("onboarding.settings_saved")
    sent = await walk(h, utc(2026, 11, 28, 6))
    assert of(h, sent, "triggers.reminder", "America/New_York") == ["Fri 2026-11-27 20:00"]


async def test_removing_a_trigger_removes_its_times_and_pending_reminders(bots):
    h = await started(bots)
    await enrol(h, h.chat_id, zone=DUBLIN)
    await weekly_time(h, await add_trigger(h, "Times", "Friday nights", None), "Friday", "21:00", "1 hour")
    h.send("/triggers")
    h.press(await h.answer("triggers.list_header"), "Remove something")
    h.press(await h.answer("triggers.ask_remove"), "Friday nights")
    await h.answer("triggers.removed")
    await h.answer("triggers.empty_list")
    assert await rows(h, Trigger) == [] and await rows(h, RiskyTime) == []
    assert [r for r in await rows(h, Reminder) if r.kind in ("risky", "riskout")] == []
    sent = await walk(h, utc(2026, 11, 28, 6))
    assert of(h, sent, "triggers.reminder") == []


# -- the one-tap tool and bad input ----------------------------------------------------------------------
async def test_the_one_tap_tool_rates_the_craving_then_opens_breathing(bots):
    h = await started(bots)
    await enrol(h, h.chat_id, zone=DUBLIN)
    await weekly_time(h, await add_trigger(h, "Times", "Friday nights", None), "Friday", "21:00", "1 hour")
    sent = await walk(h, utc(2026, 11, 27, 20, 10))
    reminder = next(r for _, r in sent if h.matches(r.text or "", "triggers.reminder"))
    h.press(reminder, "Breathe with me")
    h.press(await h.answer("coping.rate_before"), "6")
    await h.answer("coping.breath_pick")


async def test_typed_text_where_buttons_are_expected_gets_a_hint_and_back_and_close_work(bots):
    h = await started(bots)
    await enrol(h, h.chat_id, zone=DUBLIN)
    h.send("/triggers")
    h.press(await h.answer("triggers.empty_list"), "Add a trigger")
    await h.answer("triggers.ask_kind")
    h.send("people I guess")
    await h.answer("triggers.hint_buttons")
    kinds = await h.answer("triggers.ask_kind")
    h.press(kinds, "Back")
    listing = await h.answer("triggers.empty_list")
    h.press(listing, "Close")
    await h.answer("triggers.closed")
    assert await rows(h, Trigger) == []


async def test_a_crisis_typed_as_a_trigger_gets_the_crisis_reply_and_is_kept(bots):
    h = await started(bots)
    await enrol(h, h.chat_id, zone=DUBLIN)
    h.send("/triggers")
    h.press(await h.answer("triggers.empty_list"), "Add a trigger")
    h.press(await h.answer("triggers.ask_kind"), "Situations")
    await h.answer("triggers.ask_describe.situations")
    h.send("I want to kill myself")
    await h.replies_until("crisis.crisis_body")
    kept = await h.replies_until("crisis.answer_kept")
    (trigger,) = await rows(h, Trigger)
    assert trigger.description == "I want to kill myself"
    h.press(kept, "Carry on where I was")
    await h.replies_until("triggers.ask_plan", trigger="I want to kill myself")


async def test_forged_or_foreign_outcome_buttons_are_refused(bots):
    h = await started(bots)
    await enrol(h, h.chat_id, zone=DUBLIN)
    await enrol(h, 7777, zone=DUBLIN)
    await weekly_time(h, await add_trigger(h, "Times", "Friday nights", None), "Friday", "21:00", "1 hour")
    sent = await walk(h, utc(2026, 11, 28, 1))
    ask = next(r for _, r in sent if h.matches(r.text or "", "triggers.outcome_ask"))
    reminder_id = h.buttons(ask)[0][1].split(":")[2]
    h.press_data(ask.message_id, f"tr:out:{reminder_id}:fine", chat_id=7777)  # someone else's
    await h.answer("common.unknown_button", 7777)
    h.press_data(ask.message_id, "tr:out:999999:used")  # an id that does not exist
    await h.answer("common.unknown_button")
    h.press_data(ask.message_id, f"tr:out:{reminder_id}:maybe")  # not an answer: no handler claims it
    await h.settle()
    assert await rows(h, Outcome) == []


async def test_export_has_the_triggers_and_delete_erases_them(bots):
    h = await started(bots)
    await enrol(h, h.chat_id, zone=DUBLIN)
    await weekly_time(
        h,
        await add_trigger(h, "People", "J.", "If J. calls, then I don't answer"),
        "Friday",
        "21:00",
        "1 hour",
    )
    h.send("/export")
    document = await h.api.wait_for(lambda r: r.method == "sendDocument", 5)
    (upload,) = document.files.values()
    data = json.loads(upload.data)
    assert data["triggers"]["triggers"][0]["plan"] == "If J. calls, then I don't answer"
    assert data["triggers"]["risky_times"][0]["weekday"] == 4
    h.send("/delete")
    h.press(await h.answer("privacy.delete_confirm"), "Yes, erase everything")
    await h.answer("privacy.deleted")
    assert await rows(h, Trigger) == [] and await rows(h, RiskyTime) == []
    assert (await patient_or_none(h)) is None


async def patient_or_none(h: Harness):
    try:
        return await patient(h, h.chat_id)
    except AssertionError:
        return None
