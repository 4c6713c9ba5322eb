"""SQLite for SQLAlchemy's asyncio engine without a worker thread: pysqlite runs on the event loop.

aiosqlite hands every call (each execute, fetch, commit) to a thread of its own and waits for the answer,
which costs about a millisecond of CPU per statement in thread switches. A SQLite statement on a local
file takes microseconds, so this dialect (``sqlite+inloop``) calls the standard ``sqlite3`` module
directly on the event-loop thread instead. What the thread used to give us is kept another way:

* Transactions of this process are serialised by an ``asyncio.Lock`` per engine, taken when a
  transaction begins (``BEGIN IMMEDIATE``) and released when it commits, rolls back or its connection is
  closed. A coroutine waiting for the write lock therefore waits in the event loop, not in SQLite's busy
  handler, and never blocks the loop; like the busy timeout it replaces, the wait gives up after the
  connection's ``timeout`` with "database is locked".
* Other processes (the CLI, a second bot by mistake) are still kept out by SQLite's own lock. ``BEGIN
  IMMEDIATE`` is tried without SQLite's busy handler (which would sleep on the loop thread); while
  another process holds the lock, it is retried after short sleeps in the event loop (SQLite's own
  schedule: 1, 2, 5, ... 100 ms) until the busy timeout, shared with the wait above, runs out.

Everything else (SQL, types, reflection) is the pysqlite dialect's. ``:memory:`` databases get a single
shared connection (``StaticPool``), as with aiosqlite.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import time
from collections.abc import Generator
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine.url import URL
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.util import immutabledict
from sqlalchemy.util.concurrency import await_, greenlet_spawn, in_greenlet

DRIVER = "inloop"


class _Ready:
    """An awaitable that completes at once: a no-op round trip through SQLAlchemy's greenlet.

    ``AsyncConnection.execute`` insists that the driver awaited something; awaiting this costs ~2 µs.
    """

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        yield from ()


_READY = _Ready()

# Pauses between attempts at SQLite's write lock while another process holds it (as sqlite3.c's own
# busy handler), in seconds; the last one repeats.
_BUSY_PAUSES = (0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.025, 0.025, 0.05, 0.05, 0.1)


def _checkpoint() -> None:
    if in_greenlet():
        await_(_READY)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return (code & 0xFF) == sqlite3.SQLITE_BUSY if code is not None else "locked" in str(exc)


class Cursor(sqlite3.Cursor):
    """The pysqlite cursor, executing on the calling (event-loop) thread."""

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:  # type: ignore[override]
        _checkpoint()
        return super().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Cursor:  # type: ignore[override]
        _checkpoint()
        return super().executemany(sql, seq_of_parameters)

    async def _async_soft_close(self) -> None:
        """Called by SQLAlchemy's asyncio results; the rows stay readable from this thread."""


class WriteGate:
    """One writer at a time within this process (per engine), waited for in the event loop."""

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or (self._loop is not loop and not self._lock.locked()):
            self._lock, self._loop = asyncio.Lock(), loop  # a new event loop (tests, the CLI)
        return self._lock

    async def acquire(self, timeout: float) -> asyncio.Lock:
        lock = self.lock()
        if not lock.locked():
            await lock.acquire()
            return lock
        try:
            async with asyncio.timeout(timeout):
                await lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        return lock


class Connection:
    """A pysqlite connection whose transactions go through the engine's :class:`WriteGate`."""

    __slots__ = ("_conn", "_gate", "_timeout", "_held", "_busy_ms")

    def __init__(self, conn: sqlite3.Connection, gate: WriteGate, timeout: float) -> None:
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_gate", gate)
        object.__setattr__(self, "_timeout", timeout)
        object.__setattr__(self, "_held", None)
        object.__setattr__(self, "_busy_ms", None)  # SQLite's busy timeout now, once this class set it

    @property
    def driver_connection(self) -> sqlite3.Connection:
        return self._conn

    # -- the transaction --------------------------------------------------------------------------
    def begin_immediate(self) -> None:
        """Waits (in the loop) for this process's other writers, then takes SQLite's write lock."""
        if not in_greenlet():  # used synchronously: SQLite's busy handler waits, as with pysqlite
            self._busy_timeout(int(self._timeout * 1000))
            self._conn.execute("BEGIN IMMEDIATE")
            return
        deadline = time.monotonic() + self._timeout
        object.__setattr__(self, "_held", await_(self._gate.acquire(self._timeout)))
        try:
            self._begin_immediate(deadline)
        except BaseException:
            self._release()
            raise

    def _begin_immediate(self, deadline: float) -> None:
        conn = self._conn
        # Without SQLite's busy handler, which would sleep on the loop thread. It stays off between
        # transactions (only BEGIN IMMEDIATE waits for the lock in WAL mode: once it is held, writes,
        # reads and the commit do not), so it is switched once per connection, not twice per transaction.
        self._busy_timeout(0)
        for attempt in itertools.count():
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                left = deadline - time.monotonic()
                if not _is_busy(exc) or left <= 0:
                    raise
            # Another process writes: wait in the event loop, not in SQLite's busy handler.
            pause = _BUSY_PAUSES[min(attempt, len(_BUSY_PAUSES) - 1)]
            await_(asyncio.sleep(min(pause, left)))

    def _busy_timeout(self, ms: int) -> None:
        if self._busy_ms != ms:
            self._conn.execute(f"PRAGMA busy_timeout={ms}")
            object.__setattr__(self, "_busy_ms", ms)

    def _release(self) -> None:
        held = self._held
        if held is not None:
            object.__setattr__(self, "_held", None)
            held.release()

    def commit(self) -> None:
        try:
            self._conn.commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            self._conn.rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            self._conn.close()
        finally:
            self._release()

    # -- everything else is pysqlite's ------------------------------------------------------------
    def cursor(self, factory: type[sqlite3.Cursor] = Cursor) -> sqlite3.Cursor:
        return self._conn.cursor(factory)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._conn, name, value)


class _DBAPI:
    """The ``sqlite3`` module, with ``connect`` returning a gated :class:`Connection`."""

    def __init__(self, gate: WriteGate) -> None:
        self._gate = gate
        self.paramstyle = "qmark"

    def connect(self, *args: Any, timeout: float = 5.0, **kw: Any) -> Connection:
        kw["check_same_thread"] = False  # the pool may close a connection from another thread
        conn = sqlite3.connect(*args, timeout=timeout, **kw)  # type: ignore[call-overload]
        conn.isolation_level = None  # transactions are begun explicitly (BEGIN IMMEDIATE)
        return Connection(conn, self._gate, timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(sqlite3, name)


class SQLiteDialect_inloop(SQLiteDialect_pysqlite):
    driver = DRIVER
    supports_statement_cache = True
    is_async = True

    @classmethod
    def import_dbapi(cls) -> Any:
        return _DBAPI(WriteGate())  # called once per engine: each engine has its own gate

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool

    def do_begin(self, dbapi_connection: Any) -> None:
        dbapi_connection.begin_immediate()

    def get_driver_connection(self, connection: Any) -> Any:
        return connection.driver_connection


registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteDialect_inloop")
dialect = SQLiteDialect_inloop


class InLoopSession(AsyncSession):
    """An ``AsyncSession`` for this driver that runs SQL without SQLAlchemy's greenlet once begun.

    ``AsyncSession`` runs every call of its synchronous ``Session`` inside a new greenlet
    (``greenlet_spawn``), so that the driver can await. This driver awaits at one point only: when a
    transaction begins, waiting for the process's other writers (``BEGIN IMMEDIATE``, above). So the
    session goes through the greenlet to begin (``_begin``), and once its transaction holds a
    connection, each statement, flush and commit calls the synchronous ``Session`` directly: the
    statements themselves never wait. That saves a greenlet per call: a transaction with one query
    went from about 450 to 260 µs of CPU.

    Anything not overridden here goes through ``AsyncSession``'s greenlet as before, and stays correct.
    """

    _begun = False

    async def _begin(self) -> None:
        if not self._begun:
            await greenlet_spawn(self.sync_session.connection)  # BEGIN IMMEDIATE, waiting in the loop
            self._begun = True

    async def execute(self, statement: Any, params: Any = None, **kw: Any) -> Any:  # type: ignore[override]
        await self._begin()
        return self.sync_session.execute(statement, params, **_buffered(kw))

    async def scalar(self, statement: Any, params: Any = None, **kw: Any) -> Any:  # type: ignore[override]
        await self._begin()
        return self.sync_session.scalar(statement, params, **_buffered(kw))

    async def scalars(self, statement: Any, params: Any = None, **kw: Any) -> Any:  # type: ignore[override]
        return (await self.execute(statement, params, **kw)).scalars()

    async def get(self, entity: Any, ident: Any, **kw: Any) -> Any:  # type: ignore[override]
        await self._begin()
        return self.sync_session.get(entity, ident, **kw)

    async def flush(self, objects: Any = None) -> None:
        await self._begin()
        self.sync_session.flush(objects)

    async def commit(self) -> None:
        session = self.sync_session
        if not self._begun and (session.new or session.dirty or session.deleted):
            await self._begin()  # the flush before the commit writes
        try:
            session.commit()
        finally:
            self._begun = False

    async def rollback(self) -> None:
        try:
            self.sync_session.rollback()  # never waits: SQLite's ROLLBACK, the connection back to the pool
        finally:
            self._begun = False

    async def close(self) -> None:
        try:
            self.sync_session.close()
        finally:
            self._begun = False


_BUFFERED = immutabledict({"prebuffer_rows": True})  # as AsyncSession's own execute: rows read at once


def _buffered(kw: dict[str, Any]) -> dict[str, Any]:
    options = kw.get("execution_options")
    return {**kw, "execution_options": _BUFFERED.union(options) if options else _BUFFERED}
