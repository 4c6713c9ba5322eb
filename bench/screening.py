"""Benchmark of the risk screener: accuracy per language and category, and time per message.

    .venv/bin/python bench/screening.py [--repeat 5] [--lang-mode all|row] [--code DIR] [--misses]

Reads every ``tests/safety/sets/*.tsv`` (columns level, category, style, text; see the README
there) and the older ``tests/safety/screener_cases*.tsv`` (level, category, [style,] text; the
``_fresh`` file mixes English and Spanish). For each
language and category it prints: recall at crisis or above for crisis and emergency rows, the share
of emergency rows at emergency, recall at concern or above for concern rows, and the false-alarm
rate of ``none`` rows at crisis or above and at concern or above. Then the mean and p99
microseconds per message, screening in every language as the bot does (``--lang-mode row``
screens each row with its file's language only, which is how the older screener was called), and
a last line ``recall <r> emergency_at_level <e> false_pos <f>``: r over crisis and emergency rows,
e over emergency rows, f over hard negatives (at crisis or above). ``--code DIR`` measures the
``bot`` package of another checkout (for before/after figures).
"""

from __future__ import annotations

import argparse
import csv
import inspect
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETS = ROOT / "tests" / "safety" / "sets"
OLD_SETS = {
    "en": ROOT / "tests" / "safety" / "screener_cases.tsv",
    "es": ROOT / "tests" / "safety" / "screener_cases_es.tsv",
    "en+es": ROOT / "tests" / "safety" / "screener_cases_fresh.tsv",
}
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
LEVELS = {"none": 0, "concern": 1, "crisis": 2, "emergency": 3}


@dataclass(frozen=True)
class Row:
    lang: str
    source: str
    level: int
    category: str
    style: str
    text: str


def load(path: Path, lang: str) -> list[Row]:
    """The rows of one labelled file, ``\\uXXXX`` escapes decoded."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            Row(
                lang,
                path.name,
                LEVELS[r["level"].strip().lower()],
                r["category"].strip(),
                (r.get("style") or "").strip(),
                _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), r["text"]),
            )
            for r in reader
            if r.get("text")
        ]


def all_rows() -> list[Row]:
    rows = [row for path in sorted(SETS.glob("*.tsv")) for row in load(path, path.stem.split("_")[0])]
    return rows + [row for lang, path in OLD_SETS.items() if path.is_file() for row in load(path, lang)]


def screener(code: Path | None, mode: str) -> Callable[[Row], int]:
    """A function giving a row's screened level, with the screener of ``code`` (or this tree)."""
    sys.path.insert(0, str(code or ROOT))
    from bot.safety.screener import screen

    takes_none = inspect.signature(screen).parameters["lang"].default is None
    if mode == "row" or not takes_none:
        return lambda row: int(screen(row.text, row.lang).level)
    return lambda row: int(screen(row.text).level)


def _share(values: list[bool]) -> str:
    return f"{sum(values) / len(values):.3f} ({sum(values)}/{len(values)})" if values else "-"


def category_line(rows: list[tuple[Row, int]]) -> str:
    """The figures that apply to one group of rows."""
    risky = [got >= 2 for row, got in rows if row.level >= 2]
    emergency = [got >= 3 for row, got in rows if row.level == 3]
    concern = [got >= 1 for row, got in rows if row.level == 1]
    none = [got for row, got in rows if row.level == 0]
    parts = []
    if risky:
        parts.append(f"recall@crisis {_share(risky)}")
    if emergency:
        parts.append(f"emergency@emergency {_share(emergency)}")
    if concern:
        parts.append(f"concern_recall {_share(concern)}")
    if none:
        parts.append(f"false@crisis {_share([g >= 2 for g in none])}")
        parts.append(f"false@concern {_share([g >= 1 for g in none])}")
    return ", ".join(parts)


def accuracy(results: list[tuple[Row, int]], show_misses: bool) -> None:
    groups: dict[tuple[str, str, str], list[tuple[Row, int]]] = defaultdict(list)
    for row, got in results:
        groups[(row.source, row.lang, row.category)].append((row, got))
    for lang in sorted({row.lang for row, _ in results}):
        rows = [(row, got) for row, got in results if row.lang == lang]
        print(f"[{lang}] all rows n={len(rows)}: {summary(rows)}")
    for (source, lang, category), rows in sorted(groups.items()):
        print(f"[{source} {lang}] {category:16} n={len(rows):4}  {category_line(rows)}")
        if show_misses:
            for row, got in rows:
                wrong = (row.level >= 1 and got < min(row.level, 2)) or (row.level == 3 and got < 3)
                if wrong or (row.level == 0 and got >= 1):
                    print(f"    {row.level}->{got} [{row.style}] {row.text}")


def timing(rows: list[Row], level_of: Callable[[Row], int], repeat: int) -> None:
    """Wall-clock time per message (mean, p99) and the process's CPU time per message (mean).

    On a shared machine the wall clock also counts time spent waiting for a CPU; the CPU time is
    what one message costs the bot.
    """
    samples = []
    cpu_started = time.process_time_ns()
    for _ in range(repeat):
        for row in rows:
            started = time.perf_counter_ns()
            level_of(row)
            samples.append((time.perf_counter_ns() - started) / 1000)
    cpu = (time.process_time_ns() - cpu_started) / 1000 / len(samples)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    mean = statistics.fmean(samples)
    print(
        f"time per message: mean {mean:.1f} us, p99 {p99:.1f} us, cpu mean {cpu:.1f} us "
        f"({len(rows)} x {repeat})"
    )


def summary(results: list[tuple[Row, int]]) -> str:
    """``recall <r> emergency_at_level <e> false_pos <f>`` over these rows."""
    r = [got >= 2 for row, got in results if row.level >= 2]
    e = [got >= 3 for row, got in results if row.level == 3]
    f = [got >= 2 for row, got in results if row.category == "hard_negative"]
    share = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    return f"recall {share(r):.3f} emergency_at_level {share(e):.3f} false_pos {share(f):.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes over the rows for timing")
    parser.add_argument("--lang-mode", choices=["all", "row"], default="all")
    parser.add_argument("--code", type=Path, help="a checkout whose bot package to measure")
    parser.add_argument("--misses", action="store_true", help="print each miss and false alarm")
    args = parser.parse_args(argv)
    rows = all_rows()
    level_of = screener(args.code, args.lang_mode)
    results = [(row, level_of(row)) for row in rows]
    accuracy(results, args.misses)
    timing(rows, level_of, args.repeat)
    new_sets = [(row, got) for row, got in results if not row.source.startswith("screener_cases")]
    print(f"tests/safety/sets only: {summary(new_sets)}")
    print(summary(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
