"""The exercises of one language, as loaded from ``content/<lang>/_exercises.toml`` (see exercises.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Phase:
    say: str
    seconds: int


@dataclass(frozen=True)
class Breathing:
    id: str
    title: str
    intro: str
    phases: tuple[Phase, ...]
    cycles: tuple[int, ...]
    minutes: tuple[int, ...]

    @property
    def round_seconds(self) -> int:
        return sum(p.seconds for p in self.phases)

    def rounds_for(self, minutes: int) -> int:
        return max(1, round(minutes * 60 / self.round_seconds))


@dataclass(frozen=True)
class Step:
    say: str
    weight: float
    check: bool


@dataclass(frozen=True)
class Guided:
    id: str
    title: str
    intro: str
    minutes: tuple[int, ...]
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Sense:
    count: int
    say: str


@dataclass(frozen=True)
class Grounding:
    intro: str
    senses: tuple[Sense, ...]


@dataclass(frozen=True)
class Tape:
    intro: str
    steps: tuple[str, ...]
    reasons_intro: str
    no_reasons: str


@dataclass(frozen=True)
class Ideas:
    intro: str
    periods: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Exercises:
    """One language's exercises."""

    breathing: dict[str, Breathing]
    guided: dict[str, Guided]
    grounding: Grounding
    tape: Tape
    ideas: Ideas

    def shape(self) -> dict[str, Any]:
        """Everything that must be the same in every language (numbers and structure, no texts)."""
        return {
            **{
                f"breathing.{b.id}": ([p.seconds for p in b.phases], b.cycles, b.minutes)
                for b in self.breathing.values()
            },
            **{
                f"guided.{g.id}": (g.minutes, [(s.weight, s.check) for s in g.steps])
                for g in self.guided.values()
            },
            "grounding": [s.count for s in self.grounding.senses],
            "tape": len(self.tape.steps),
        }
