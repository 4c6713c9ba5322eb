"""Reminders that arrive once, on time, at local time: time zones, DST, settings, restarts, downtime.

Each test moves a manual clock and runs the dispatcher's passes itself (see ``conftest.py``); a delivery
is stamped with the clock time of the pass that sent it, so "at 20:00 local" is checked exactly.
"""

from __future__ import annotations

import datetime as dt

from bot.checkins.schedule import replan
from bot.repos import reminders as repo
from tests.harness import ManualClock
from tests.reminders.conftest import (
    Driver,
    change_setting,
    checked_in,
    enrol,
    missed_day_events,
    patient,
    reminders,
    stop,
    utc,
)

NY, KOLKATA, DUBLIN = 6001, 6002, 6003


# -- local time -------------------------------------------------------------------------------------
async def test_each_patient_is_reminded_at_their_own_local_time(bots):
    h = await bots()  # 2026-11-21 10:00 UTC
    await enrol(h, NY, country="United States", zone="America/New_York")
    await enrol(h, KOLKATA, country="India", zone="Asia/Kolkata")
    await enrol(h, DUBLIN, country="Ireland", zone="Europe/Dublin")
    d = Driver(h, real_pacing=False)
    await d.walk(utc(2026, 11, 23, 6))
    assert d.local(NY, "America/New_York") == ["2026-11-21 20:00", "2026-11-22 20:00"]
    assert d.local(KOLKATA, "Asia/Kolkata") == ["2026-11-21 20:00", "2026-11-22 20:00"]
    assert d.local(DUBLIN, "Europe/Dublin") == ["2026-11-21 20:00", "2026-11-22 20:00"]
    assert d.of(KOLKATA)[0] == utc(2026, 11, 21, 14, 30) and d.of(NY)[0] == utc(2026, 11, 22, 1)


async def test_spring_forward_keeps_20_00_local_and_moves_a_time_in_the_skipped_hour(bots):
    h = await bots(clock=ManualClock(utc(2027, 3, 26, 10)))  # Dublin: 01:00 -> 02:00 on 28 March
    await enrol(h, DUBLIN, zone="Europe/Dublin")
    await enrol(h, KOLKATA, zone="Europe/Dublin", time="01:30")
    d = Driver(h, real_pacing=False)
    await d.walk(utc(2027, 3, 30, 6))
    assert d.local(DUBLIN, "Europe/Dublin") == [
        "2027-03-26 20:00",
        "2027-03-27 20:00",
        "2027-03-28 20:00",  # the change day: 19:00 UTC
        "2027-03-29 20:00",
    ]
    assert d.of(DUBLIN)[2] == utc(2027, 3, 28, 19)
    # 01:30 does not exist on the 28th: it comes once, at 02:30, then back to 01:30.
    assert d.local(KOLKATA, "Europe/Dublin") == [
        "2027-03-27 01:30",
        "2027-03-28 02:30",
        "2027-03-29 01:30",
        "2027-03-30 01:30",
    ]


async def test_fall_back_keeps_20_00_local_and_an_hour_that_happens_twice_reminds_once(bots):
    h = await bots(clock=ManualClock(utc(2026, 10, 23, 10)))  # Dublin: 02:00 -> 01:00 on 25 October
    await enrol(h, DUBLIN, zone="Europe/Dublin")
    await enrol(h, KOLKATA, zone="Europe/Dublin", time="01:30")
    d = Driver(h, real_pacing=False)
    await d.walk(utc(2026, 10, 27, 6))
    assert d.local(DUBLIN, "Europe/Dublin") == [
        "2026-10-23 20:00",
        "2026-10-24 20:00",
        "2026-10-25 20:00",  # the change day: 20:00 UTC, an hour later in UTC than the day before
        "2026-10-26 20:00",
    ]
    assert d.of(DUBLIN)[1:3] == [utc(2026, 10, 24, 19), utc(2026, 10, 25, 20)]
    # 01:30 happens twice on the 25th: one reminder, at the first one (00:30 UTC).
    assert d.of(KOLKATA) == [
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 26, 1, 30),
        utc(2026, 10, 27, 1, 30),
    ]


# -- settings -----------------------------------------------------------------------------------------
async def test_a_new_checkin_time_moves_the_pending_reminder(bots):
    h = await bots()
    await enrol(h, DUBLIN)
    await change_setting(h, DUBLIN, "Check-in time", "21:30")
    assert [r.due_at for r in await reminders(h, DUBLIN, "checkin")] == [utc(2026, 11, 21, 21, 30)]
    d = Driver(h, real_pacing=False)
    await d.walk(utc(2026, 11, 22, 23))
    assert d.local(DUBLIN, "Europe/Dublin") == ["2026-11-21 21:30", "2026-11-22 21:30"]


async def test_a_later_checkin_time_after_todays_reminder_gives_no_second_one_today(bots):
    h = await bots()
    await enrol(h, DUBLIN)
    d = Driver(h, real_pacing=False)
    await d.walk(utc(2026, 11, 21, 20, 30))
    await change_setting(h, DUBLIN, "Check-in time", "22:00")
    await d.walk(utc(2026, 11, 22, 23))
    assert d.local(DUBLIN, "Europe/Dublin") == ["2026-11-21 20:00", "2026-11-22 22:00"]


async def test_a_new_time_zone_moves_the_pending_reminder(bots):
    h = await bots()
    await enrol(h, DUBLIN)
    await change_setting(h, DUBLIN, "Time zone", "Asia/Kolkata")  # 15:30 there: 20:00 still today
    d = Driver(h, real_pacing=False)
    await d.walk(utc(2026, 11, 22, 23))
    assert d.of(DUBLIN) == [utc(2026, 11, 21, 14, 30), utc(2026, 11, 22, 14, 30)]


async def test_a_time_zone_change_after_todays_reminder_gives_no_second_one_that_day(bots):
    h = await bots()
    await enrol(h, DUBLIN)
    d = Driver(h, real_pacing=False)
    await d.walk(utc(2026, 11, 21, 20, 10))
    # 15:10 in New York: 20:00 there is still ahead on the same local date, already reminded.
    await change_setting(h, DUBLIN, "Time zone", "America/New_York")
    await d.walk(utc(2026, 11, 23, 3))
    assert d.of(DUBLIN) == [utc(2026, 11, 21, 20), utc(2026, 11, 23, 1)]
    assert d.local(DUBLIN, "America/New_York")[1] == "2026-11-22 20:00"


# -- restarts -------------------------------------------------------------------------------------------
async def test_a_restart_before_the_reminder_sends_it_once(bots):
    first = await bots()
    await enrol(first, DUBLIN)
    await stop(first)
    second = await bots(clock=first.clock, api=first.api)
    assert len([r for r in await reminders(second, DUBLIN, "checkin") if r.status == "pending"]) == 1
    d = Driver(second)
    await d.walk(utc(2026, 11, 21, 21))
    await stop(second)
    third = await bots(clock=first.clock, api=first.api)
    d.h = third
    await d.walk(utc(2026, 11, 22, 21))
    assert d.of(DUBLIN) == [utc(2026, 11, 21, 20), utc(2026, 11, 22, 20)]
    assert [r.status for r in await reminders(third, DUBLIN, "checkin")] == ["sent", "sent", "pending"]


async def test_a_reminder_left_being_sent_by_a_crash_is_unconfirmed_not_sent_again(bots):
    first = await bots()
    await enrol(first, DUBLIN)
    first.clock.advance(hours=10)  # 20:00: due
    async with first.services.db.transaction() as session:  # a pass claims it, then the process dies
        (claimed,) = await repo.claim_due(session, first.clock.now(), 500)
    await stop(first)
    second = await bots(clock=first.clock, api=first.api)
    d = Driver(second)
    await d.walk(utc(2026, 11, 22, 21))
    assert d.of(DUBLIN) == [utc(2026, 11, 22, 20)]
    rows = await reminders(second, DUBLIN, "checkin")
    assert [(r.id == claimed.id, r.status) for r in rows] == [
        (True, "unconfirmed"),
        (False, "sent"),
        (False, "pending"),
    ]


# -- downtime -------------------------------------------------------------------------------------------
async def test_an_hour_of_downtime_sends_the_reminder_late(bots):
    h = await bots()
    await enrol(h, DUBLIN)
    d = Driver(h, real_pacing=False)
    await d.jump(hours=11)  # 21:00, an hour after it was due
    assert d.of(DUBLIN) == [utc(2026, 11, 21, 21)]
    (sent, upcoming) = await reminders(h, DUBLIN, "checkin")
    assert (sent.status, sent.sent_at, upcoming.due_at) == (
        "sent",
        utc(2026, 11, 21, 21),
        utc(2026, 11, 22, 20),
    )


async def test_downtime_beyond_the_late_window_skips_the_reminder_and_plans_the_next_day(bots):
    h = await bots()
    window = h.config.reminders.late_window_minutes
    await enrol(h, DUBLIN)
    d = Driver(h, real_pacing=False)
    await d.jump(hours=10 + window / 60 + 1)  # 23:00 when the window is 2 hours
    assert d.of(DUBLIN) == []
    skipped, upcoming = await reminders(h, DUBLIN, "checkin")
    assert (skipped.status, upcoming.status, upcoming.due_at) == ("skipped", "pending", utc(2026, 11, 22, 20))
    await d.walk(utc(2026, 11, 22, 21))
    assert d.of(DUBLIN) == [utc(2026, 11, 22, 20)]


async def test_days_of_downtime_bring_no_pile_of_stale_reminders(bots):
    h = await bots()
    await enrol(h, DUBLIN)
    d = Driver(h, real_pacing=False)
    await d.jump(days=3, hours=2)  # back on 24 November at 12:00
    assert d.deliveries == []
    rows = await reminders(h, DUBLIN, "checkin")
    assert [r.status for r in rows] == ["skipped", "skipped", "skipped", "pending"]
    assert rows[-1].due_at == utc(2026, 11, 24, 20)


# -- the nudge ------------------------------------------------------------------------------------------
async def test_the_nudge_comes_3_hours_later_only_without_a_completed_checkin(bots):
    h = await bots()
    silent, done, half = 6001, 6002, 6003
    for chat in (silent, done, half):
        await enrol(h, chat, time="18:00")
    d = Driver(h, real_pacing=False)
    await d.walk(utc(2026, 11, 21, 18, 10))
    await checked_in(h, done, dt.date(2026, 11, 21))
    p = await patient(h, half)
    async with h.services.db.transaction() as session:  # started, never finished: still nudged
        from bot.db.models import CheckIn

        now = h.clock.now()
        session.add(
            CheckIn(patient_id=p.id, local_date=dt.date(2026, 11, 21), started_at=now, source="reminder")
        )
    await d.walk(utc(2026, 11, 22, 0))
    assert d.of(silent, "checkin.nudge") == [utc(2026, 11, 21, 21)]
    assert d.of(half, "checkin.nudge") == [utc(2026, 11, 21, 21)]
    assert d.of(done, "checkin.nudge") == []
    assert [r.status for r in await reminders(h, done, "nudge")] == ["skipped"]


async def test_no_nudge_late_at_night(bots):
    h = await bots()
    await enrol(h, DUBLIN, time="21:30")  # 3 hours later is after midnight
    d = Driver(h, real_pacing=False)
    await d.walk(utc(2026, 11, 22, 3))
    assert d.of(DUBLIN) == [utc(2026, 11, 21, 21, 30)]
    assert await reminders(h, DUBLIN, "nudge") == []


# -- missed days ----------------------------------------------------------------------------------------
async def test_a_run_of_missed_days_raises_exactly_one_routine_flag(bots):
    h = await bots()
    needed = h.config.reminders.missed_days_flag  # 3
    await enrol(h, DUBLIN)  # 21 November, reminded from today
    d = Driver(h, real_pacing=False)
    hour = dt.timedelta(hours=1)
    await d.walk(utc(2026, 11, 21 + needed, 19), hour)  # three days reminded, none checked in
    assert await missed_day_events(h, DUBLIN) == 0
    await d.walk(utc(2026, 11, 21 + needed, 21), hour)  # the fourth day's reminder
    assert await missed_day_events(h, DUBLIN) == 1
    await d.walk(utc(2026, 11, 28, 21), hour)  # the run goes on: no new flag
    assert await missed_day_events(h, DUBLIN) == 1
    await checked_in(h, DUBLIN, dt.date(2026, 11, 28))
    await d.walk(utc(2026, 12, 1, 21), hour)  # 29, 30 November missed: not yet three
    assert await missed_day_events(h, DUBLIN) == 1
    await d.walk(utc(2026, 12, 2, 21), hour)  # 29, 30 November, 1 December: a second run
    assert await missed_day_events(h, DUBLIN) == 2
    from sqlalchemy import select

    from bot.db.models import Flag

    async with h.services.db.transaction() as session:
        (flag,) = (await session.scalars(select(Flag).where(Flag.source == "missed"))).all()
    assert flag.priority == 0  # routine


async def test_days_before_the_first_reminder_are_not_missed_days(bots):
    h = await bots(clock=ManualClock(utc(2026, 11, 21, 21)))  # onboarded after today's 20:00
    await enrol(h, DUBLIN)
    d = Driver(h, real_pacing=False)
    hour = dt.timedelta(hours=1)
    await d.walk(utc(2026, 11, 24, 21), hour)  # reminded on 22, 23 and 24 November
    assert await missed_day_events(h, DUBLIN) == 0, "flagged after two reminders, counting the 21st"
    await d.walk(utc(2026, 11, 25, 21), hour)
    assert await missed_day_events(h, DUBLIN) == 1


async def test_paused_days_are_not_missed_days(bots):
    h = await bots()
    await enrol(h, DUBLIN)
    d = Driver(h, real_pacing=False)
    await d.walk(utc(2026, 11, 21, 21))
    await checked_in(h, DUBLIN, dt.date(2026, 11, 21))
    p = await patient(h, DUBLIN)
    async with h.services.db.transaction() as session:  # what /pause does: 3 days from tomorrow
        p = await session.merge(p)
        p.reminders_paused_until = dt.date(2026, 11, 25)
        await replan(h.services, session, p)
    await d.walk(utc(2026, 11, 25, 21), dt.timedelta(hours=1))
    assert d.local(DUBLIN, "Europe/Dublin") == ["2026-11-21 20:00", "2026-11-25 20:00"]
    assert await missed_day_events(h, DUBLIN) == 0, "the days the patient paused were counted as missed"


async def test_days_the_bot_was_down_are_not_missed_days(bots):
    h = await bots()
    await enrol(h, DUBLIN)
    d = Driver(h, real_pacing=False)
    await d.walk(utc(2026, 11, 21, 21))
    await checked_in(h, DUBLIN, dt.date(2026, 11, 21))
    await d.jump(days=4)  # down from the 21st to the 25th at 21:00: three reminders skipped
    await d.walk(utc(2026, 11, 26, 21))
    assert d.of(DUBLIN) == [utc(2026, 11, 21, 20), utc(2026, 11, 25, 21), utc(2026, 11, 26, 20)]
    assert await missed_day_events(h, DUBLIN) == 0, "an outage flagged the patient for missed days"


async def test_a_settings_change_after_the_reminder_keeps_tonights_nudge(bots):
    h = await bots()
    await enrol(h, DUBLIN, time="18:00")
    d = Driver(h, real_pacing=False)
    await d.walk(utc(2026, 11, 21, 19))
    await change_setting(h, DUBLIN, "Country", "Ireland")  # any change replans the reminders
    await d.walk(utc(2026, 11, 21, 23))
    assert d.of(DUBLIN, "checkin.nudge") == [utc(2026, 11, 21, 21)]


async def test_no_nudge_while_paused(bots):
    h = await bots()
    await enrol(h, DUBLIN, time="18:00")
    d = Driver(h, real_pacing=False)
    await d.walk(utc(2026, 11, 21, 19))
    async with h.services.db.transaction() as session:  # /pause after tonight's reminder
        p = await session.merge(await patient(h, DUBLIN))
        p.reminders_paused_until = dt.date(2026, 11, 23)
        await replan(h.services, session, p)
    await d.walk(utc(2026, 11, 22, 23))
    assert d.of(DUBLIN, "checkin.nudge") == []
    assert d.of(DUBLIN) == [utc(2026, 11, 21, 18)]
