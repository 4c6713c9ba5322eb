"""Benchmark of the risk screener: speed per message and accuracy over the labelled sets.

    .venv/bin/python bench/screening.py [--repeat 20]

Prints, per language: mean, median and p99 microseconds per message over the labelled set
repeated, messages per second, the mean over harmless messages alone (typical traffic), recall on
risk rows (any risk level, and at least the labelled level), the false-positive rate on rows
labelled none, and the time for a 10,000-character message.
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.safety.screener import SUPPORTED_LANGUAGES, Level, screen  # noqa: E402

CASE_FILES = {
    "en": ROOT / "tests" / "safety" / "screener_cases.tsv",
    "es": ROOT / "tests" / "safety" / "screener_cases_es.tsv",
}
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def load(path: Path) -> list[tuple[Level, str]]:
    """(expected level, text) rows of a labelled set, ``\\uXXXX`` escapes decoded."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            (Level[r["level"].upper()], _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), r["text"]))
            for r in rows
        ]


def timings(texts: list[str], lang: str, repeat: int) -> list[float]:
    """Microseconds per call, for every text, ``repeat`` times over."""
    screen(texts[0], lang)  # compile the lexicon outside the measurement
    samples = []
    for _ in range(repeat):
        for text in texts:
            started = time.perf_counter_ns()
            screen(text, lang)
            samples.append((time.perf_counter_ns() - started) / 1000)
    return samples


def accuracy(cases: list[tuple[Level, str]], lang: str) -> tuple[float, float, float]:
    """Recall (any risk level), recall at the labelled level, and false-positive rate."""
    results = [(expected, screen(text, lang).level) for expected, text in cases]
    risky = [(e, got) for e, got in results if e >= Level.CONCERN]
    harmless = [got for e, got in results if e == Level.NONE]
    recall = sum(got >= Level.CONCERN for _, got in risky) / len(risky)
    level_recall = sum(got >= e for e, got in risky) / len(risky)
    return recall, level_recall, sum(got >= Level.CONCERN for got in harmless) / len(harmless)


def report(lang: str, repeat: int) -> None:
    cases = load(CASE_FILES[lang])
    samples = sorted(timings([text for _, text in cases], lang, repeat))
    benign = timings([text for level, text in cases if level == Level.NONE], lang, repeat)
    mean = statistics.fmean(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    recall, level_recall, fpr = accuracy(cases, lang)
    long_text = ("so tired of this week " * 460)[:9_980] + " kill myself"
    started = time.perf_counter()
    screen(long_text, lang)
    long_ms = (time.perf_counter() - started) * 1000
    risky = sum(e >= Level.CONCERN for e, _ in cases)
    print(f"[{lang}] {len(cases)} messages ({risky} risk, {len(cases) - risky} none) x {repeat}")
    print(f"  mean {mean:.1f} us, median {statistics.median(samples):.1f} us, p99 {p99:.1f} us")
    print(f"  {1_000_000 / mean:,.0f} messages/s; 10k-character message {long_ms:.2f} ms")
    print(f"  messages labelled none only (typical traffic): mean {statistics.fmean(benign):.1f} us")
    print(f"  recall {recall:.3f} (at its level {level_recall:.3f}), false-positive rate {fpr:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="passes over each labelled set")
    args = parser.parse_args(argv)
    for lang in SUPPORTED_LANGUAGES:
        if CASE_FILES.get(lang, Path()).is_file():
            report(lang, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
