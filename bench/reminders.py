"""Reminders at scale: start-up and memory with 100,000 patients, then a burst of 3,000 due in one minute.

What runs: the real bot process (``python -m bot run``) against a fake Bot API server on loopback in this
process (``rate_limit_per_second=30``, one message per second per chat, answering 429 with retry_after
beyond that, as Telegram does). The real process is used rather than the dispatcher in-process so that
start-up (migration, key check, planning) and memory are those of the program a clinic runs; the clock
is therefore real.

1. A temporary SQLite database is migrated to head and filled with onboarded patients by SQLAlchemy
   Core bulk inserts: check-in times spread over the day, in a few time zones, no reminder planned yet,
   so the bot's start-up plans every patient's next check-in (the first start after an upgrade, the
   heaviest one). The spread leaves out the minutes of this run, so that the only reminders due while
   it runs are the burst's. The weekly reminders of other features (measures, summary) are planned in
   bulk before the bot starts, unless ``--cold``, which leaves them to the bot's own start-up planners
   too (they plan in bulk as well; about 3 s each for 100,000 patients).
2. The burst: ``--burst`` of the patients get the check-in time that is, in their own time zone, the
   same minute about 60-90 s after the bot is started.
3. Measured: start-up (process start until the bot long-polls, i.e. answers patients; planning every
   patient's next reminders then goes on in the background, in short transactions), when each kind's
   planning was complete (the count of planned reminders is checked), peak memory (VmHWM of the bot
   process), the send rate for the burst as a ratio of the 30/s limit (messages from the first to the
   last of the burst), lateness (when the fake received the message minus the due time, p50/p99),
   duplicates (a patient reminded more than once) and lost reminders (due in the burst, never sent).

Bounded: the burst is given 1.5 times what it needs at the limit, plus 30 s, after its due time (about
3 minutes for 3,000); the whole run takes under 6 minutes and stops by itself. Loopback only.
The last line printed is ``rate_ratio <r> duplicates <n> lost <n>``.

    python bench/reminders.py [--patients 100000] [--burst 3000] [--content-dir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import create_engine, insert  # noqa: E402

from bot.db.migrate import upgrade_to_head  # noqa: E402
from bot.db.models import Patient  # noqa: E402
from bot.devtools.fake_bot_api import FakeBotApi  # noqa: E402
from bot.devtools.fake_bot_api_http import FakeBotApiServer  # noqa: E402

TOKEN = "123456:TEST-token-for-reminders-bench"
ZONES = ("Europe/London", "Europe/Dublin", "America/New_York", "Asia/Kolkata", "Australia/Sydney")
LIMIT = 30.0  # Telegram's bulk limit, messages per second (the fake enforces it)
FIRST_CHAT = 10_000_000
START_TIMEOUT = 240.0
_CLEARED_ENV = ("BOT_TOKEN", "BOT_API_URL", "DATABASE_URL", "ENCRYPTION_KEYS", "ENCRYPTION_KEY_FILE")


# -- the data ----------------------------------------------------------------------------------------
def hhmm(instant: dt.datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def busy_minutes(start: dt.datetime, minutes: int, zone: str) -> set[int]:
    """Local minutes of the day (0-1439) in ``zone`` whose reminders could fall within the run.

    From 70 minutes before: the weekly reminders come 30 and 60 minutes after the check-in time.
    """
    local = [start + dt.timedelta(minutes=m) for m in range(-70, minutes)]
    return {t.astimezone(ZoneInfo(zone)).hour * 60 + t.astimezone(ZoneInfo(zone)).minute for t in local}


def patient_rows(count: int, burst: int, now: dt.datetime) -> list[dict]:
    """Onboarded patients, check-in times spread over the day (the first ``burst`` get theirs later)."""
    busy = {zone: busy_minutes(now, 12, zone) for zone in ZONES}
    onboarded = now - dt.timedelta(days=10)
    rows = []
    for i in range(count):
        zone = ZONES[i % len(ZONES)]
        minute = (i * 7919) % 1440
        while minute in busy[zone]:
            minute = (minute + 37) % 1440
        rows.append(
            {
                "chat_id": FIRST_CHAT + i,
                "label": f"B-{i:07d}",
                "consent_at": onboarded,
                "language": "en",
                "country": "GB",
                "timezone": zone,
                "substance": "ketamine",
                "quit_date": onboarded.date(),
                "checkin_time": f"{minute // 60:02d}:{minute % 60:02d}",
                "onboarded_at": onboarded,
                "active": True,
                "created_at": onboarded,
                "updated_at": onboarded,
            }
        )
    return rows


def fill(url: str, rows: list[dict]) -> None:
    engine = create_engine(url.replace("+aiosqlite", ""))
    with engine.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(Patient.__table__), rows[start : start + 10_000])
    engine.dispose()
    with sqlite3.connect(url.split("///", 1)[1]) as conn:  # as the bot sets it; readers never block it
        conn.execute("PRAGMA journal_mode=WAL")


def set_burst(db: Path, burst: int, burst_at: dt.datetime) -> None:
    """The first ``burst`` patients: the check-in time that is ``burst_at`` in each one's time zone."""
    with sqlite3.connect(db) as conn:
        for n, zone in enumerate(ZONES):
            conn.execute(
                "UPDATE patients SET checkin_time = ? WHERE chat_id < ? AND (chat_id - ?) % ? = ?",
                (hhmm(burst_at, zone), FIRST_CHAT + burst, FIRST_CHAT, len(ZONES), n),
            )


async def preplan_weekly_kinds(url: str) -> dict[str, int]:
    """Plans the weekly measures and summary reminders in bulk before the bot starts (see --cold).

    Their own start-up planners still go patient by patient (a few ms each: minutes for 100,000), which
    would hide the check-in planning and the burst; this uses their own "next moment" rules.
    """
    from types import SimpleNamespace

    from bot.config import load_config
    from bot.db.engine import Database, make_engine
    from bot.reminders import planning

    config = load_config(
        ROOT / "config.toml", env={"DATABASE_URL": url, "CONFIG_FILE": str(ROOT / "config.toml")}
    )
    weekday = config.reminders.weekly_day
    kinds: dict[str, planning.NextMoment] = {}
    try:
        from bot.measures.schedule import KIND as WEEKLY
        from bot.measures.schedule import next_weekly

        kinds[WEEKLY] = lambda s, after: next_weekly(s, weekday, after)
    except ImportError:
        pass
    try:
        from bot.progress.summary import KIND as SUMMARY
        from bot.progress.summary import next_summary_day

        services = SimpleNamespace(config=config)
        kinds[SUMMARY] = lambda s, after: next_summary_day(services, s, after)  # type: ignore[arg-type]
    except ImportError:
        pass
    db = Database(make_engine(url))
    planned = {}
    now = dt.datetime.now(dt.UTC)
    for kind, next_moment in kinds.items():
        async with db.transaction() as session:
            planned[kind] = await planning.plan_missing(planning.within(session), kind, next_moment, now)
    await db.dispose()
    return planned


def pending_by_kind(db: Path) -> dict[str, int]:
    with sqlite3.connect(db, timeout=30) as conn:
        query = "SELECT kind, count(*) FROM reminders WHERE status = 'pending' GROUP BY kind"
        return dict(conn.execute(query).fetchall())


async def watch_planning(db: Path, started: float, seen: dict[str, float]) -> None:
    """Notes when each kind's start-up planning was complete (its pending count stopped growing after
    it had grown)."""
    before = pending_by_kind(db)
    while True:
        await asyncio.sleep(0.25)
        now = await asyncio.to_thread(pending_by_kind, db)
        for kind, count in now.items():
            if count > before.get(kind, 0):
                seen[kind] = time.monotonic() - started
        before = now


async def wait_planned(db: Path, patients: int, timeout: float) -> int:  # noqa: ASYNC109
    """Waits until every patient has a check-in reminder planned (or the timeout); returns the count."""
    deadline = time.monotonic() + timeout
    while True:
        planned = (await asyncio.to_thread(pending_by_kind, db)).get("checkin", 0)
        if planned >= patients or time.monotonic() > deadline:
            return planned
        await asyncio.sleep(0.25)


# -- the bot process ---------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(VmHWM, VmRSS) of a process in MB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmHWM", math.nan), values.get("VmRSS", math.nan)


async def start_bot(
    env: dict[str, str], api: FakeBotApi, log: Path
) -> tuple[asyncio.subprocess.Process, float]:
    """Starts ``python -m bot run``; returns it and the seconds until it long-polled."""
    started = time.monotonic()
    with log.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=err, stderr=err,
        )  # fmt: skip
    while api.call_counts["getUpdates"] == 0:
        if proc.returncode is not None or time.monotonic() - started > START_TIMEOUT:
            raise RuntimeError("the bot did not start polling:\n" + log.read_text(errors="replace")[-3000:])
        await asyncio.sleep(0.01)
    return proc, time.monotonic() - started


async def stop_bot(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), 10)
    except TimeoutError:
        proc.kill()
        await proc.wait()


# -- the run -----------------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else math.nan


async def run(args: argparse.Namespace, workdir: Path) -> str:
    db = workdir / "bench.db"
    url = f"sqlite+aiosqlite:///{db}"
    t = time.monotonic()
    upgrade_to_head(url)
    fill(url, patient_rows(args.patients, args.burst, dt.datetime.now(dt.UTC)))
    if not args.cold:
        done = await preplan_weekly_kinds(url)
        print(
            "pre-planned before the start (not measured): " + ", ".join(f"{k} {n}" for k, n in done.items())
        )
    # The burst: the first whole minute at least 60 s ahead; the bot starts 60-90 s before it.
    now = dt.datetime.now(dt.UTC)
    burst_at = (now + dt.timedelta(seconds=60 + 59)).replace(second=0, microsecond=0)
    set_burst(db, args.burst, burst_at)
    took = time.monotonic() - t
    print(f"data: {args.patients} patients in {took:.1f} s; {args.burst} due at {burst_at:%H:%M} UTC")
    wait = (burst_at - dt.timedelta(seconds=90) - dt.datetime.now(dt.UTC)).total_seconds()
    if wait > 0:
        await asyncio.sleep(wait)

    api = FakeBotApi(rate_limit_per_second=LIMIT, per_chat_per_second=1.0)
    server = FakeBotApiServer(api)
    base_url = await server.start("127.0.0.1", 0)
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED_ENV}
    env.update(
        BOT_TOKEN=TOKEN,
        BOT_API_URL=base_url,
        DATABASE_URL=url,
        ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ENCRYPTION_KEY_FILE=str(workdir / "key"),
        LOG_LEVEL="WARNING",
    )
    if args.content_dir:
        env["CONTENT_DIR"] = str(Path(args.content_dir).resolve())
    run_started = time.monotonic()
    wall_offset = time.time() - time.monotonic()  # monotonic (the fake's record times) -> epoch
    planned_at: dict[str, float] = {}
    watcher = asyncio.create_task(watch_planning(db, run_started, planned_at))
    try:
        proc, startup = await start_bot(env, api, workdir / "bot.log")
    except BaseException:
        watcher.cancel()
        raise
    try:
        planned = await wait_planned(db, args.patients, timeout=60.0)
        watcher.cancel()
        hwm_start, rss_start = peak_rss_mb(proc.pid)
        lead = (burst_at.timestamp() - wall_offset) - run_started
        print(f"start-up: {startup:.2f} s until long polling (answering patients)")
        steps = ", ".join(
            f"{kind} at {at:.1f} s" for kind, at in sorted(planned_at.items(), key=lambda x: x[1])
        )
        print(f"  planning complete in the background: {steps or '-'} (seen every 0.25 s)")
        print(f"  {planned} check-in reminders planned")
        print(f"memory after start-up: peak {hwm_start:.0f} MB, now {rss_start:.0f} MB")
        print(f"burst due {lead:.0f} s after the bot was started; waiting for it")
        burst_chats = {FIRST_CHAT + i for i in range(args.burst)}
        due = burst_at.timestamp() - wall_offset  # as monotonic time
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        cpu_due = cpu_seconds(proc.pid)
        deadline = due + args.burst / LIMIT * 1.5 + 30
        while time.monotonic() < deadline:
            reminded = {r.chat_id for r in api.sent if r.method == "sendMessage" and r.chat_id in burst_chats}
            if len(reminded) == len(burst_chats) and time.monotonic() > due + 5:
                await asyncio.sleep(3)  # a late duplicate would show up now
                break
            await asyncio.sleep(0.5)
        hwm, rss = peak_rss_mb(proc.pid)
        cpu_burst = cpu_seconds(proc.pid) - cpu_due
    finally:
        await stop_bot(proc)
        await server.stop()

    to_patients = [r for r in api.sent if r.method == "sendMessage" and r.chat_id >= FIRST_CHAT]
    burst = sorted((r for r in to_patients if r.chat_id in burst_chats), key=lambda r: r.at)
    per_chat = Counter(r.chat_id for r in to_patients)
    duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
    lost = len(burst_chats - set(per_chat))
    unexpected = len(set(per_chat) - burst_chats)
    lateness = [r.at - due for r in burst]
    span = burst[-1].at - burst[0].at if len(burst) > 1 else math.nan
    rate = (len(burst) - 1) / span if len(burst) > 1 else 0.0
    print(f"memory over the run: peak {hwm:.0f} MB (VmHWM), at the end {rss:.0f} MB")
    print(
        f"burst: {len(burst)} sent in {span:.1f} s = {rate:.2f}/s = {rate / LIMIT:.3f} of {LIMIT:.0f}/s; "
        f"429 answers {api.rate_limited_count}"
    )
    print(
        f"lateness: p50 {percentile(lateness, 50):.1f} s, p99 {percentile(lateness, 99):.1f} s, "
        f"max {max(lateness, default=math.nan):.1f} s (first {min(lateness, default=math.nan):.2f} s)"
    )
    per_message = 1000 * cpu_burst / max(1, len(burst))
    print(f"bot CPU during the burst: {cpu_burst:.1f} s, {per_message:.1f} ms a message")
    print(f"other patients messaged while it ran: {unexpected}")
    targets = [
        ("start-up < 5 s", startup < 5.0),
        ("peak memory < 300 MB", hwm < 300.0),
        ("rate >= 0.95 of the limit", rate / LIMIT >= 0.95),
        ("no duplicates", duplicates == 0),
        ("none lost", lost == 0),
        ("all planned at start-up", planned >= args.patients),
    ]
    print("targets: " + ", ".join(f"{name}: {'ok' if ok else 'MISSED'}" for name, ok in targets))
    return f"rate_ratio {rate / LIMIT:.3f} duplicates {duplicates} lost {lost}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--burst", type=int, default=3_000)
    parser.add_argument(
        "--cold",
        action="store_true",
        help="leave every kind to the bot's start-up planners (the heaviest first start)",
    )
    parser.add_argument("--content-dir", help="content folder for the bot (default: the repository's)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, log)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    try:
        last = asyncio.run(run(args, workdir))
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(last)


if __name__ == "__main__":
    main()
