"""Conversation context: the recent-messages store, screening with it, and answers to the safety question."""

from __future__ import annotations

import pytest

from bot.safety.context import (
    RecentMessages,
    SafetyAnswer,
    read_safety_answer,
    screen_in_context,
    screen_safety_answer,
)
from bot.safety.screener import Level


def test_a_thought_split_over_messages_is_read_whole() -> None:
    recent = RecentMessages()
    assert screen_in_context(recent, 1, "i want to", now=0).level == Level.NONE
    joined = screen_in_context(recent, 1, "die", now=20)
    assert joined.level == Level.CRISIS
    assert "context" in joined.reasons


def test_spanish_split_over_messages() -> None:
    recent = RecentMessages()
    screen_in_context(recent, 7, "ya no quiero", now=0)
    assert screen_in_context(recent, 7, "seguir viviendo", now=5).level == Level.CRISIS


def test_an_earlier_crisis_does_not_raise_an_unrelated_later_message() -> None:
    recent = RecentMessages()
    assert screen_in_context(recent, 1, "I want to kill myself", now=0).level == Level.CRISIS
    assert screen_in_context(recent, 1, "what time is group tomorrow?", now=30).level == Level.NONE
    assert screen_in_context(recent, 1, "ok thanks", now=40).level == Level.NONE


def test_chats_do_not_mix() -> None:
    recent = RecentMessages()
    screen_in_context(recent, 1, "i want to", now=0)
    assert screen_in_context(recent, 2, "die", now=1).level < Level.CRISIS


def test_messages_older_than_the_limit_are_forgotten() -> None:
    recent = RecentMessages(max_age=300)
    screen_in_context(recent, 1, "i want to", now=0)
    assert screen_in_context(recent, 1, "die", now=301).level < Level.CRISIS
    assert recent.recent(1, now=1000) == []


def test_only_the_last_few_messages_are_kept() -> None:
    recent = RecentMessages(max_messages=3)
    for i in range(10):
        recent.add(1, f"m{i}", now=i)
    assert recent.recent(1, now=10) == ["m7", "m8", "m9"]


def test_memory_is_bounded_over_all_chats() -> None:
    recent = RecentMessages(max_chats=100)
    for chat in range(1_000):
        recent.add(chat, "hello", now=chat)
    assert len(recent) == 100
    assert recent.recent(0, now=1_000) == []
    assert recent.recent(999, now=1_000) == ["hello"]


def test_forget_drops_a_chat() -> None:
    recent = RecentMessages()
    recent.add(1, "i want to", now=0)
    recent.forget(1)
    recent.forget(2)  # unknown chat: nothing to do
    assert recent.recent(1, now=1) == []


def test_bad_settings_are_refused() -> None:
    for kwargs in ({"max_messages": 0}, {"max_age": 0}, {"max_chats": 0}):
        with pytest.raises(ValueError):
            RecentMessages(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("yes", SafetyAnswer.YES),
        ("Yeah", SafetyAnswer.YES),
        ("ya", SafetyAnswer.YES),
        ("sí", SafetyAnswer.YES),
        ("Si, a veces", SafetyAnswer.YES),
        ("a bit", SafetyAnswer.YES),
        ("kind of", SafetyAnswer.YES),
        ("kinda tbh", SafetyAnswer.YES),
        ("un poco", SafetyAnswer.YES),
        ("más o menos", SafetyAnswer.YES),
        ("all the time", SafetyAnswer.YES),
        ("no", SafetyAnswer.NO),
        ("nah", SafetyAnswer.NO),
        ("Nope!", SafetyAnswer.NO),
        ("I'm ok", SafetyAnswer.NO),
        ("im fine honestly", SafetyAnswer.NO),
        ("not really", SafetyAnswer.NO),
        ("no pero estoy mal", SafetyAnswer.NO),
        ("claro que no", SafetyAnswer.NO),
        ("estoy bien", SafetyAnswer.NO),
        ("para nada", SafetyAnswer.NO),
        ("I don't know", SafetyAnswer.UNSURE),
        ("idk", SafetyAnswer.UNSURE),
        ("maybe", SafetyAnswer.UNSURE),
        ("I'm not sure", SafetyAnswer.UNSURE),
        ("no sé", SafetyAnswer.UNSURE),
        ("tal vez", SafetyAnswer.UNSURE),
        ("what do you mean?", SafetyAnswer.UNSURE),
        ("", SafetyAnswer.UNSURE),
    ],
)
def test_read_safety_answer(text: str, answer: SafetyAnswer) -> None:
    assert read_safety_answer(text) is answer


@pytest.mark.parametrize(
    ("text", "level", "reason"),
    [
        ("yes", Level.CRISIS, "safety_answer_yes"),
        ("sí", Level.CRISIS, "safety_answer_yes"),
        ("a bit", Level.CRISIS, "safety_answer_yes"),
        ("idk", Level.CONCERN, "safety_answer_unsure"),
        ("no but I'm really struggling", Level.CONCERN, "safety_answer_no_but"),
        ("no pero me siento fatal", Level.CONCERN, "safety_answer_no_but"),
        ("no", Level.NONE, None),
        ("I'm ok", Level.NONE, None),
        ("no. the pills are in my hand", Level.EMERGENCY, "means_at_hand"),
    ],
)
def test_an_answer_to_the_safety_question(text: str, level: Level, reason: str | None) -> None:
    got = screen_safety_answer(text)
    assert got.level == level, got
    assert reason is None or reason in got.reasons, got
