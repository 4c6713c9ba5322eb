"""The in-loop SQLite driver: no worker thread, one writer at a time per engine, waits in the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.db.engine import Database, make_engine, sync_url


@pytest.fixture
async def db(tmp_path: Path):
    database = Database(make_engine(f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}", busy_timeout_ms=400))
    async with database.transaction() as session:
        await session.execute(text("CREATE TABLE t (n INTEGER)"))
    yield database
    await database.dispose()


def _database_file(db: Database) -> str:
    return str(db.engine.url.database)


async def _count(db: Database) -> int:
    async with db.transaction() as session:
        return (await session.execute(text("SELECT count(*) FROM t"))).scalar_one()


async def test_sqlite_urls_get_the_in_loop_driver_and_alembic_the_plain_one(db: Database) -> None:
    assert db.engine.dialect.driver == "inloop"
    assert sync_url("sqlite+aiosqlite:///x.db") == "sqlite:///x.db"


async def test_statements_run_on_the_event_loop_thread(db: Database) -> None:
    threads: set[int] = set()
    async with db.transaction() as session:
        raw = (await session.connection()).sync_connection.connection.driver_connection
        raw.create_function("thread_id", 0, lambda: threads.add(threading.get_ident()) or 1)
        await session.execute(text("SELECT thread_id()"))
    assert threads == {threading.get_ident()}


async def test_transactions_of_one_engine_take_turns(db: Database) -> None:
    order: list[str] = []

    async def writer(name: str, pause: float) -> None:
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            order.append(f"{name} in")
            await asyncio.sleep(pause)  # e.g. a Telegram call while holding the write lock
            order.append(f"{name} out")

    await asyncio.gather(writer("a", 0.05), writer("b", 0), writer("c", 0))
    assert order == ["a in", "a out", "b in", "b out", "c in", "c out"]
    assert await _count(db) == 3


async def test_an_error_or_a_cancellation_releases_the_write_lock(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("handler failed")

    started = asyncio.Event()

    async def holder() -> None:
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO t VALUES (2)"))
            started.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(holder())
    await started.wait()
    waiter = asyncio.create_task(_count(db))  # queued behind the holder
    await asyncio.sleep(0.01)
    waiter.cancel()
    task.cancel()
    for t in (task, waiter):
        with pytest.raises(asyncio.CancelledError):
            await t
    assert await _count(db) == 0  # both rolled back, and the lock is free again


async def test_waiting_for_another_writer_of_this_process_gives_up_after_the_busy_timeout(db: Database):
    started = asyncio.Event()

    async def holder() -> None:
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            started.set()
            await asyncio.sleep(1.0)

    task = asyncio.create_task(holder())
    await started.wait()
    began = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        await _count(db)
    assert 0.3 < time.monotonic() - began < 0.9
    await task


async def test_another_process_holding_the_lock_is_waited_for_without_blocking_the_loop(db: Database):
    other = sqlite3.connect(_database_file(db), isolation_level=None)  # as the CLI would
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def insert() -> None:
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))

    tick_task = asyncio.create_task(ticker())
    writer = asyncio.create_task(insert())
    await asyncio.sleep(0.15)
    assert not writer.done() and ticks > 10  # waiting, and the loop runs meanwhile
    other.execute("COMMIT")
    await asyncio.wait_for(writer, 1)
    assert await _count(db) == 1

    other.execute("BEGIN IMMEDIATE")
    began = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        await insert()
    assert 0.3 < time.monotonic() - began < 0.9
    other.execute("ROLLBACK")
    other.close()
    tick_task.cancel()


async def test_a_swallowed_cancellation_is_delivered_at_the_next_transaction(db: Database) -> None:
    async def stubborn() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass  # as asyncio.wait_for can on Python 3.11
        await _count(db)

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
