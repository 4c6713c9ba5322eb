"""Ranking the coping tools from the patient's own history: pure functions, a seeded random generator."""

from __future__ import annotations

import random

import pytest

from bot.coping.ranking import OFFERED, PRIOR_DROP, Outcome, drop, rank, scores

TOOLS = ["breathing", "grounding", "urge_surf", "meditation", "tape", "ideas"]


class NeverExplore(random.Random):
    """A generator whose first draw is always above any exploration chance."""

    def random(self) -> float:
        return 0.999


class AlwaysExplore(random.Random):
    def random(self) -> float:
        return 0.0


def uses(tool: str, *pairs: tuple[int | None, int | None], finished: bool = True) -> list[Outcome]:
    return [Outcome(tool, before, after, finished) for before, after in pairs]


def test_without_history_the_default_order_is_kept():
    assert rank(TOOLS, [], NeverExplore()) == TOOLS


def test_the_tool_with_the_biggest_drop_comes_first():
    history = uses("tape", (8, 2), (9, 3)) + uses("breathing", (8, 7), (7, 7))
    order = rank(TOOLS, history, NeverExplore())
    assert order[0] == "tape"
    assert order.index("breathing") > order.index("grounding"), (
        "a tool that did not help goes below untried ones"
    )


def test_one_lucky_use_does_not_beat_a_steady_helper():
    history = uses("ideas", (9, 1)) + uses("grounding", *[(8, 3)] * 6)
    table = scores(TOOLS, history)
    assert table["ideas"].mean_drop == 8 and table["grounding"].mean_drop == 5
    assert table["grounding"].score > table["ideas"].score
    assert rank(TOOLS, history, NeverExplore())[:2] == ["grounding", "ideas"]


def test_a_use_that_made_it_worse_counts_against_the_tool():
    table = scores(TOOLS, uses("meditation", (5, 8)))
    assert table["meditation"].score < PRIOR_DROP
    assert rank(TOOLS, uses("meditation", (5, 8)), NeverExplore())[-1] == "meditation"


def test_drop_rules_for_incomplete_uses():
    assert drop(Outcome("x", None, 3)) is None, "no rating before: says nothing"
    assert drop(Outcome("x", 7, None, finished=True)) is None, "finished but the rating was skipped"
    assert drop(Outcome("x", 7, None, finished=False)) == 0.0, "stopped and not rated: no help"
    assert drop(Outcome("x", 7, 4)) == 3.0


def test_breathing_patterns_count_for_breathing():
    history = uses("breath_box", (9, 2)) + uses("breath_sigh", (8, 2))
    family = lambda tool: "breathing" if tool.startswith("breath_") else tool  # noqa: E731
    table = scores(TOOLS, history, family)
    assert table["breathing"].uses == 2 and table["breathing"].mean_drop == 6.5
    assert rank(TOOLS, uses("grounding", (9, 2)) + history, NeverExplore(), family=family)[0] == "breathing"


def test_unknown_tools_in_the_history_are_ignored():
    history = uses("retired_tool", (9, 0)) + uses("tape", (5, 4))
    assert set(scores(TOOLS, history)) == set(TOOLS)


def test_exploration_gives_the_last_offered_place_to_an_untried_tool():
    history = [o for tool in TOOLS[:4] for o in uses(tool, (8, 8 - TOOLS.index(tool) - 1))]
    plain = rank(TOOLS, history, NeverExplore())
    explored = rank(TOOLS, history, AlwaysExplore(1))
    assert explored[: OFFERED - 1] == plain[: OFFERED - 1], "the best ones keep their places"
    assert explored[OFFERED - 1] in {"tape", "ideas"}, "the explored place goes to a tool never tried"
    assert sorted(explored) == sorted(TOOLS), "every tool is still listed once"


def test_exploration_is_deterministic_with_a_seed_and_happens_sometimes():
    history = uses("tape", (8, 2)) + uses("grounding", (8, 4)) + uses("breathing", (8, 5))
    first = [tuple(rank(TOOLS, history, random.Random(seed))) for seed in range(200)]
    again = [tuple(rank(TOOLS, history, random.Random(seed))) for seed in range(200)]
    assert first == again
    explored = sum(1 for order in first if order[OFFERED - 1] != "breathing")
    assert 20 < explored < 70, f"about a fifth of the offers explore, got {explored}/200"
    assert all(order[:2] == ("tape", "grounding") for order in first)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_fewer_tools_than_places_never_explore(count):
    rng = AlwaysExplore()
    assert rank(TOOLS[:count], [], rng) == TOOLS[:count]
