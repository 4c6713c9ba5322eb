"""CPU per update of the real bot's processing, without HTTP: where ``bench/throughput.py``'s time goes.

The same application, database (SQLite, migrated by Alembic, in a temporary folder), update store and
processor as ``python -m bot run``, and the same cycle of messages as ``bench/throughput.py`` (the
country step, ``/cancel``, ``/start``); what is left out is the network: the poller's part is done
here (each round's updates are stored with the poller's own query and handed over in memory), and the
Bot API is a request object that answers every call at once with a canned result. So the figures are
the CPU the bot itself spends per update (storing, reading back, handling, the outbox, committing)
with no server competing for the machine; they vary much less than ``bench/throughput.py``'s.

    python bench/processing.py [--patients 50] [--rounds 40] [--repeat 3]

Prints, per repeat, CPU milliseconds per update and statements/transactions per update; the last line
is ``cpu_ms_per_update <median>``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from itertools import count
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from sqlalchemy import event  # noqa: E402
from telegram.request import BaseRequest, RequestData  # noqa: E402
from throughput import CYCLE, default_language_only  # noqa: E402

from bot.app import build_application  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.db.crypto import generate_key  # noqa: E402
from bot.devtools.fake_bot_api import FakeBotApi  # noqa: E402
from bot.handlers import features  # noqa: E402
from bot.ingest import handoff, store  # noqa: E402
from bot.runtime import RunningBot, prepare  # noqa: E402

LOG = None
_TRUE_RESULT = {"answerCallbackQuery", "setMyCommands", "deleteWebhook", "setChatMenuButton"}


class CannedRequest(BaseRequest):
    """Answers every Bot API call at once: ``True``, the bot itself for ``getMe``, else a message."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._ids = count(1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        self.calls[endpoint] += 1
        result: Any
        if endpoint == "getMe":
            result = {"id": 1, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
        elif endpoint in _TRUE_RESULT:
            result = True
        else:
            chat = int((request_data.parameters if request_data else {}).get("chat_id", 1))
            result = {"message_id": next(self._ids), "date": 0, "chat": {"id": chat, "type": "private"}}
        return 200, json.dumps({"ok": True, "result": result}).encode()


class Counts:
    """Statements and commits the engine runs."""

    def __init__(self, engine: Any) -> None:
        self.statements = self.commits = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
        event.listen(engine.sync_engine, "commit", self._commit)

    def _statement(self, conn, cursor, statement, *_: Any) -> None:
        self.statements += 1
        if LOG is not None: LOG.append(statement.split("\n")[0][:90])

    def _commit(self, *_: Any) -> None:
        self.commits += 1


async def run(args: argparse.Namespace, work: Path) -> list[float]:
    content = default_language_only(ROOT / "content", work / "content")
    env = {
        "BOT_TOKEN": "",
        "DATABASE_URL": f"sqlite+aiosqlite:///{work / 'bench.db'}",
        "ENCRYPTION_KEYS": generate_key(),
        "ENCRYPTION_KEY_FILE": str(work / "unused.key"),
        "CONTENT_DIR": str(content),
    }
    config = load_config(ROOT / "config.toml", env=env)
    services = await prepare(config)
    request = CannedRequest()
    app = build_application(services, request=request, updates_request=request)
    running = RunningBot(services, app)
    processor = running.processor
    await app.initialize()
    await features.on_start(app)
    factory = FakeBotApi()  # only to build updates exactly as Telegram shapes them
    held = handoff.for_database(services.db)
    chats = [10_000 + i for i in range(args.patients)]

    async def round_of(make) -> int:
        raws = []
        for chat in chats:
            make(chat)
            raws.append(factory.updates.pop())
        async with services.db.transaction() as session:
            await store.store_batch(session, raws, services.clock.now())
        held.put((raw["update_id"], raw) for raw in raws)
        handled = 0
        while (n := await processor.run_once()) > 0:
            handled += n
        return handled

    await round_of(lambda chat: factory.push_message(chat, "/start"))
    await round_of(lambda chat: factory.push_callback(chat, 1, "cs:yes"))
    counts = Counts(services.db.engine)
    figures = []
    step = 0
    try:
        for repeat in range(args.repeat):
            for _ in range(len(CYCLE)):  # warm-up: one whole cycle
                text = CYCLE[step % len(CYCLE)]
                step += 1
                await round_of(lambda chat, text=text: factory.push_message(chat, text))
            counts.statements = counts.commits = 0
            sends_before = request.calls["sendMessage"]
            handled = 0
            cpu, wall = time.process_time(), time.perf_counter()
            global LOG
            for _ in range(args.rounds):
                LOG = [] if _ < 3 else None
                text = CYCLE[step % len(CYCLE)]
                step += 1
                handled += await round_of(lambda chat, text=text: factory.push_message(chat, text))
                if LOG is not None:
                    from collections import Counter as C
                    print("ROUND", text, len(LOG)); [print(f"  {n/args.patients:.2f} {k}") for k, n in C(LOG).most_common()]
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            sends = request.calls["sendMessage"] - sends_before
            ms = 1000 * cpu / handled
            figures.append(ms)
            per = {"statements": counts.statements, "commits": counts.commits, "replies": sends}
            print(
                f"repeat {repeat + 1}: {handled} updates, {ms:.3f} ms CPU/update "
                f"({1000 * wall / handled:.3f} wall); per update: "
                + ", ".join(f"{value / handled:.2f} {name}" for name, value in per.items()),
                flush=True,
            )
    finally:
        await features.on_stop(app)
        await app.shutdown()
        await services.db.dispose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=40, help="timed rounds (one message per patient each)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-processing-") as tmp:
        try:
            import uvloop

            figures = uvloop.run(run(args, Path(tmp)))
        except ImportError:
            figures = asyncio.run(run(args, Path(tmp)))
    print(f"cpu_ms_per_update {statistics.median(figures):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
