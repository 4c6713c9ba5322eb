"""The Stanley-Brown safety plan: its sections, and the lines shown in a crisis reply."""

from __future__ import annotations

from typing import Any

# The seven steps, in the order the plan is built. Keys are stable; texts live in content/safetyplan.
SECTIONS = ("warning_signs", "coping", "distraction", "people", "professionals", "environment", "reasons")

# What a crisis reply shows first: who to call, how to stay safe, why to stay.
CRISIS_ORDER = ("people", "professionals", "coping", "environment", "reasons")


def crisis_lines(sections: dict[str, Any]) -> list[str]:
    """The plan's most useful entries for a crisis, in the patient's own words."""
    lines: list[str] = []
    for key in CRISIS_ORDER:
        entries = sections.get(key) or []
        if isinstance(entries, str):
            entries = [entries]
        lines.extend(str(e) for e in entries if str(e).strip())
    return lines[:12]
