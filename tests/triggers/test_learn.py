"""/learn and the extra message on days 2-4: what is typical since the last use, and support when
cravings typically peak, through the real application with a manual clock."""

from __future__ import annotations

import datetime as dt

from bot.recovery.learn import first_clean_day, phase_of
from tests.checkins.helpers import checkin, settle
from tests.harness import Harness
from tests.reminders.conftest import enrol, patient, reminders, utc
from tests.triggers.test_triggers import of, started, walk

DUBLIN = "Europe/Dublin"


def test_the_phase_follows_the_withdrawal_timeline():
    days = (None, 0, 1, 2, 4, 5, 14, 15, 90, 91)
    assert [phase_of(d) for d in days] == [
        "before", "first", "first", "peak", "peak", "acute", "acute", "settling", "settling", "longer"
    ]  # fmt: skip


def test_the_first_clean_day_is_the_quit_date_or_the_day_after_the_latest_slip():
    quit_date, today = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    assert first_clean_day(quit_date, [], today) == quit_date
    assert first_clean_day(quit_date, [dt.date(2026, 10, 20)], today) == quit_date  # before quitting
    slips = [dt.date(2026, 11, 10), dt.date(2026, 11, 20)]
    assert first_clean_day(quit_date, slips, today) == dt.date(2026, 11, 21)
    assert first_clean_day(None, slips, today) is None


async def learn(h: Harness):
    h.send("/learn")
    return await h.reply()


async def test_learn_speaks_to_the_day_since_the_last_use(bots):
    h = await started(bots)  # quit "today", 21 November
    await enrol(h, h.chat_id, zone=DUBLIN)
    page = await learn(h)
    assert h.matches(page.text, "learn.title_day", day=1) and h.matches(page.text, "learn.phase.first")
    assert h.matches(page.text, "learn.red_flags", emergency="112")
    assert h.matches(page.text, "learn.not_clinician") and h.matches(page.text, "learn.tips")
    assert h.matches(page.text, "learn.peak.status_on", time="13:00")
    h.clock.advance(days=2)
    page = await learn(h)
    assert h.matches(page.text, "learn.title_day", day=3) and h.matches(page.text, "learn.phase.peak")
    h.clock.advance(days=10)
    page = await learn(h)
    assert h.matches(page.text, "learn.phase.acute") and not h.matches(page.text, "learn.peak.status_on")

    h.send("/slip")  # a slip today: the timeline starts again
    h.press(await h.answer("progress.slip.ask_when"), "Today")
    h.press(await h.answer("progress.slip.ask_detail"), "Skip")
    h.press(await h.answer("progress.slip.ask_note"), "Skip")
    await h.answer("progress.slip.done")
    page = await learn(h)
    assert h.matches(page.text, "learn.title_used_today") and h.matches(page.text, "learn.phase.first")
    h.clock.advance(days=2)
    page = await learn(h)
    assert h.matches(page.text, "learn.title_day", day=2) and h.matches(page.text, "learn.phase.peak")
    h.press(page, "Another tip")
    assert h.matches((await h.reply()).text, "learn.tips")


async def test_learn_without_a_timeline_for_other_substances_or_before_a_quit_date(bots):
    h = await started(bots)
    await enrol(h, h.chat_id, zone=DUBLIN)
    async with h.services.db.transaction() as session:
        p = await session.get(type(await patient(h, h.chat_id)), (await patient(h, h.chat_id)).id)
        p.substance, p.quit_date = "alcohol", None
    page = await learn(h)
    assert h.matches(page.text, "learn.title_before") and h.matches(page.text, "learn.general.before")
    assert not h.matches(page.text, "learn.phase.before")


async def test_learn_asks_someone_who_has_not_set_up_to_start(bots):
    h = await started(bots)
    h.send("/learn")
    await h.answer("onboarding.consent_needed")


async def test_the_checkin_reply_points_to_learn(bots):
    h = await started(bots)
    await enrol(h, h.chat_id, zone=DUBLIN)
    reply = await checkin(h)
    assert h.matches(reply.text, "checkin.reply.learn_more") and h.matches(
        reply.text, "checkin.typical.first"
    )


# -- the extra message on days 2-4 -----------------------------------------------------------------------
async def test_peak_days_get_one_extra_message_each_at_the_chosen_time(bots):
    h = await started(bots)  # quit 21 November: days 2-4 are 22-24 November
    await enrol(h, h.chat_id, zone=DUBLIN)
    sent = await walk(h, utc(2026, 11, 30))
    assert of(h, sent, "learn.peak.day2") == ["Sun 2026-11-22 13:00"]
    assert of(h, sent, "learn.peak.day3") == ["Mon 2026-11-23 13:00"]
    assert of(h, sent, "learn.peak.day4") == ["Tue 2026-11-24 13:00"]
    message = next(r for _, r in sent if h.matches(r.text or "", "learn.peak.day2"))
    assert [data for _, data in h.buttons(message)] == ["cr:start", "lr:peak:off"]


async def test_peak_messages_can_be_turned_off_from_the_message_and_moved_in_learn(bots):
    h = await started(bots)
    await enrol(h, h.chat_id, zone=DUBLIN)
    page = await learn(h)
    h.press(page, "Change the time")
    h.press(await h.answer("learn.peak.pick_time"), "18:00")
    await h.answer("learn.peak.saved_on", time="18:00")
    sent = await walk(h, utc(2026, 11, 22, 23))
    assert of(h, sent, "learn.peak.day2") == ["Sun 2026-11-22 18:00"]
    message = next(r for _, r in sent if h.matches(r.text or "", "learn.peak.day2"))
    h.press(message, "Turn these off")
    await h.answer("learn.peak.saved_off")
    await settle(h)
    sent = await walk(h, utc(2026, 11, 30))
    assert of(h, sent, "learn.peak.day3") == [] and of(h, sent, "learn.peak.day4") == []
    assert [r.kind for r in await reminders(h, h.chat_id, "peak") if r.status == "pending"] == []
    page = await learn(h)
    assert not h.matches(page.text, "learn.peak.status_off")  # day 10: no longer offered


async def test_a_forged_peak_time_is_refused(bots):
    h = await started(bots)
    await enrol(h, h.chat_id, zone=DUBLIN)
    page = await learn(h)
    h.press_data(page.message_id, "lr:peak:at:0345")
    await h.answer("common.unknown_button")
    await settle(h)
    assert (await patient(h, h.chat_id)).peak_support_time == "13:00"


async def test_a_new_quit_date_moves_the_peak_messages(bots):
    h = await started(bots)
    await enrol(h, h.chat_id, zone=DUBLIN)
    h.send("/settings")
    h.press(await h.replies_until("onboarding.summary"), "Quit date")
    await h.reply()
    h.send("2026-11-25")
    h.press(await h.replies_until("onboarding.summary"), "All good")
    await h.replies_until("onboarding.settings_saved")
    sent = await walk(h, utc(2026, 12, 1))
    assert of(h, sent, "learn.peak.day2") == ["Thu 2026-11-26 13:00"]
    assert of(h, sent, "learn.peak.day4") == ["Sat 2026-11-28 13:00"]
