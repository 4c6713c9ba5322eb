"""Screens messages from standard input, one per line, and writes one JSON object per line.

$ printf 'I want to die\\nthis traffic is killing me\\n' | python -m bot screen
{"level": "crisis", "reasons": ["suicidal_ideation"]}
{"level": "none", "reasons": []}
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from bot.safety.screener import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, screen


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="screen",
        description="Screen messages (one per line on stdin) for risk; one JSON line each.",
    )
    parser.add_argument(
        "--lang",
        default=DEFAULT_LANGUAGE,
        help=f"lexicon language ({', '.join(SUPPORTED_LANGUAGES)}); others fall back to English",
    )
    return parser


def main(argv: list[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Reads messages from ``stdin`` and writes ``{"level": ..., "reasons": [...]}`` lines."""
    args = _parser().parse_args(argv)
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
