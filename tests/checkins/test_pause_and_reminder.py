"""/pause moves the pending check-in reminder past the pause and "resume now" brings it back; the
reminder's "Start check-in" button opens a check-in whose source is the reminder."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from bot.db.models import CheckIn, Patient, Reminder
from tests.checkins.helpers import checkin, stored, tap

UTC = dt.UTC


async def pending_checkins(h) -> list[Reminder]:
    return [r for r in await stored(h, Reminder) if r.kind == "checkin" and r.status == "pending"]


async def paused_until(h) -> dt.date | None:
    (patient,) = await stored(h, Patient)
    return patient.reminders_paused_until


async def test_pause_moves_the_next_reminder_past_the_pause_and_resume_brings_it_back(harness):
    h = harness
    await h.onboard(country="Ireland")  # 20:00 in Dublin; it is 10:00 on 21 Nov
    (reminder,) = await pending_checkins(h)
    assert reminder.due_at == dt.datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
    h.send("/pause")
    choice = await h.answer("checkin.pause.ask")
    assert h.buttons(choice) == [
        ("1 day", "ci:pause:1"),
        ("3 days", "ci:pause:3"),
        ("7 days", "ci:pause:7"),
        ("14 days", "ci:pause:14"),
    ]
    h.press(choice, "3 days")
    await h.answer("checkin.pause.done", date="2026-11-24")
    assert await paused_until(h) == dt.date(2026, 11, 24)
    (reminder,) = await pending_checkins(h)
    assert reminder.due_at == dt.datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
    assert reminder.key == "checkin:2026-11-24"

    h.clock.advance(hours=10, minutes=5)  # 20:05 on 21 Nov: nothing is due
    assert await h.bot.dispatcher.run_once() == 0

    h.send("/pause")
    paused = await h.answer("checkin.pause.paused", date="2026-11-24")
    h.press(paused, "Resume now")
    await h.answer("checkin.pause.resumed", time="20:00")
    assert await paused_until(h) is None
    (reminder,) = await pending_checkins(h)
    assert reminder.due_at == dt.datetime(2026, 11, 22, 20, 0, tzinfo=UTC)  # tonight's has passed
    h.send("/pause")
    await h.answer("checkin.pause.ask")


async def test_a_pause_after_todays_checkin_starts_tomorrow(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await checkin(h)
    h.send("/pause")
    h.press(await h.answer("checkin.pause.ask"), "1 day")
    await h.answer("checkin.pause.done", date="2026-11-23")
    (reminder,) = await pending_checkins(h)
    assert reminder.due_at == dt.datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


async def test_pause_needs_a_finished_setup(sqlite_harness):
    h = sqlite_harness
    h.send("/pause")
    await h.answer("onboarding.consent_needed")
    h.press_data(1, "ci:pause:7")
    await h.answer("onboarding.consent_needed")
    h.press_data(1, "ci:pause:5")  # not an offered length: nobody's button
    await h.settle()
    answers = [r for r in h.api.sent if r.method == "answerCallbackQuery"]
    assert h.matches(answers[-1].params.get("text", ""), "common.unknown_button")
    assert await stored(h, Patient) == []
    h.send("/start")
    await h.answer("onboarding.welcome")
    h.press(await h.answer("onboarding.privacy_notice"), "I agree")
    await h.reply()
    h.send("/pause")
    await h.answer("checkin.not_ready")


async def test_the_reminder_button_starts_a_checkin_and_no_nudge_follows_it(harness):
    h = harness
    await h.onboard()
    await h.settle()
    async with h.services.db.transaction() as session:  # 18:00, so that a nudge fits in the evening
        await session.execute(update(Patient).values(checkin_time="18:00"))
        at_six = dt.datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
        await session.execute(update(Reminder).where(Reminder.kind == "checkin").values(due_at=at_six))
    h.clock.advance(hours=8)  # 18:00 in Dublin
    await h.bot.dispatcher.run_once()
    reminder = await h.answer("checkin.reminder")
    assert h.buttons(reminder) == [("Start check-in", "ci:start")]
    h.press(reminder, "Start check-in")
    mood = await h.answer("checkin.ask.mood")
    assert h.matches(mood.text, "checkin.intro")
    tap(h, mood, "pick", "6")
    await h.answer("checkin.ask.craving")
    h.press(reminder, "Start check-in")  # pressed again: the check-in under way continues
    await h.answer("checkin.ask.craving")
    h.send("2")
    await h.answer("checkin.ask.use")
    (row,) = await stored(h, CheckIn)
    assert (row.source, row.mood, row.craving) == ("reminder", 6, 2)
    h.send("/cancel")
    await h.answer("common.cancelled")
    await checkin(h)
    h.clock.advance(hours=3)
    await h.bot.dispatcher.run_once()
    await h.settle()
    nudges = [r for r in await stored(h, Reminder) if r.kind == "nudge"]
    assert [n.status for n in nudges] == ["skipped"]  # checked in today: the nudge was not needed
    assert not [t for t in h.sent_texts() if h.matches(t, "checkin.nudge")]


async def test_an_old_resume_button_after_the_pause_ended_changes_nothing(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    h.send("/pause")
    h.press(await h.answer("checkin.pause.ask"), "1 day")
    await h.answer("checkin.pause.done", date="2026-11-22")
    h.send("/pause")
    paused = await h.answer("checkin.pause.paused", date="2026-11-22")
    h.clock.advance(days=1)  # 22 Nov: the pause is over
    h.press(paused, "Resume now")
    await h.answer("checkin.pause.not_paused")
    (reminder,) = await pending_checkins(h)
    assert reminder.due_at == dt.datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
