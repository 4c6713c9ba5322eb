"""Database engine and sessions: SQLite (default) or PostgreSQL, one session per unit of work.

There are two kinds of unit, and every caller says which it needs:

* :meth:`Database.transaction` may write. On SQLite it waits its turn behind this process's other
  writers (in the event loop, first come first served) and begins with ``BEGIN IMMEDIATE``, so SQLite's
  write lock is taken before anything is read: two writers queue instead of one failing half-way with
  "database is locked" when it upgrades a read lock that the other's commit made stale.
* :meth:`Database.read` only reads. On SQLite it begins with a plain (deferred) ``BEGIN``: in WAL mode it
  reads the last committed state while a writer writes, and waits for no lock. Writing through it is
  an error (:class:`ReadOnlyUnit`), caught in tests rather than met as a lock error under load.

SQLite runs through SQLAlchemy's own asyncio dialect, ``sqlite+aiosqlite``: each connection's statements,
commits and disk writes run on aiosqlite's thread, so the event loop never waits on the disk. Every
connection is in WAL mode with ``synchronous=FULL``: a commit is on disk (the WAL is synced) before the
update it handled is confirmed to Telegram, so a power loss cannot undo it. Transactions are begun
explicitly, as SQLAlchemy's documentation of the pysqlite and aiosqlite dialects shows: the driver's own
transaction handling is switched off on connect, and the ``begin`` event emits the ``BEGIN``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, pool
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session

SQLITE_DRIVERS = ("sqlite", "sqlite+pysqlite", "sqlite+aiosqlite")
# Execution options of the SQLite engine: the BEGIN a connection starts with; how long a writer waits.
BEGIN_OPTION = "recovery_bot_begin"
BUSY_TIMEOUT_OPTION = "recovery_bot_busy_timeout_ms"


def async_url(url: str) -> str:
    """Normalises a configured URL to the async driver this project uses (aiosqlite, psycopg)."""
    u = make_url(url)
    if u.drivername in SQLITE_DRIVERS:
        u = u.set(drivername="sqlite+aiosqlite")
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
    """WAL, ``synchronous=FULL``, foreign keys and a busy timeout on every connection; explicit BEGINs."""

    @event.listens_for(sync_engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver begins nothing itself: ``on_begin`` does
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")  # another process's writer: wait
        cur.close()

    @event.listens_for(sync_engine, "begin")
    def on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get(BEGIN_OPTION, "BEGIN"))

    @event.listens_for(sync_engine, "reset")
    def on_reset(dbapi_conn: Any, record: Any, state: Any) -> None:
        """A connection back in the pool is rolled back only if still in a transaction (SQLAlchemy's
        custom reset scheme): after a commit it is not, and a ROLLBACK would cost a trip to the thread."""
        if not state.terminate_only and record.driver_connection.in_transaction:
            dbapi_conn.rollback()


def make_engine(url: str, busy_timeout_ms: int = 5000) -> AsyncEngine:
    url = async_url(url)
    if is_sqlite(url):
        ensure_sqlite_dir(url)
        memory = make_url(url).database in (None, "", ":memory:")
        # A connection per unit in flight: the processor's chats (16 by default), the poller, the
        # sweeper, reminders and paced exercises, and the reads among them.
        sizing: dict[str, Any] = {"poolclass": pool.StaticPool} if memory else {"pool_size": 24}
        engine = create_async_engine(
            url, connect_args={"timeout": busy_timeout_ms / 1000}, pool_reset_on_return=None, **sizing
        )
        install_sqlite_pragmas(engine.sync_engine, busy_timeout_ms)
        return engine.execution_options(**{BUSY_TIMEOUT_OPTION: busy_timeout_ms})
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, connect_args={"connect_timeout": 3})


class ReadOnlyUnit(RuntimeError):
    """A write through a session of :meth:`Database.read`."""


class ReadSession(Session):
    """The session of a reading unit: an INSERT, UPDATE, DELETE or flush of a change is refused."""


@event.listens_for(ReadSession, "do_orm_execute")
def _refuse_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlyUnit("a write in a reading unit of work: use Database.transaction()")


@event.listens_for(ReadSession, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyUnit("a change flushed in a reading unit of work: use Database.transaction()")


class Database:
    """Owns the engine and hands out units of work; the one place a transaction is opened and closed."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._writers = async_sessionmaker(engine, expire_on_commit=False)
        self._readers = async_sessionmaker(engine, expire_on_commit=False, sync_session_class=ReadSession)
        self._turns: WriterTurns | None = None
        if engine.dialect.name == "sqlite":
            options = engine.get_execution_options()
            self._writers.configure(bind=engine.execution_options(**{BEGIN_OPTION: "BEGIN IMMEDIATE"}))
            self._turns = WriterTurns(options.get(BUSY_TIMEOUT_OPTION, 5000) / 1000)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A writing unit: committed on success, rolled back on any error.

        A task that was asked to stop does not start new work: on Python 3.11, ``asyncio.wait_for``
        swallows a cancellation that arrives just as what it waits for completes, and a loop such as
        the sweeper's would then run on after ``RunningBot.stop``. The request is still counted
        (``Task.cancelling``), so it is delivered here, at the next transaction, instead.
        """
        deliver_swallowed_cancellation()
        async with self._turn(), self._writers() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A reading unit: sees what was committed when its first statement ran, and waits for no
        writer. Ends by rolling back (there is nothing to keep)."""
        deliver_swallowed_cancellation()
        async with self._readers() as session:
            yield session

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if self._turns is None:
            yield
            return
        async with self._turns.turn():
            yield

    async def dispose(self) -> None:
        await self.engine.dispose()


class WriterTurns:
    """This process's SQLite writers, one at a time and in the order they came, waited for in the loop.

    SQLite's own busy handler would also make them wait (and still does for other processes), but by
    polling with growing sleeps: writers would be served out of order and a freed lock would stay
    unused for milliseconds. A writer that waited longer than the busy timeout gets SQLite's own error,
    as it would from SQLite; a unit that opens a second writing unit inside itself gets an error at once
    rather than waiting for itself.
    """

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._holder: asyncio.Task[Any] | None = None

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        lock = self._lock_of_this_loop()
        task = asyncio.current_task()
        if task is not None and task is self._holder:
            raise RuntimeError("a writing unit of work inside another one in the same task")
        try:
            async with asyncio.timeout(self._timeout):
                await lock.acquire()
        except TimeoutError:
            locked = sqlite3.OperationalError("database is locked")
            raise OperationalError("BEGIN IMMEDIATE", None, locked) from None
        self._holder = task
        try:
            yield
        finally:
            self._holder = None
            lock.release()

    def _lock_of_this_loop(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or (self._loop is not loop and not self._lock.locked()):
            self._lock, self._loop = asyncio.Lock(), loop  # a new event loop (tests, the CLI)
        return self._lock


def deliver_swallowed_cancellation() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
