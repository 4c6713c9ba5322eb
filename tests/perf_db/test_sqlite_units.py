"""SQLite's two kinds of unit of work: writers in turn (BEGIN IMMEDIATE), readers that wait for no one,
and statements that run on aiosqlite's thread, never on the event loop's."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.db.engine import Database, ReadOnlyUnit, async_url, make_engine, sync_url


@pytest.fixture
async def db(tmp_path: Path):
    database = Database(make_engine(f"sqlite:///{tmp_path / 'units.db'}", busy_timeout_ms=400))
    async with database.transaction() as session:
        await session.execute(text("CREATE TABLE t (n INTEGER)"))
    yield database
    await database.dispose()


async def _insert(db: Database, n: int = 1) -> None:
    async with db.transaction() as session:
        await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})


async def _count(db: Database) -> int:
    async with db.read() as session:
        return (await session.execute(text("SELECT count(*) FROM t"))).scalar_one()


async def _hold_write_lock(db: Database, started: asyncio.Event, release: asyncio.Event) -> None:
    """A writing unit that has written and waits before it commits (as a slow handler would)."""
    async with db.transaction() as session:
        await session.execute(text("INSERT INTO t VALUES (100)"))
        started.set()
        await release.wait()


def test_sqlite_urls_get_aiosqlite_and_alembic_the_plain_driver() -> None:
    assert async_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert sync_url("sqlite+aiosqlite:///x.db") == "sqlite:///x.db"


async def test_a_read_does_not_wait_for_a_writer_and_sees_the_last_commit(db: Database) -> None:
    await _insert(db)
    started, release = asyncio.Event(), asyncio.Event()
    writer = asyncio.create_task(_hold_write_lock(db, started, release))
    await started.wait()
    assert await asyncio.wait_for(_count(db), 0.3) == 1  # the writer's row is not committed yet
    release.set()
    await writer
    assert await _count(db) == 2


async def test_two_writers_queue_instead_of_failing(db: Database) -> None:
    order: list[str] = []

    async def writer(name: str, pause: float) -> None:
        async with db.transaction() as session:
            seen = (await session.execute(text("SELECT count(*) FROM t"))).scalar_one()  # read, then write
            order.append(f"{name} in")
            await asyncio.sleep(pause)
            await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": seen})
            order.append(f"{name} out")

    await asyncio.gather(writer("a", 0.05), writer("b", 0), writer("c", 0))
    assert order == ["a in", "a out", "b in", "b out", "c in", "c out"]
    async with db.read() as session:
        assert (await session.execute(text("SELECT n FROM t ORDER BY n"))).scalars().all() == [0, 1, 2]


async def test_many_writers_and_readers_at_once_all_succeed(tmp_path: Path) -> None:
    db = Database(make_engine(f"sqlite:///{tmp_path / 'many.db'}"))  # the default busy timeout (5 s)
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE t (n INTEGER)"))
    await asyncio.gather(*(_insert(db, n) for n in range(40)), *(_count(db) for _ in range(40)))
    assert await _count(db) == 40
    await db.dispose()


async def test_a_writer_waiting_longer_than_the_busy_timeout_gets_database_is_locked(db: Database):
    started, release = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(_hold_write_lock(db, started, release))
    await started.wait()
    began = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        await _insert(db)
    assert 0.3 < time.monotonic() - began < 0.9
    release.set()
    await holder
    await _insert(db)  # the turn is free again
    assert await _count(db) == 2


async def test_an_error_or_a_cancellation_gives_the_turn_back(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("handler failed")
    started, release = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(_hold_write_lock(db, started, release))
    await started.wait()
    waiter = asyncio.create_task(_insert(db))  # queued behind the holder
    await asyncio.sleep(0.01)
    for task in (waiter, holder):
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert await asyncio.wait_for(_count(db), 1) == 0  # all rolled back
    await asyncio.wait_for(_insert(db), 1)  # and the turn is free


async def test_a_writing_unit_inside_another_fails_at_once(db: Database) -> None:
    async with db.transaction():
        began = time.monotonic()
        with pytest.raises(RuntimeError, match="inside another"):
            await _insert(db)
        assert time.monotonic() - began < 0.1


async def test_another_process_holding_the_lock_is_waited_for_off_the_loop(db: Database) -> None:
    other = sqlite3.connect(str(db.engine.url.database), isolation_level=None)  # as the CLI would
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    tick_task = asyncio.create_task(ticker())
    writer = asyncio.create_task(_insert(db))
    await asyncio.sleep(0.15)
    assert not writer.done() and ticks > 10  # waiting (SQLite's busy timeout), and the loop runs meanwhile
    other.execute("COMMIT")
    await asyncio.wait_for(writer, 1)
    assert await _count(db) == 1

    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError, match="database is locked"):
        await _insert(db)  # given up after the busy timeout
    other.execute("ROLLBACK")
    other.close()
    tick_task.cancel()


async def test_a_connection_returned_inside_a_transaction_is_rolled_back(db: Database) -> None:
    async with db.engine.connect() as conn:  # as after an error that left SQLite's transaction open
        raw = await conn.get_raw_connection()
        await raw.driver_connection.execute("BEGIN IMMEDIATE")
        await raw.driver_connection.execute("INSERT INTO t VALUES (7)")
    await asyncio.wait_for(_insert(db), 1)  # the lock was given back with the connection
    assert await _count(db) == 1  # and what it wrote is gone


async def test_statements_run_on_a_thread_of_their_own(db: Database) -> None:
    threads: set[int] = set()
    async with db.read() as session:
        raw = await (await session.connection()).get_raw_connection()
        note_thread = lambda: threads.add(threading.get_ident())  # noqa: E731
        await raw.driver_connection.create_function("thread_id", 0, note_thread)
        await session.execute(text("SELECT thread_id()"))
    assert threads and threading.get_ident() not in threads


class Row(DeclarativeBase):
    pass


class Number(Row):
    __tablename__ = "t"
    rowid: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int]


async def test_a_reading_unit_refuses_writes(db: Database) -> None:
    with pytest.raises(ReadOnlyUnit):
        async with db.read() as session:
            session.add(Number(n=1))
            await session.flush()
    with pytest.raises(ReadOnlyUnit):
        async with db.read() as session:
            await session.execute(insert(Number).values(n=2))
    await _insert(db)
    with pytest.raises(ReadOnlyUnit):
        async with db.read() as session:
            (await session.scalars(select(Number))).one().n = 3
            await session.execute(select(Number))  # flushes the change first
    assert await _count(db) == 1


async def test_a_swallowed_cancellation_is_delivered_at_the_next_unit(db: Database) -> None:
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
