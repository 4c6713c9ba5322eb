"""The weekly measures as data, their scoring, and the suicide-risk screener's branching.

Everything here is pure: no database, no Telegram, no content. The wording lives in
``content/<lang>/measures.toml`` under the item keys used here.

PHQ-2 and GAD-2 (free to use): each item 0 "not at all", 1 "several days", 2 "more than half the days",
3 "nearly every day"; a total of 3 or more is a positive screen. PHQ-9 item 9 uses the same scale; any
answer above 0 leads at once to the screener.

The screener follows the Columbia (C-SSRS) screener's six yes/no questions about the past month:

    wish_dead -> thoughts --no--> behaviour --yes--> behaviour_recent
                         --yes--> method -> intent -> plan -> behaviour ...

Risk: yes to intent or plan, or behaviour within the past 3 months = high; yes to method, or behaviour
longer ago = moderate; yes to wish_dead or thoughts only = low. As soon as the answers make the risk
high (nothing later can change that), the screener ends so the patient gets help at once.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

SCALE = (0, 1, 2, 3)  # not at all, several days, more than half the days, nearly every day


@dataclass(frozen=True)
class Instrument:
    kind: str  # the Measure row's kind
    items: tuple[str, ...]  # item keys, in the order asked (content: measures.items.<key>)
    threshold: int  # a score at or above it is positive

    def score(self, answers: Mapping[str, int]) -> int:
        """The total; raises ValueError when an item is missing or outside the scale."""
        values = [answers.get(item) for item in self.items]
        if any(v not in SCALE for v in values):
            raise ValueError(f"{self.kind}: every item needs an answer of 0-3, got {values}")
        return sum(v for v in values if v is not None)

    def positive(self, score: int) -> bool:
        return score >= self.threshold

    def as_list(self, answers: Mapping[str, int]) -> list[int]:
        return [int(answers[item]) for item in self.items]


PHQ2 = Instrument("phq2", ("interest", "down"), 3)
GAD2 = Instrument("gad2", ("nervous", "worry"), 3)
PHQ9_ITEM9 = Instrument("phq9_9", ("harm",), 1)
WEEKLY = (PHQ2, GAD2, PHQ9_ITEM9)
BY_KIND = {i.kind: i for i in WEEKLY}
WEEKLY_ITEMS = sum(len(i.items) for i in WEEKLY)

# -- the screener ------------------------------------------------------------------------------------
SCREENER = "cssrs"
QUESTIONS = ("wish_dead", "thoughts", "method", "intent", "plan", "behaviour", "behaviour_recent")


class Risk(enum.IntEnum):
    NONE = 0
    LOW = 1
    MODERATE = 2
    HIGH = 3


def risk(answers: Mapping[str, bool]) -> Risk:
    """The risk the answers given so far show; later answers can only raise it."""
    yes = {q for q, a in answers.items() if a}
    if yes & {"intent", "plan"} or {"behaviour", "behaviour_recent"} <= yes:
        return Risk.HIGH
    if yes & {"method", "behaviour"}:
        return Risk.MODERATE
    if yes & {"wish_dead", "thoughts"}:
        return Risk.LOW
    return Risk.NONE


def path(answers: Mapping[str, bool]) -> list[str]:
    """The questions asked for these answers, in order, up to and including the first unanswered."""
    asked: list[str] = []
    for question in _order(answers):
        asked.append(question)
        if question not in answers:
            break
    return asked


def _order(answers: Mapping[str, bool]) -> list[str]:
    order = ["wish_dead", "thoughts"]
    if answers.get("thoughts"):
        order += ["method", "intent", "plan"]
    order.append("behaviour")
    if answers.get("behaviour"):
        order.append("behaviour_recent")
    return order


def relevant(answers: Mapping[str, bool]) -> dict[str, bool]:
    """Only the answers on the path (an answer left from a branch the patient went back on is dropped)."""
    return {q: bool(answers[q]) for q in path(answers) if q in answers}


def next_question(answers: Mapping[str, bool]) -> str | None:
    """The next question to ask, or None when the screener is complete (or already shows high risk)."""
    given = relevant(answers)
    if risk(given) is Risk.HIGH:
        return None
    for question in _order(given):
        if question not in given:
            return question
    return None


def screener_row(answers: Mapping[str, bool]) -> list[int | None]:
    """The answers in QUESTIONS order: 1 yes, 0 no, None not asked."""
    return [None if q not in answers else int(bool(answers[q])) for q in QUESTIONS]


# -- the whole weekly sequence -----------------------------------------------------------------------
Answers = Mapping[str, Mapping[str, int | bool]]


def next_step(answers: Answers) -> str | None:
    """The next step (``<kind>.<item>``) of the weekly measures, or None when they are done."""
    for instrument in WEEKLY:
        given = answers.get(instrument.kind, {})
        for item in instrument.items:
            if item not in given:
                return f"{instrument.kind}.{item}"
    if not PHQ9_ITEM9.positive(PHQ9_ITEM9.score(_scale(answers, PHQ9_ITEM9.kind))):
        return None
    question = next_question(_screener(answers))
    return f"{SCREENER}.{question}" if question else None


def split_step(step: str) -> tuple[str, str] | None:
    """``("phq2", "interest")`` for ``"phq2.interest"``; None for a step this version does not know."""
    kind, _, item = step.partition(".")
    if kind in BY_KIND and item in BY_KIND[kind].items:
        return kind, item
    if kind == SCREENER and item in QUESTIONS:
        return kind, item
    return None


def _scale(answers: Answers, kind: str) -> dict[str, int]:
    return {k: int(v) for k, v in answers.get(kind, {}).items()}


def _screener(answers: Answers) -> dict[str, bool]:
    return {k: bool(v) for k, v in answers.get(SCREENER, {}).items()}
