"""Scoring and the screener's branching as pure functions: every path through the screener."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from bot.db.models import Patient
from bot.measures.instruments import (
    GAD2,
    PHQ2,
    PHQ9_ITEM9,
    QUESTIONS,
    WEEKLY_ITEMS,
    Risk,
    next_question,
    next_step,
    path,
    relevant,
    risk,
    screener_row,
    split_step,
)
from bot.measures.schedule import next_weekly

SUNDAY = 6


# -- PHQ-2, GAD-2, item 9 ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("first", "second", "score", "positive"),
    [(0, 0, 0, False), (1, 1, 2, False), (0, 2, 2, False), (1, 2, 3, True), (3, 0, 3, True), (3, 3, 6, True)],
)
def test_phq2_and_gad2_sum_their_items_and_3_or_more_is_positive(first, second, score, positive):
    for instrument in (PHQ2, GAD2):
        answers = dict(zip(instrument.items, (first, second), strict=True))
        assert instrument.score(answers) == score
        assert instrument.positive(score) is positive
        assert instrument.as_list(answers) == [first, second]


@pytest.mark.parametrize("value", [0, 1, 2, 3])
def test_item_9_is_positive_for_anything_but_not_at_all(value):
    assert PHQ9_ITEM9.positive(PHQ9_ITEM9.score({"harm": value})) is (value > 0)


@pytest.mark.parametrize(
    "answers", [{}, {"interest": 1}, {"interest": 4, "down": 0}, {"interest": -1, "down": 1}]
)
def test_a_missing_or_out_of_range_answer_is_refused(answers):
    with pytest.raises(ValueError):
        PHQ2.score(answers)


def test_the_weekly_sequence_ends_at_item_9_unless_it_is_positive():
    answers: dict = {}
    steps = []
    while (step := next_step(answers)) is not None:
        steps.append(step)
        kind, item = step.split(".")
        answers.setdefault(kind, {})[item] = 0
    assert steps == ["phq2.interest", "phq2.down", "gad2.nervous", "gad2.worry", "phq9_9.harm"]
    assert len(steps) == WEEKLY_ITEMS
    answers["phq9_9"]["harm"] = 1
    assert next_step(answers) == "cssrs.wish_dead"
    answers["cssrs"] = {"wish_dead": False, "thoughts": False, "behaviour": False}
    assert next_step(answers) is None


def test_steps_are_split_and_unknown_ones_refused():
    assert split_step("gad2.worry") == ("gad2", "worry")
    assert split_step("cssrs.behaviour_recent") == ("cssrs", "behaviour_recent")
    for bad in ("phq2.harm", "cssrs.nothing", "phq9.harm", "", "phq2", "x.y.z"):
        assert split_step(bad) is None


# -- the screener ------------------------------------------------------------------------------------
def run_screener(truth: dict[str, bool]) -> tuple[list[str], dict[str, bool]]:
    """Asks the screener's questions as the branching says, answering from ``truth``."""
    answers: dict[str, bool] = {}
    asked: list[str] = []
    while (question := next_question(answers)) is not None:
        assert question not in asked, "a question is never asked twice"
        asked.append(question)
        answers[question] = truth[question]
    return asked, answers


Y, N = True, False
CASES = [
    # (wish_dead, thoughts, method, intent, plan, behaviour, recent) -> questions asked, risk
    ((N, N, None, None, None, N, None), "wish_dead thoughts behaviour", Risk.NONE),
    ((Y, N, None, None, None, N, None), "wish_dead thoughts behaviour", Risk.LOW),
    ((N, N, None, None, None, Y, N), "wish_dead thoughts behaviour behaviour_recent", Risk.MODERATE),
    ((Y, N, None, None, None, Y, Y), "wish_dead thoughts behaviour behaviour_recent", Risk.HIGH),
    ((Y, Y, N, N, N, N, None), "wish_dead thoughts method intent plan behaviour", Risk.LOW),
    ((N, Y, N, N, N, N, None), "wish_dead thoughts method intent plan behaviour", Risk.LOW),
    ((Y, Y, Y, N, N, N, None), "wish_dead thoughts method intent plan behaviour", Risk.MODERATE),
    (
        (Y, Y, Y, N, N, Y, N),
        "wish_dead thoughts method intent plan behaviour behaviour_recent",
        Risk.MODERATE,
    ),
    ((Y, Y, N, N, N, Y, Y), "wish_dead thoughts method intent plan behaviour behaviour_recent", Risk.HIGH),
    ((Y, Y, Y, Y, None, None, None), "wish_dead thoughts method intent", Risk.HIGH),
    ((Y, Y, N, Y, None, None, None), "wish_dead thoughts method intent", Risk.HIGH),
    ((Y, Y, N, N, Y, None, None), "wish_dead thoughts method intent plan", Risk.HIGH),
]


@pytest.mark.parametrize(("given", "asked", "level"), CASES)
def test_every_path_through_the_screener(given, asked, level):
    truth = {q: bool(a) for q, a in zip(QUESTIONS, given, strict=True)}
    questions, answers = run_screener(truth)
    assert questions == asked.split()
    assert risk(answers) is level
    assert screener_row(answers) == [None if a is None else int(a) for a in given]


def columbia(truth: dict[str, bool]) -> tuple[list[str], Risk]:
    """The Columbia screener written out independently: which questions, which risk."""
    asked = ["wish_dead", "thoughts"]
    if truth["thoughts"]:
        for question in ("method", "intent", "plan"):
            asked.append(question)
            if truth[question] and question in ("intent", "plan"):
                return asked, Risk.HIGH  # nothing later can lower it: help comes first
    asked.append("behaviour")
    if truth["behaviour"]:
        asked.append("behaviour_recent")
        if truth["behaviour_recent"]:
            return asked, Risk.HIGH
        return asked, Risk.MODERATE
    if truth["thoughts"] and truth["method"]:
        return asked, Risk.MODERATE
    return asked, Risk.LOW if truth["wish_dead"] or truth["thoughts"] else Risk.NONE


@pytest.mark.parametrize("bits", list(itertools.product((False, True), repeat=len(QUESTIONS))))
def test_all_128_answer_patterns_follow_the_columbia_screener(bits):
    truth = dict(zip(QUESTIONS, bits, strict=True))
    asked, answers = run_screener(truth)
    expected_asked, expected_risk = columbia(truth)
    assert asked == expected_asked
    assert risk(answers) is expected_risk


def test_the_risk_so_far_never_falls_as_more_answers_come():
    for bits in itertools.product((False, True), repeat=len(QUESTIONS)):
        truth = dict(zip(QUESTIONS, bits, strict=True))
        answers: dict[str, bool] = {}
        level = Risk.NONE
        while (question := next_question(answers)) is not None:
            answers[question] = truth[question]
            assert risk(answers) >= level
            level = risk(answers)


def test_answers_left_on_a_branch_the_patient_went_back_on_do_not_count():
    # thoughts was "yes" (method, intent answered), then changed to "no": only Q1, Q2 and Q6 count.
    stale = {"wish_dead": True, "thoughts": False, "method": True, "intent": True}
    assert relevant(stale) == {"wish_dead": True, "thoughts": False}
    assert next_question(stale) == "behaviour"
    assert risk(relevant(stale)) is Risk.LOW
    # an answer after a gap is not on the path either
    assert relevant({"wish_dead": False, "thoughts": True, "plan": True}) == {
        "wish_dead": False,
        "thoughts": True,
    }
    assert path({}) == ["wish_dead"]


# -- when the weekly reminder comes ------------------------------------------------------------------
def patient(checkin: str = "20:00", zone: str = "Europe/Dublin", paused: dt.date | None = None) -> Patient:
    return Patient(checkin_time=checkin, timezone=zone, reminders_paused_until=paused)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_the_weekly_moment_is_the_weekday_at_checkin_time_plus_30_minutes_local():
    # Saturday 21 November 2026, 10:00 UTC; Dublin is UTC+0 in winter, Chicago UTC-6.
    day, due = next_weekly(patient(), SUNDAY, utc(2026, 11, 21, 10))
    assert (day, due) == (dt.date(2026, 11, 22), utc(2026, 11, 22, 20, 30))
    day, due = next_weekly(patient(zone="America/Chicago"), SUNDAY, utc(2026, 11, 21, 10))
    assert (day, due) == (dt.date(2026, 11, 22), utc(2026, 11, 23, 2, 30))
    # exactly at the moment: the next week's
    assert next_weekly(patient(), SUNDAY, utc(2026, 11, 22, 20, 30))[0] == dt.date(2026, 11, 29)
    # Monday weekly day, asked on Monday morning: today
    assert next_weekly(patient(), 0, utc(2026, 11, 23, 8))[1] == utc(2026, 11, 23, 20, 30)


def test_a_late_checkin_time_puts_the_reminder_after_midnight_keyed_by_the_weekday():
    day, due = next_weekly(patient(checkin="23:45"), SUNDAY, utc(2026, 11, 22, 23, 50))
    assert (day, due) == (dt.date(2026, 11, 22), utc(2026, 11, 23, 0, 15))


def test_daylight_saving_and_pause_are_respected():
    # Europe/Dublin goes back to UTC+0 on Sunday 25 October 2026: 20:30 local is 20:30 UTC that day.
    assert next_weekly(patient(), SUNDAY, utc(2026, 10, 24, 12))[1] == utc(2026, 10, 25, 20, 30)
    assert next_weekly(patient(), SUNDAY, utc(2026, 10, 17, 12))[1] == utc(2026, 10, 18, 19, 30)
    paused = patient(paused=dt.date(2026, 11, 30))
    assert next_weekly(paused, SUNDAY, utc(2026, 11, 21, 10))[0] == dt.date(2026, 12, 6)
