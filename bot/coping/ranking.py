"""Which coping tools to offer first: the ones that helped this patient most, with a little exploration.

Pure functions over the patient's own history. A tool's score is the mean drop in craving (before minus
after) over its uses, pulled towards a modest prior so that one lucky use does not dominate and an untried
tool is not ranked last for ever. A use that was stopped without an "after" rating counts as no drop.
Then, with a small probability, the last offered place goes to a tool from further down the list
(untried ones first), so new tools get tried. Given the same random generator state the result is the
same, which keeps tests deterministic.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

PRIOR_DROP = 1.0  # the drop assumed for a tool before it has been used
PRIOR_WEIGHT = 2.0  # how many uses that assumption is worth
EXPLORE = 0.2  # the chance that the last offered place goes to a tool further down
OFFERED = 3


@dataclass(frozen=True)
class Outcome:
    """One past use of a tool, as stored in ``coping_sessions``."""

    tool: str
    before: int | None
    after: int | None
    finished: bool = True


@dataclass(frozen=True)
class Score:
    tool: str
    uses: int
    mean_drop: float | None  # the plain mean over uses; None when never used
    score: float  # the mean pulled towards the prior


def drop(outcome: Outcome) -> float | None:
    """How much the craving fell with this use; None when the use says nothing (no "before")."""
    if outcome.before is None:
        return None
    if outcome.after is None:
        return None if outcome.finished else 0.0
    return float(outcome.before - outcome.after)


def scores(
    tools: Sequence[str], outcomes: Iterable[Outcome], family: Callable[[str], str] = lambda t: t
) -> dict[str, Score]:
    """Each tool's score; ``family`` maps a stored tool to the offered one (a breathing pattern to
    "breathing")."""
    drops: dict[str, list[float]] = {t: [] for t in tools}
    for outcome in outcomes:
        value = drop(outcome)
        name = family(outcome.tool)
        if value is not None and name in drops:
            drops[name].append(value)
    out = {}
    for tool, values in drops.items():
        n = len(values)
        shrunk = (sum(values) + PRIOR_DROP * PRIOR_WEIGHT) / (n + PRIOR_WEIGHT)
        out[tool] = Score(tool, n, sum(values) / n if n else None, shrunk)
    return out


def rank(
    tools: Sequence[str],
    outcomes: Iterable[Outcome],
    rng: random.Random,
    *,
    family: Callable[[str], str] = lambda t: t,
    offered: int = OFFERED,
    explore: float = EXPLORE,
) -> list[str]:
    """Every tool, best first; ``tools`` is in the default order, which breaks ties.

    Exactly one number is drawn from ``rng``, and one more choice only when exploring.
    """
    table = scores(tools, outcomes, family)
    order = {tool: i for i, tool in enumerate(tools)}
    ranked = sorted(tools, key=lambda t: (-table[t].score, order[t]))
    if len(ranked) <= offered or rng.random() >= explore:
        return ranked
    rest = ranked[offered:]
    untried = [t for t in rest if table[t].uses == 0]
    pick = rng.choice(untried or rest)
    top = [*ranked[: offered - 1], pick]
    return top + [t for t in ranked if t not in top]
