"""Screens messages from standard input, one per line, and writes one JSON object per line.

Every language's lexicon reads each message (as the bot does); ``--lang`` narrows to one.

$ printf 'I want to die\\nthis traffic is killing me\\n' | python -m bot screen
{"level": "crisis", "reasons": ["suicidal_ideation"]}
{"level": "none", "reasons": []}
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from bot.safety.screener import SUPPORTED_LANGUAGES, screen


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="screen",
        description="Screen messages (one per line on stdin) for risk; one JSON line each.",
    )
    parser.add_argument(
        "--lang",
        default=None,
        help=f"screen with one lexicon only ({', '.join(SUPPORTED_LANGUAGES)}); default: all of them",
    )
    return parser


def main(argv: list[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Reads messages from ``stdin`` and writes ``{"level": ..., "reasons": [...]}`` lines."""
    args = _parser().parse_args(argv)
    if args.lang is not None and args.lang.split("-")[0].lower() not in SUPPORTED_LANGUAGES:
        known = ", ".join(SUPPORTED_LANGUAGES)
        print(f"screen: no screening lexicon for language {args.lang!r} (known: {known})", file=sys.stderr)
        return 2
    source = stdin if stdin is not None else sys.stdin
    sink = stdout if stdout is not None else sys.stdout
    for line in source:
        result = screen(line.rstrip("\r\n"), args.lang)
        sink.write(json.dumps({"level": result.level.label, "reasons": list(result.reasons)}))
        sink.write("\n")
    sink.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
