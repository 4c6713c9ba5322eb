"""The longest event-loop stall during a burst of SQLite writes, through the bot's own ``Database``.

A ticker task asks the loop to wake it every millisecond and records how late each wake-up came, while
``--writers`` tasks each commit ``--transactions`` writing transactions (``--rows`` rows of 1 KiB
each, enough to make SQLite checkpoint its write-ahead log several times). A stall is time in which the
loop could run nothing else: a statement or a commit's disk write done on the loop's own thread, or a
long stretch of Python. A crisis reply waits for as long as the longest one. Each writer gives the loop
back between two transactions, as the update processor does between two updates. With one writer
(the default) the ticker's lateness is the longest stretch the loop spent on one step of it; with
several, it also counts the other writers' steps queued before the ticker (CPU, not the disk).

    python bench/loop_stall.py [--writers 1] [--transactions 600] [--rows 20]

Prints the writes per second, the p50/p99 of the ticker's lateness, and a last line
``max_stall_ms <x>``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.db.engine import Database, make_engine  # noqa: E402

TICK = 0.001
BODY = "x" * 1024


async def ticker(lateness: list[float], stop: asyncio.Event) -> None:
    """Records, for each 1 ms sleep, how much later than asked the loop woke it."""
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(TICK)
        lateness.append(time.perf_counter() - asked - TICK)


async def writer(db: Database, transactions: int, rows: int) -> None:
    for _ in range(transactions):
        async with db.transaction() as session:
            for _ in range(rows):
                await session.execute(text("INSERT INTO burst (body) VALUES (:b)"), {"b": BODY})
        await asyncio.sleep(0)  # between two updates the processor always gives the loop back


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(make_engine(f"sqlite+aiosqlite:///{Path(folder) / 'stall.db'}"))
        async with db.transaction() as session:
            await session.execute(text("CREATE TABLE burst (id INTEGER PRIMARY KEY, body TEXT)"))
        lateness: list[float] = []
        stop = asyncio.Event()
        tick = asyncio.create_task(ticker(lateness, stop))
        began = time.perf_counter()
        await asyncio.gather(*(writer(db, args.transactions, args.rows) for _ in range(args.writers)))
        elapsed = time.perf_counter() - began
        stop.set()
        await tick
        await db.dispose()
    total = args.writers * args.transactions
    ms = sorted(x * 1000 for x in lateness)
    print(f"{total} transactions in {elapsed:.2f} s ({total / elapsed:.0f}/s)")
    print(f"ticker lateness: p50 {statistics.median(ms):.2f} ms, p99 {ms[int(len(ms) * 0.99)]:.2f} ms")
    print(f"max_stall_ms {ms[-1]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--transactions", type=int, default=600)
    parser.add_argument("--rows", type=int, default=20)
    asyncio.run(main(parser.parse_args()))
