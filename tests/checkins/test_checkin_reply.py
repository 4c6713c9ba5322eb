"""After the check-in: the day of recovery and what is typical for it, the trend against recent days,
help with a strong craving; red-flag answers flagged for staff, with a "get medical help now" reply."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select, update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.checkins.reply import handles_command, recovery_day, trend_key, typical_key
from bot.db.models import CheckIn, Flag, FlagMessage, Patient, Slip
from bot.safety.review import Priority
from tests.checkins.helpers import answer_until_symptoms, checkin, flow_state, open_checkin, stored, tap, tick

CRAVING_OFFERS = ("checkin.reply.craving_tools", "checkin.reply.craving_plan", "checkin.reply.craving_sos")


async def set_patient(h, **values) -> None:
    await h.settle()
    async with h.services.db.transaction() as session:
        await session.execute(update(Patient).values(**values))


def offers_help(h, text: str) -> bool:
    return any(h.matches(text, key) for key in CRAVING_OFFERS)


# -- red flags -------------------------------------------------------------------------------------------
async def red_flag_checkin(h, *symptoms: str):
    record = await tick(h, await answer_until_symptoms(h), *symptoms)
    tap(h, record, "done")
    return await h.answer("checkin.medical_now")


async def test_racing_heart_with_breathlessness_is_an_emergency(harness):
    h = harness
    await h.onboard(country="Ireland")
    reply = await red_flag_checkin(h, "racing_heart", "breathless", "anxiety")
    assert "112" in reply.text.splitlines()[0]  # the emergency number of the patient's country first
    assert h.matches(reply.text, "checkin.saved")
    (flag,) = await stored(h, Flag)
    assert (flag.priority, flag.source) == (Priority.EMERGENCY, "checkin")
    assert "Racing heart, Short of breath" in flag.reason and "Anxiety" not in flag.reason
    post = await h.staff_post("staff.flag")
    assert "EMERGENCY" in post.text and "check-in answer" in post.text
    (row,) = await stored(h, CheckIn)
    assert row.symptoms == ["anxiety", "racing_heart", "breathless"] and row.completed_at is not None
    assert await flow_state(h) is None  # no note question after "get help now"


async def test_confusion_or_hallucinations_are_a_crisis_with_the_countrys_number(harness):
    h = harness
    await h.onboard(country="United Kingdom")
    reply = await red_flag_checkin(h, "hallucinations")
    assert "999" in reply.text.splitlines()[0]
    (flag,) = await stored(h, Flag)
    assert flag.priority == Priority.CRISIS and "Seeing or hearing things" in flag.reason


async def test_chest_pain_alone_is_an_emergency(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await red_flag_checkin(h, "chest_pain")
    (flag,) = await stored(h, Flag)
    assert flag.priority == Priority.EMERGENCY


async def test_racing_heart_alone_is_not_a_red_flag(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    record = await tick(h, await answer_until_symptoms(h), "racing_heart", "sweating")
    tap(h, record, "done")
    await h.answer("checkin.ask.note")
    assert await stored(h, Flag) == []


async def test_use_with_a_strong_craving_is_a_concern_and_a_slip(harness):
    h = harness
    await h.onboard()
    reply = await checkin(h, craving=8, used=True, detail="some, not much")
    assert h.matches(reply.text, "checkin.reply.used")
    assert offers_help(h, reply.text) and h.matches(reply.text, "checkin.reply.team_told")
    (flag,) = await stored(h, Flag)
    assert (flag.priority, flag.source) == (Priority.CONCERN, "checkin") and "8/10" in flag.reason
    (slip,) = await stored(h, Slip)
    assert (slip.source, slip.detail) == ("checkin", "some, not much")


async def test_use_with_a_lower_craving_is_a_slip_without_a_flag(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    reply = await checkin(h, craving=6, used=True)
    assert h.matches(reply.text, "checkin.reply.used") and not offers_help(h, reply.text)
    assert not h.matches(reply.text, "checkin.reply.team_told")
    assert await stored(h, Flag) == []
    (slip,) = await stored(h, Slip)
    assert slip.detail is None


async def test_a_very_low_mood_is_flagged_once_even_after_back(harness):
    h = harness
    await h.onboard()
    tap(h, await open_checkin(h), "pick", "1")
    tap(h, await h.answer("checkin.ask.craving"), "back")
    tap(h, await h.answer("checkin.ask.mood"), "pick", "2")
    await h.answer("checkin.ask.craving")
    (flag,) = await stored(h, Flag)
    assert (flag.priority, flag.reason) == (Priority.CONCERN, "Mood 1/10 in the check-in.")
    async with h.services.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(FlagMessage)) == 0
    h.send("/cancel")
    await h.answer("common.cancelled")
    reply = await checkin(h, mood=2)
    assert h.matches(reply.text, "checkin.reply.low_mood")
    assert h.matches(reply.text, "checkin.reply.team_told")
    reply = await checkin(h, mood=3)
    assert not h.matches(reply.text, "checkin.reply.low_mood")
    assert len(await stored(h, Flag)) == 1  # the second low mood went to the open flag's thread


# -- help with a strong craving --------------------------------------------------------------------
def remove_handlers(app, claims) -> list:
    """Takes out the handlers for which ``claims(handler)`` is true; returns them."""
    removed = []
    for group, handlers in list(app.handlers.items()):
        for handler in [h for h in handlers if claims(h)]:
            app.remove_handler(handler, group)
            removed.append(handler)
    return removed


async def test_a_strong_craving_offers_only_the_help_this_bot_has(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    craving_tools = remove_handlers(
        h.app, lambda x: isinstance(x, CallbackQueryHandler) and handles_callback_of(x, "cr:start")
    )
    has_plan = handles_command(h.app, "safetyplan")
    plan = "checkin.reply.craving_plan" if has_plan else "checkin.reply.craving_sos"
    reply = await checkin(h, craving=7)
    assert h.matches(reply.text, plan) and h.buttons(reply) == []
    remove_handlers(h.app, lambda x: isinstance(x, CommandHandler) and "safetyplan" in x.commands)
    reply = await checkin(h, craving=8)
    assert h.matches(reply.text, "checkin.reply.craving_sos") and h.buttons(reply) == []

    async def answer(update, ctx) -> None:
        await update.callback_query.answer()

    bare = CallbackQueryHandler(answer, pattern=r"^cr:start$")
    h.app.add_handler(bare)
    reply = await checkin(h, craving=9)
    assert h.matches(reply.text, "checkin.reply.craving_tools")
    assert h.buttons(reply) == [("I'm craving", "cr:start")]
    h.app.remove_handler(bare)
    h.app.add_handler(CallbackQueryHandler(answer, pattern=r"^cr:start(?::(10|[0-9]))?$"))
    reply = await checkin(h, craving=10)
    assert h.buttons(reply) == [("I'm craving", "cr:start:10")]  # the tools need not ask again
    reply = await checkin(h, craving=6)
    assert not offers_help(h, reply.text) and h.buttons(reply) == []
    assert all(handles_callback_of(x, "cr:start:8") for x in craving_tools)  # the real tools take a score


def handles_callback_of(handler, data: str) -> bool:
    return isinstance(handler.pattern, re.Pattern) and bool(handler.pattern.match(data))


# -- the day of recovery and the trend -----------------------------------------------------------------
async def test_day_of_recovery_and_what_is_typical_for_it(sqlite_harness):
    h = sqlite_harness
    await h.onboard()  # quit "today": 21 Nov is day 1
    reply = await checkin(h)
    assert h.matches(reply.text, "checkin.reply.day", day=1)
    assert h.matches(reply.text, "checkin.typical.first")
    for days, day, key in ((2, 3, "peak"), (7, 10, "acute"), (10, 20, "later")):
        h.clock.advance(days=days)
        reply = await checkin(h)
        assert h.matches(reply.text, "checkin.reply.day", day=day), reply.text
        assert h.matches(reply.text, f"checkin.typical.{key}"), reply.text


async def test_no_day_line_before_the_quit_date_and_no_timeline_for_other_substances(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await set_patient(h, quit_date=None)
    reply = await checkin(h)
    assert not h.matches(reply.text, "checkin.reply.day")  # "not yet"
    await set_patient(h, quit_date=dt.date(2026, 12, 1))
    reply = await checkin(h)
    assert not h.matches(reply.text, "checkin.reply.day")  # a quit date still ahead
    await set_patient(h, quit_date=dt.date(2026, 11, 19), substance="alcohol")
    reply = await checkin(h)
    assert h.matches(reply.text, "checkin.reply.day", day=3)
    assert not any(h.matches(reply.text, f"checkin.typical.{k}") for k in ("first", "peak", "acute", "later"))


async def test_trend_against_the_recent_checkins(harness):
    h = harness
    await h.onboard()
    reply = await checkin(h, mood=4, craving=6)
    assert h.matches(reply.text, "checkin.trend.first")
    h.clock.advance(days=1)
    reply = await checkin(h, mood=4, craving=6)
    assert h.matches(reply.text, "checkin.trend.mood_same", average=4)
    assert h.matches(reply.text, "checkin.trend.craving_same", average=6)
    h.clock.advance(days=1)
    reply = await checkin(h, mood=8, craving=2)
    assert h.matches(reply.text, "checkin.trend.mood_better", average=4)
    assert h.matches(reply.text, "checkin.trend.craving_better", average=6)
    h.clock.advance(days=1)
    reply = await checkin(h, mood=3, craving=6)  # means 5.33 and 4.67
    assert h.matches(reply.text, "checkin.trend.mood_harder", average=5)
    assert h.matches(reply.text, "checkin.trend.craving_harder", average=5)


async def test_the_trend_uses_the_last_seven_completed_checkins_only(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await checkin(h, craving=9)  # the oldest: left out once seven newer ones exist
    for _ in range(7):
        h.clock.advance(hours=1)
        await checkin(h, craving=1)
    tap(h, await open_checkin(h), "pick", "5")  # an unfinished check-in does not count either
    tap(h, await h.answer("checkin.ask.craving"), "pick", "10")
    await h.answer("checkin.ask.use")
    h.send("/cancel")
    await h.answer("common.cancelled")
    reply = await checkin(h, craving=1)
    assert h.matches(reply.text, "checkin.trend.craving_same", average=1)


def test_recovery_day_counts_the_quit_date_as_day_one():
    quit_date = dt.date(2026, 11, 21)
    assert recovery_day(quit_date, quit_date) == 1
    assert recovery_day(quit_date, dt.date(2026, 11, 24)) == 4
    assert recovery_day(None, quit_date) is None
    assert recovery_day(quit_date, dt.date(2026, 11, 20)) is None


def test_typical_for_the_day_follows_the_withdrawal_timeline():
    keys = [typical_key(day).rsplit(".", 1)[1] for day in (1, 2, 4, 5, 14, 15, 400)]
    assert keys == ["first", "peak", "peak", "acute", "acute", "later", "later"]


def test_trend_words():
    assert trend_key("mood", 6, 5.0) == "checkin.trend.mood_better"
    assert trend_key("mood", 5, 5.9) == "checkin.trend.mood_same"
    assert trend_key("mood", 4, 5.0) == "checkin.trend.mood_harder"
    assert trend_key("craving", 4, 5.0) == "checkin.trend.craving_better"
    assert trend_key("craving", 6, 5.0) == "checkin.trend.craving_harder"
    assert trend_key("craving", 5, 4.1) == "checkin.trend.craving_same"
