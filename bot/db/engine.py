"""Database engine and sessions: SQLite (default) or PostgreSQL, one session per unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.db import sqlite_loop

SQLITE_DRIVERS = ("sqlite", "sqlite+pysqlite", "sqlite+aiosqlite", f"sqlite+{sqlite_loop.DRIVER}")


def async_url(url: str) -> str:
    """Normalises a configured URL to the async driver this project uses.

    SQLite URLs (``sqlite+aiosqlite`` as configured, or any other SQLite driver) get the in-loop driver
    of :mod:`bot.db.sqlite_loop`.
    """
    u = make_url(url)
    if u.drivername in SQLITE_DRIVERS:
        u = u.set(drivername=f"sqlite+{sqlite_loop.DRIVER}")
    elif u.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+asyncpg"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """The same database through a synchronous driver, for Alembic."""
    u = make_url(async_url(url))
    if u.drivername in SQLITE_DRIVERS:
        u = u.set(drivername="sqlite")
    return u.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ensure_sqlite_dir(url: str) -> None:
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)


def install_sqlite_pragmas(sync_engine: Any, busy_timeout_ms: int) -> None:
    """WAL, foreign keys and a busy timeout on every connection.

    Every transaction is BEGIN IMMEDIATE (the in-loop driver's ``do_begin``, which first waits for this
    process's other writers in the event loop): two writers then queue instead of failing half-way with
    "database is locked" when one upgrades a read lock.
    """

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.close()


def make_engine(url: str, busy_timeout_ms: int = 5000) -> AsyncEngine:
    url = async_url(url)
    if is_sqlite(url):
        ensure_sqlite_dir(url)
        # A connection per transaction in flight: the processor's chats (16 by default) and the
        # poller, sweeper, reminders and paced exercises; a transaction waiting for the write gate
        # holds its connection meanwhile.
        engine = create_async_engine(url, pool_size=24, connect_args={"timeout": busy_timeout_ms / 1000})
        install_sqlite_pragmas(engine.sync_engine, busy_timeout_ms)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, connect_args={"connect_timeout": 3})


class Database:
    """Owns the engine and hands out sessions; the one place a transaction is opened and closed."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # The in-loop SQLite driver waits only to begin a transaction: its sessions run the rest without
        # a greenlet (sqlite_loop.InLoopSession), commit directly, and close in place. Other drivers'
        # sessions close in a task of their own, shielded from cancellation (SQLAlchemy's own exit).
        self._in_loop = engine.dialect.driver == sqlite_loop.DRIVER
        session_class = sqlite_loop.InLoopSession if self._in_loop else AsyncSession
        self._sessions = async_sessionmaker(engine, class_=session_class, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed on success and rolled back on any error.

        A task that was asked to stop does not start new work: on Python 3.11, ``asyncio.wait_for``
        swallows a cancellation that arrives just as what it waits for completes, and a loop such as
        the sweeper's would then run on after ``RunningBot.stop``. The request is still counted
        (``Task.cancelling``), so it is delivered here, at the next transaction, instead.
        """
        deliver_swallowed_cancellation()
        session = self._sessions()
        if not self._in_loop:
            try:
                async with session.begin():
                    yield session
            finally:
                await session.__aexit__(None, None, None)
            return
        try:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()
        finally:
            await session.close()

    def session(self) -> AsyncSession:
        return self._sessions()

    async def dispose(self) -> None:
        await self.engine.dispose()


def deliver_swallowed_cancellation() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
