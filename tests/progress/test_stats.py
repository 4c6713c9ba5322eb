"""The progress figures from plain dates: worked examples, edge days, and a brute-force cross-check."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from bot.progress.milestones import reached
from bot.progress.stats import averages, checkin_streak, compute, daily_scores, streaks

TODAY = dt.date(2026, 11, 21)


def ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def test_days_since_quit_is_today_minus_the_quit_date():
    p = compute(TODAY, ago(10), [], [])
    assert p.status == "started"
    assert (p.days_since_quit, p.current_streak, p.longest_streak, p.days_without_use) == (10, 10, 10, 10)
    assert p.streak_start == ago(10) and p.slip_days == 0 and p.day_number == 11


def test_quit_today_counts_zero_whole_days():
    p = compute(TODAY, TODAY, [], [])
    assert (p.days_since_quit, p.current_streak, p.longest_streak, p.days_without_use) == (0, 0, 0, 0)
    assert p.day_number == 1  # the quit date is day 1, as the check-in reply says


def test_a_slip_ends_the_current_streak_only():
    p = compute(TODAY, ago(30), [ago(10)], [])
    # Streaks: 20 days (quit .. the day before the slip), then 9 days since the day after the slip.
    assert streaks(ago(30), [ago(10)], TODAY) == [20, 9]
    assert (p.days_since_quit, p.current_streak, p.longest_streak) == (30, 9, 20)
    assert p.days_without_use == 29 and p.streak_start == ago(9) and p.slip_days == 1


def test_a_slip_today_makes_the_current_streak_zero_and_keeps_history():
    p = compute(TODAY, ago(12), [TODAY], [])
    assert (p.current_streak, p.longest_streak, p.days_without_use) == (0, 12, 12)
    assert p.streak_start == TODAY + dt.timedelta(days=1)


def test_a_slip_yesterday():
    p = compute(TODAY, ago(5), [ago(1)], [])
    assert (p.current_streak, p.longest_streak, p.days_without_use) == (0, 4, 4)
    assert p.streak_start == TODAY


def test_several_slips_the_same_day_count_once_and_consecutive_slip_days():
    p = compute(TODAY, ago(20), [ago(5), ago(5), ago(4)], [])
    assert streaks(ago(20), [ago(5), ago(4)], TODAY) == [15, 0, 3]
    assert (p.current_streak, p.longest_streak, p.days_without_use, p.slip_days) == (3, 15, 18, 2)


def test_a_slip_on_the_quit_date():
    p = compute(TODAY, ago(7), [ago(7)], [])
    assert (p.current_streak, p.longest_streak, p.days_without_use) == (6, 6, 6)


def test_slips_before_the_quit_date_or_in_the_future_do_not_count():
    p = compute(TODAY, ago(7), [ago(8), ago(100), TODAY + dt.timedelta(days=2)], [])
    assert (p.current_streak, p.longest_streak, p.days_without_use, p.slip_days) == (7, 7, 7, 0)


def test_no_quit_date_gives_only_checkin_figures():
    p = compute(TODAY, None, [ago(1)], [TODAY, ago(1), ago(3)])
    assert p.status == "not_set" and p.days_since_quit is None and p.current_streak is None
    assert p.day_number is None
    assert p.days_until_quit is None
    assert (p.checkins, p.checkin_streak) == (3, 2)


def test_a_quit_date_still_ahead():
    p = compute(TODAY, TODAY + dt.timedelta(days=4), [], [ago(1)])
    assert p.status == "upcoming" and p.days_until_quit == 4
    assert p.days_since_quit is None and p.longest_streak is None
    assert (p.checkins, p.checkin_streak) == (1, 1)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([], 0),
        ([TODAY], 1),
        ([TODAY, ago(1), ago(2)], 3),
        ([ago(1), ago(2)], 2),  # not yet today: the run up to yesterday still stands
        ([ago(2), ago(3)], 0),  # nothing yesterday or today: the run is over
        ([TODAY, ago(2)], 1),
        ([TODAY, TODAY, ago(1)], 2),  # two check-ins on a day count once in the run
        ([TODAY + dt.timedelta(days=1)], 0),  # a future day (bad clock) is ignored
    ],
)
def test_checkin_streak(days, expected):
    assert checkin_streak(days, TODAY) == expected


def test_checkin_count_counts_completed_checkins_not_future_ones():
    p = compute(TODAY, ago(3), [], [TODAY, TODAY, ago(1), TODAY + dt.timedelta(days=1)])
    assert p.checkins == 3


def _brute_force(today, quit_date, slips):
    """Walks day by day: the reference the arithmetic must agree with."""
    slip_set = set(slips)
    runs, run, day = [], 0, quit_date
    while day < today:
        if day in slip_set:
            runs.append(run)
            run = 0
        else:
            run += 1
        day += dt.timedelta(days=1)
    if today in slip_set:
        runs.append(run)
        run = 0
    runs.append(run)
    clean = sum(
        1 for n in range((today - quit_date).days) if quit_date + dt.timedelta(days=n) not in slip_set
    )
    return run, max(runs), clean


def test_figures_agree_with_a_day_by_day_walk():
    rng = random.Random(20261121)
    for _ in range(2000):
        quit_date = ago(rng.randint(0, 400))
        span = (TODAY - quit_date).days
        slips = [quit_date + dt.timedelta(days=rng.randint(0, span)) for _ in range(rng.randint(0, 6))]
        p = compute(TODAY, quit_date, slips, [])
        current, longest, clean = _brute_force(TODAY, quit_date, slips)
        assert (p.current_streak, p.longest_streak, p.days_without_use) == (current, longest, clean), (
            quit_date,
            sorted(slips),
        )
        lengths = streaks(quit_date, slips, TODAY)
        assert sum(lengths) == p.days_without_use  # every day without a slip is in exactly one streak
        assert p.longest_streak >= p.current_streak


def test_daily_scores_make_gaps_take_the_last_checkin_of_a_day_and_clamp():
    checkins = [
        (ago(40), 5, 5),  # outside the 30 days
        (ago(2), 3, 8),
        (ago(2), 6, 4),  # completed later the same day: this one is the day's
        (TODAY, 12, -1),  # out of range: clamped to 0-10
        (ago(1), None, 7),
    ]
    days = daily_scores(TODAY, checkins, [ago(1), ago(45)])
    assert len(days) == 30 and days[0].day == ago(29) and days[-1].day == TODAY
    by_day = {d.day: d for d in days}
    assert (by_day[ago(2)].mood, by_day[ago(2)].craving) == (6.0, 4.0)
    assert (by_day[TODAY].mood, by_day[TODAY].craving) == (10.0, 0.0)
    assert by_day[ago(1)].mood is None and by_day[ago(1)].craving == 7.0 and by_day[ago(1)].slip
    assert by_day[ago(3)].mood is None and not by_day[ago(3)].slip
    assert sum(d.slip for d in days) == 1
    assert averages(days[-7:]) == (8.0, 11 / 3)
    assert averages(days[:5]) == (None, None)


def test_milestones_reached():
    assert reached(None) == [] and reached(0) == []
    assert reached(1) == [1]
    assert reached(8) == [1, 3, 7]
    assert reached(400) == [1, 3, 7, 14, 30, 60, 90, 180, 365]
