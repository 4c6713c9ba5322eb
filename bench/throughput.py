"""Message throughput of the real bot against a bare python-telegram-bot echo bot.

Both run as a child process (``sys.executable``) long polling the same fake Bot API server, which runs
in this process on loopback. The same simulated patients send the same messages to both, each patient
waiting for the reply before sending the next one (``--mode closed``, the default: one message in
flight per patient, like people typing), or everything pushed at once (``--mode burst``).

(A) ``python -m bot run`` with SQLite in a temporary folder. The patients first consent through the real
    flow (not timed), then cycle through ``/start`` -> "Ireland" -> ``/cancel``: the country step, the
    timezone question, cancelling set-up. Every message writes to the database (the flow state is
    created, moved, deleted; the update itself is stored and removed), and each gets exactly one reply.
    The bot gets a copy of the content folder with the default language only (``--all-languages`` for
    all of it): with more than one language, set-up starts with a language step that only takes a
    button, and the same cycle of typed messages is measured as before other languages were added.
(B) An echo bot: ``ApplicationBuilder().token(...).base_url(...)``, one ``MessageHandler`` sending the
    text back, ``run_polling``. This file starts itself with ``--echo-bot`` for that.

Our bot is measured in its steady state: the bench waits until it has logged that its start-up jobs
(planning reminders, loading matplotlib for the charts; done in the background once it answers) are
finished. A warm-up (``--warmup`` messages, default one cycle per patient) runs before the timed part
and is not counted. Messages/second are counted from the first timed push to the last timed reply; latency is
from a push to its reply. The two bots run one after the other, ``--rounds`` times (default 3; each
round starts both afresh), because a shared machine's speed drifts by tens of percent from one minute to
the next; the last line printed is ``ratio <ours/echo>``, the median of the rounds' ratios.

    python bench/throughput.py [--messages 2000] [--patients 50] [--mode closed|burst] [--rounds 3]
                               [--latency SECONDS]
                               [--profile ours.prof]

``--latency`` makes the Bot API server wait before each answer, as Telegram's own does (tens of
milliseconds): both bots then spend most of their time waiting for replies rather than computing.

``--profile`` runs our bot under cProfile (from the first timed message to the last reply) and writes the
statistics to that file: ``python -m pstats ours.prof``, or ``snakeviz``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.content import Content  # noqa: E402
from bot.devtools.fake_bot_api import FakeBotApi, SentRecord  # noqa: E402
from bot.devtools.fake_bot_api_http import FakeBotApiServer  # noqa: E402
from bot.handlers.features import STARTUP_JOBS_DONE  # noqa: E402

TOKEN = "123456:TEST-token-for-throughput-bench"
CYCLE = ("Ireland", "/cancel", "/start")  # from the country step back to the country step
START_TIMEOUT = 30.0
_CLEARED_ENV = (
    "BOT_TOKEN",
    "BOT_API_URL",
    "CONTENT_DIR",
    "DATABASE_URL",
    "ENCRYPTION_KEYS",
    "ENCRYPTION_KEY_FILE",
)


# -- the echo bot (runs in its own process) ---------------------------------------------------------
def run_echo_bot(base_url: str) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_message(update.effective_chat.id, update.effective_message.text)  # type: ignore[union-attr, arg-type]

    app = ApplicationBuilder().token(TOKEN).base_url(base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(poll_interval=0.0, timeout=30, allowed_updates=Update.ALL_TYPES)


# -- our bot under cProfile (its own process; --profile) ----------------------------------------------
def run_profiled_bot(out: str) -> None:
    """``python -m bot run`` with cProfile switched on by SIGUSR1 and written out on SIGTERM."""
    import cProfile
    import signal

    from bot.cli import main as bot_main

    profile = cProfile.Profile()

    def start(*_: object) -> None:
        profile.enable()

    def stop(*_: object) -> None:
        profile.disable()
        profile.dump_stats(out)
        os._exit(0)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGTERM, stop)
    sys.exit(bot_main(["run"]))


# -- replies, per chat ------------------------------------------------------------------------------
class Inbox:
    """Delivers every sendMessage the fake records to a queue per chat."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self.queues: dict[int, asyncio.Queue[SentRecord]] = defaultdict(asyncio.Queue)
        self._since = len(api.sent)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._since = len(self.api.sent)
        self._task = asyncio.create_task(self._pump())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _pump(self) -> None:
        while True:
            records = await self.api.wait_new_records(self._since, 1.0)
            for record in records:
                if record.method == "sendMessage" and isinstance(record.chat_id, int):
                    self.queues[record.chat_id].put_nowait(record)
            self._since += len(records)

    async def next(self, chat_id: int, timeout: float) -> SentRecord:  # noqa: ASYNC109
        return await asyncio.wait_for(self.queues[chat_id].get(), timeout)


@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)
    first_push: float = 0.0
    last_reply: float = 0.0
    count: int = 0
    wrong: list[str] = field(default_factory=list)  # replies that were not the expected one
    cpu: float | None = None  # CPU seconds the bot process used during the timed part
    calls: dict[str, int] = field(default_factory=dict)  # Bot API calls during the timed part

    @property
    def rate(self) -> float:
        return self.count / (self.last_reply - self.first_push)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# -- the child processes ----------------------------------------------------------------------------
class Child:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, api: FakeBotApi) -> None:
        with self.log.open("wb") as err:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv, cwd=ROOT, env=self.env, stdin=asyncio.subprocess.DEVNULL, stdout=err, stderr=err
            )
        deadline = time.monotonic() + START_TIMEOUT
        while api.pollers_waiting == 0:
            if self.proc.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start polling:\n{self.tail()}")
            await asyncio.sleep(0.02)

    async def settled(self, line: str, timeout: float) -> None:
        """Waits until the process has logged ``line`` (e.g. that its start-up jobs are done)."""
        deadline = time.monotonic() + timeout
        while line not in self.tail(1_000_000):
            if self.proc is None or self.proc.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} never logged {line!r}:\n{self.tail()}")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 5)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the process so far (Linux /proc; None elsewhere)."""
        if self.proc is None:
            return None
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED_ENV}
    env.update(extra)
    return env


async def wait_no_pollers(api: FakeBotApi) -> None:
    """The stopped bot's long poll ends once the server sees its connection close."""
    deadline = time.monotonic() + 5
    while True:
        if not api.pollers_waiting or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.01)


# -- the load ---------------------------------------------------------------------------------------
def plan_for(chats: list[int], total: int, progress: dict[int, int]) -> dict[int, list[str]]:
    """The texts each patient sends next: its share of ``total``, continuing its own cycle."""
    plan = {}
    for i, chat in enumerate(chats):
        share = total // len(chats) + (1 if i < total % len(chats) else 0)
        done = progress.get(chat, 0)
        plan[chat] = [CYCLE[(done + k) % len(CYCLE)] for k in range(share)]
        progress[chat] = done + share
    return plan


Check = Callable[[str, str], bool]  # (text sent, reply text) -> is this the right reply


async def drive(
    api: FakeBotApi,
    inbox: Inbox,
    child: Child,
    plan: dict[int, list[str]],
    check: Check,
    mode: str,
    timeout: float,
    profile: bool = False,
) -> Run:
    """Sends the planned messages; each must get exactly one reply, the expected one."""
    run = Run(name=child.name)
    run.count = sum(len(texts) for texts in plan.values())
    calls_before = dict(api.call_counts)
    if profile and child.proc is not None:
        child.proc.send_signal(signal.SIGUSR1)
        await asyncio.sleep(0.05)
    cpu_before = child.cpu_seconds()
    run.first_push = time.monotonic()

    def received(text: str, pushed: float, reply: SentRecord) -> None:
        run.latencies.append(reply.at - pushed)
        run.last_reply = max(run.last_reply, reply.at)
        if not check(text, reply.text or ""):
            run.wrong.append(f"{text!r} -> {reply.text!r}")

    async def closed(chat: int, texts: list[str]) -> None:
        for text in texts:
            pushed = time.monotonic()
            api.push_message(chat, text)
            received(text, pushed, await inbox.next(chat, timeout))

    async def burst_replies(chat: int, texts: list[str], times: list[float]) -> None:
        for text, pushed in zip(texts, times, strict=True):
            received(text, pushed, await inbox.next(chat, timeout))

    if mode == "closed":
        jobs = [closed(chat, texts) for chat, texts in plan.items()]
    else:
        times: dict[int, list[float]] = defaultdict(list)
        longest = max(len(texts) for texts in plan.values())
        for i in range(longest):  # interleaved, as many patients typing at once would be
            for chat, texts in plan.items():
                if i < len(texts):
                    times[chat].append(time.monotonic())
                    api.push_message(chat, texts[i])
        jobs = [burst_replies(chat, plan[chat], times[chat]) for chat in plan]
    await asyncio.wait_for(asyncio.gather(*jobs), timeout)
    cpu_after = child.cpu_seconds()
    if cpu_before is not None and cpu_after is not None:
        run.cpu = cpu_after - cpu_before
    run.calls = {
        m: n - calls_before.get(m, 0) for m, n in api.call_counts.items() if n > calls_before.get(m, 0)
    }
    return run


async def consent(api: FakeBotApi, inbox: Inbox, chats: list[int], timeout: float) -> None:
    """Each patient types /start and agrees: it is then at the country step (not timed)."""

    async def one(chat: int) -> None:
        api.push_message(chat, "/start")
        await inbox.next(chat, timeout)  # welcome
        notice = await inbox.next(chat, timeout)
        rows = (notice.reply_markup or {}).get("inline_keyboard") or []
        data = next(
            b["callback_data"] for row in rows for b in row if b["callback_data"].startswith("cs:yes")
        )
        assert notice.message_id is not None
        api.push_callback(chat, notice.message_id, data)
        await inbox.next(chat, timeout)  # the country step

    await asyncio.wait_for(asyncio.gather(*(one(chat) for chat in chats)), timeout)


async def measure(
    api: FakeBotApi, child: Child, chats: list[int], args: argparse.Namespace, check: Check, ours: bool
) -> Run:
    inbox = Inbox(api)
    inbox.start()
    await child.start(api)
    try:
        if ours:
            # Steady state: the bot answers at once, but plans reminders and loads matplotlib (for the
            # charts) in the background just after starting; that one-off work is not counted.
            await child.settled(STARTUP_JOBS_DONE, START_TIMEOUT)
            await consent(api, inbox, chats, args.timeout)
        progress: dict[int, int] = {}
        if args.warmup:
            plan = plan_for(chats, args.warmup, progress)
            await drive(api, inbox, child, plan, check, args.mode, args.timeout)
        plan = plan_for(chats, args.messages, progress)
        profile = ours and bool(args.profile)
        run = await drive(api, inbox, child, plan, check, args.mode, args.timeout, profile)
        await asyncio.sleep(0.3)  # a duplicate or stray reply would show up here
        extra = sum(q.qsize() for q in inbox.queues.values())
        if extra:
            raise RuntimeError(f"{child.name}: {extra} unexpected extra replies")
        if run.wrong:
            raise RuntimeError(f"{child.name}: {len(run.wrong)} unexpected replies, e.g. {run.wrong[:3]}")
        return run
    except Exception:
        print(f"--- {child.name} log ---\n{child.tail()}", file=sys.stderr)
        raise
    finally:
        await child.stop()
        await inbox.stop()
        await wait_no_pollers(api)


def report(run: Run) -> None:
    cpu = f"; {run.cpu / run.count * 1000:.1f} ms CPU/msg" if run.cpu is not None else ""
    calls = ", ".join(f"{m} {n}" for m, n in sorted(run.calls.items()))
    print(
        f"{run.name:5s} {run.count} messages in {run.last_reply - run.first_push:.2f} s: "
        f"{run.rate:.1f} msg/s; latency p50 {run.percentile(50) * 1000:.1f} ms, "
        f"p99 {run.percentile(99) * 1000:.1f} ms{cpu} (API calls: {calls})",
        flush=True,
    )


def ours_check(content: Content) -> Check:
    """The reply each text of the cycle must get from our bot."""
    expected = {
        "Ireland": "onboarding.step_timezone",
        "/cancel": "onboarding.cancelled_onboarding",
        "/start": "onboarding.step_country",
    }
    heads = {
        text: [v.split("{")[0][:40] for v in content.variants("en", key)] for text, key in expected.items()
    }

    def check(text: str, reply: str) -> bool:
        return any(head in reply for head in heads[text])

    return check


def echo_check(text: str, reply: str) -> bool:
    return reply == text


async def main(args: argparse.Namespace) -> int:
    server = FakeBotApiServer(FakeBotApi(latency=args.latency))
    base_url = await server.start("127.0.0.1", 0)
    tmp = tempfile.TemporaryDirectory(prefix="bench-throughput-")
    work = Path(tmp.name)
    try:
        from bot.db.crypto import generate_key

        content_dir = ROOT / "content"
        if not args.all_languages:
            content_dir = default_language_only(content_dir, work / "content")
        ours_env = child_env(
            BOT_TOKEN=TOKEN,
            BOT_API_URL=base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{work / 'bench.db'}",
            ENCRYPTION_KEYS=generate_key(),
            ENCRYPTION_KEY_FILE=str(work / "unused.key"),
            CONFIG_FILE=str(Path(args.config).resolve()),
            CONTENT_DIR=str(content_dir),
        )
        ours_argv = [sys.executable, "-m", "bot", "run"]
        if args.profile:
            ours_argv = [sys.executable, str(Path(__file__).resolve()), "--profiled-bot", args.profile]
        ours = Child("ours", ours_argv, ours_env, work / "ours.log")
        echo = Child(
            "echo",
            [sys.executable, str(Path(__file__).resolve()), "--echo-bot", base_url],
            child_env(),
            work / "echo.log",
        )
        print(
            f"{args.messages} timed messages (+{args.warmup} warm-up) from {args.patients} patients, "
            f"mode {args.mode}, SQLite, fake Bot API on {base_url}"
            + (f" answering after {args.latency * 1000:.0f} ms" if args.latency else ""),
            flush=True,
        )
        content = Content.load(content_dir, "en")
        ratios = []
        for r in range(args.rounds):  # alternating, so a machine that speeds up or slows down hits both
            if args.rounds > 1:
                print(f"round {r + 1} of {args.rounds}", flush=True)
            patients = [10_000 + 1_000 * r + i for i in range(args.patients)]
            a = await measure(server.api, ours, patients, args, ours_check(content), True)
            report(a)
            patients = [20_000 + 1_000 * r + i for i in range(args.patients)]
            b = await measure(server.api, echo, patients, args, echo_check, False)
            report(b)
            ratios.append(a.rate / b.rate)
        if args.rounds > 1:
            print("ratios by round: " + " ".join(f"{x:.2f}" for x in ratios), flush=True)
        print(f"ratio {statistics.median(ratios):.2f}", flush=True)
        return 0
    finally:
        await server.stop()
        tmp.cleanup()


def default_language_only(source: Path, target: Path, language: str = "en") -> Path:
    """A copy of the content folder with one language (and everything that is not a language)."""
    target.mkdir(parents=True)
    for entry in source.iterdir():
        if entry.is_dir() and entry.name != language and re.fullmatch(r"[a-z]{2}", entry.name):
            continue  # another language
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name)
        else:
            shutil.copy2(entry, target / entry.name)
    return target


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="timed messages per bot")
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument(
        "--warmup", type=int, default=None, help="untimed messages first (default: one cycle each)"
    )
    parser.add_argument("--mode", choices=("closed", "burst"), default="closed")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds the Bot API server waits before each answer"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of (ours, echo); the last line is the median ratio"
    )
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds any one phase may take")
    parser.add_argument("--config", default=str(ROOT / "config.toml"), help="the bot's config.toml")
    parser.add_argument(
        "--all-languages", action="store_true", help="give the bot every language (default: English only)"
    )
    parser.add_argument("--profile", metavar="FILE", help="profile our bot (cProfile) into FILE")
    parser.add_argument("--echo-bot", metavar="BASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--profiled-bot", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.warmup is None:
        args.warmup = len(CYCLE) * args.patients
    if args.profile:
        args.profile = str(Path(args.profile).resolve())
    if args.profile:
        args.rounds = 1  # one profile, of one run
    if args.rounds < 1:
        parser.error("need at least one round")
    if args.patients < 1 or args.messages < args.patients:
        parser.error("need at least one patient and one message per patient")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.echo_bot:
        run_echo_bot(arguments.echo_bot)
    elif arguments.profiled_bot:
        run_profiled_bot(arguments.profiled_bot)
    else:
        sys.exit(asyncio.run(main(arguments)))
