"""Reading one ``_exercises.toml``: every field checked, every problem reported as ``file: key: what is
wrong``; the exercises are built only from a file without problems."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from bot.coping.exercise_types import (
    Breathing,
    Exercises,
    Grounding,
    Guided,
    Ideas,
    Phase,
    Sense,
    Step,
    Tape,
)

FIXED_TOOLS = ("grounding", "tape", "reasons", "ideas", "reach_out")  # ids a guided exercise cannot take
PERIODS = ("morning", "afternoon", "evening", "night")
SECTIONS = ("breathing", "guided", "grounding", "tape", "ideas")
MAX_TITLE = 48
MAX_TEXT = 1500
MIN_STEP_SECONDS = 5
_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,19}$")


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[str] = []

    def bad(self, key: str, what: str) -> None:
        self.problems.append(f"{self.file}: {key}: {what}")

    def table(self, node: Any, key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(node, dict):
            self.bad(key, "must be a table")
            return {}
        for extra in sorted(set(node) - set(allowed)):
            self.bad(f"{key}.{extra}", f"unknown field (expected one of: {', '.join(allowed)})")
        return node

    def text(self, node: dict[str, Any], key: str, field: str, limit: int = MAX_TEXT) -> str:
        value = node.get(field)
        if not isinstance(value, str) or not value.strip():
            self.bad(f"{key}.{field}", "missing or empty text" if value is None else "must be non-empty text")
            return ""
        if len(value) > limit:
            self.bad(f"{key}.{field}", f"too long ({len(value)} characters, at most {limit})")
        return value.strip()

    def whole(self, value: Any, key: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.bad(key, f"must be a whole number from {low} to {high}, got {value!r}")
            return low
        return value

    def numbers(self, node: dict[str, Any], key: str, field: str, high: int) -> tuple[int, ...]:
        value = node.get(field, [])
        if not isinstance(value, list):
            self.bad(f"{key}.{field}", "must be a list of whole numbers")
            return ()
        out = tuple(self.whole(v, f"{key}.{field}[{i}]", 1, high) for i, v in enumerate(value))
        if len(set(out)) != len(out):
            self.bad(f"{key}.{field}", "has the same number twice")
        return tuple(sorted(set(out)))

    def items(self, node: dict[str, Any], key: str, field: str) -> list[Any]:
        value = node.get(field)
        if not isinstance(value, list) or not value:
            self.bad(f"{key}.{field}", "must be a non-empty list")
            return []
        return value


def _breathing(r: _Reader, key: str, node: Any) -> Breathing:
    node = r.table(node, key, ("title", "intro", "phases", "cycles", "minutes"))
    phases = []
    for i, raw in enumerate(r.items(node, key, "phases")):
        pkey = f"{key}.phases[{i}]"
        raw = r.table(raw, pkey, ("say", "seconds"))
        phases.append(
            Phase(r.text(raw, pkey, "say", 120), r.whole(raw.get("seconds"), f"{pkey}.seconds", 1, 30))
        )
    cycles, minutes = r.numbers(node, key, "cycles", 50), r.numbers(node, key, "minutes", 30)
    if not cycles and not minutes:
        r.bad(key, "needs at least one length: cycles = [...] or minutes = [...]")
    title = r.text(node, key, "title", MAX_TITLE)
    return Breathing(key.split(".", 1)[1], title, r.text(node, key, "intro"), tuple(phases), cycles, minutes)


def _guided(r: _Reader, key: str, node: Any) -> Guided:
    node = r.table(node, key, ("title", "intro", "minutes", "steps"))
    steps = []
    for i, raw in enumerate(r.items(node, key, "steps")):
        skey = f"{key}.steps[{i}]"
        raw = r.table(raw, skey, ("say", "weight", "check"))
        weight = raw.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 100:
            r.bad(f"{skey}.weight", f"must be a number above 0 and at most 100, got {weight!r}")
            weight = 1
        check = raw.get("check", False)
        if not isinstance(check, bool):
            r.bad(f"{skey}.check", "must be true or false")
            check = False
        steps.append(Step(r.text(raw, skey, "say"), float(weight), check))
    if steps and steps[-1].check:
        r.bad(
            f"{key}.steps[{len(steps) - 1}].check", "the last step cannot check (the craving is rated after)"
        )
    minutes = r.numbers(node, key, "minutes", 60)
    if not minutes:
        r.bad(f"{key}.minutes", "must offer at least one length in minutes")
    if steps and minutes:
        shortest = minutes[0] * 60 * min(s.weight for s in steps) / sum(s.weight for s in steps)
        if shortest < MIN_STEP_SECONDS:
            r.bad(f"{key}.steps", f"a step would last {shortest:.1f} s at {minutes[0]} min (at least 5 s)")
    title = r.text(node, key, "title", MAX_TITLE)
    return Guided(key.split(".", 1)[1], title, r.text(node, key, "intro"), minutes, tuple(steps))


def _group(r: _Reader, data: dict[str, Any], section: str, parse: Any) -> dict[str, Any]:
    node = data.get(section)
    if not isinstance(node, dict) or not node:
        r.bad(section, "missing: at least one exercise is needed")
        return {}
    out = {}
    for ident, raw in node.items():
        key = f"{section}.{ident}"
        if not _ID_RE.match(ident):
            r.bad(key, "id must be lower case letters, digits or _ (at most 20, starting with a letter)")
        elif section == "guided" and ident in FIXED_TOOLS:
            r.bad(key, f"id is taken by a built-in tool ({', '.join(FIXED_TOOLS)})")
        out[ident] = parse(r, key, raw)
    return out


def _grounding(r: _Reader, node: Any) -> Grounding:
    node = r.table(node, "grounding", ("intro", "senses"))
    senses = []
    for i, raw in enumerate(r.items(node, "grounding", "senses")):
        key = f"grounding.senses[{i}]"
        raw = r.table(raw, key, ("count", "say"))
        senses.append(Sense(r.whole(raw.get("count"), f"{key}.count", 1, 10), r.text(raw, key, "say")))
    return Grounding(r.text(node, "grounding", "intro"), tuple(senses))


def _texts(r: _Reader, node: dict[str, Any], key: str, field: str) -> tuple[str, ...]:
    out = []
    for i, value in enumerate(r.items(node, key, field)):
        if not isinstance(value, str) or not value.strip():
            r.bad(f"{key}.{field}[{i}]", "must be non-empty text")
        elif len(value) > MAX_TEXT:
            r.bad(f"{key}.{field}[{i}]", f"too long ({len(value)} characters, at most {MAX_TEXT})")
        else:
            out.append(value.strip())
    return tuple(out)


def _tape(r: _Reader, node: Any) -> Tape:
    node = r.table(node, "tape", ("intro", "steps", "reasons_intro", "no_reasons"))
    return Tape(
        r.text(node, "tape", "intro"),
        _texts(r, node, "tape", "steps"),
        r.text(node, "tape", "reasons_intro"),
        r.text(node, "tape", "no_reasons"),
    )


def _ideas(r: _Reader, node: Any) -> Ideas:
    node = r.table(node, "ideas", ("intro", *PERIODS))
    periods = {p: _texts(r, node, "ideas", p) for p in PERIODS}
    return Ideas(r.text(node, "ideas", "intro"), periods)


def parse(text: str, file: str) -> tuple[Exercises | None, list[str]]:
    """One file's exercises and its problems (the exercises are None when there is any problem)."""
    r = _Reader(file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [f"{file}: not valid TOML: {exc}"]
    for extra in sorted(set(data) - set(SECTIONS)):
        r.bad(extra, f"unknown section (expected one of: {', '.join(SECTIONS)})")
    for single in ("grounding", "tape", "ideas"):
        if single not in data:
            r.bad(single, "missing section")
    found = Exercises(
        breathing=_group(r, data, "breathing", _breathing),
        guided=_group(r, data, "guided", _guided),
        grounding=_grounding(r, data.get("grounding", {})),
        tape=_tape(r, data.get("tape", {})),
        ideas=_ideas(r, data.get("ideas", {})),
    )
    return (None if r.problems else found), r.problems
