"""``python -m bot content check``: every content file a clinic may edit, checked in one pass."""

from __future__ import annotations

from pathlib import Path

from bot.content.store import check_dir
from bot.safety import helplines


def check_all(root: Path, default_language: str = "en") -> list[str]:
    """All problems as ``file: key: what is wrong`` lines; empty when the content is sound."""
    problems = check_dir(root, default_language)
    path = root / "helplines.toml"
    problems += helplines.check(path) if path.exists() else [f"{path}: missing"]
    return problems
