"""Queries for the durable update store (the only module that touches ``inbound_updates``).

The queries on the hot path (storing a batch, listing what is pending, removing a handled update) are
Core statements built once, with as few round trips as the guarantees allow; each costs a fraction of
the equivalent ORM statement.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, NamedTuple
from typing import cast as typed

from sqlalchemy import BigInteger, Table, bindparam, cast, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.db.models import BotState, InboundUpdate

LAST_UPDATE_KEY = "last_update_id"

_updates = typed(Table, InboundUpdate.__table__)
_state = typed(Table, BotState.__table__)

Executor = AsyncSession | AsyncConnection  # the store's queries run on either


class Pending(NamedTuple):
    """A pending update without its payload (which is decrypted only when it is needed)."""

    update_id: int
    chat_id: int | None
    attempts: int


_PENDING = (
    select(_updates.c.update_id, _updates.c.chat_id, _updates.c.attempts)
    .where(_updates.c.status == "pending")
    .order_by(_updates.c.update_id)
    .limit(bindparam("limit"))
)
# The chats skipped wait for earlier replies to go out; an update without a chat counts as chat 0, as
# it does in the processor's outbox (Telegram never gives a chat that id).
NO_CHAT = 0
_PENDING_EXCEPT = _PENDING.where(
    func.coalesce(_updates.c.chat_id, NO_CHAT).not_in(bindparam("skip", expanding=True))
)
_PAYLOADS = select(_updates.c.update_id, _updates.c.payload).where(
    _updates.c.update_id.in_(bindparam("ids", expanding=True))
)
_MARK_DONE = delete(_updates).where(_updates.c.update_id == bindparam("update_id"))
_LAST_UPDATE_ID = select(_state.c.value).where(_state.c.key == LAST_UPDATE_KEY)


def chat_id_of(raw: dict[str, Any]) -> int | None:
    """The chat an update belongs to (its ordering key); None for updates without a chat."""
    for field in ("message", "edited_message", "channel_post", "edited_channel_post", "my_chat_member"):
        if field in raw:
            return raw[field].get("chat", {}).get("id")
    if "callback_query" in raw:
        cq = raw["callback_query"]
        msg = cq.get("message") or {}
        return msg.get("chat", {}).get("id") or cq.get("from", {}).get("id")
    return None


def _is_postgresql(session: Executor) -> bool:
    bind = session.bind if isinstance(session, AsyncSession) else session
    return bind is not None and bind.dialect.name == "postgresql"


_STATEMENTS: dict[bool, tuple[Any, Any]] = {}


def _store_statements(postgresql: bool) -> tuple[Any, Any]:
    """The batch insert (duplicates ignored) and the "raise the last update id" upsert, per dialect."""
    if postgresql not in _STATEMENTS:
        insert = pg_insert if postgresql else sqlite_insert
        rows = insert(_updates).on_conflict_do_nothing()
        new = insert(_state).values(key=LAST_UPDATE_KEY, value=bindparam("highest"))
        last = new.on_conflict_do_update(
            index_elements=[_state.c.key],
            set_={"value": new.excluded.value},
            where=cast(_state.c.value, BigInteger) < cast(new.excluded.value, BigInteger),
        ).returning(_state.c.value)
        _STATEMENTS[postgresql] = (rows, last)
    return _STATEMENTS[postgresql]


async def last_update_id(session: Executor) -> int | None:
    value = await session.scalar(_LAST_UPDATE_ID)
    return int(value) if value is not None else None


async def store_batch(session: Executor, raws: list[dict[str, Any]], now: dt.datetime) -> int:
    """Stores updates (duplicates ignored) and the highest update id seen; returns that id.

    Two statements: the rows, and one upsert that raises the stored last update id only when this
    batch's is higher (it returns a row only then; otherwise the stored, higher id is read).
    """
    insert_rows, raise_last = _store_statements(_is_postgresql(session))
    rows = [
        {
            "update_id": raw["update_id"],
            "chat_id": chat_id_of(raw),
            "status": "pending",
            "attempts": 0,
            "payload": json.dumps(raw, separators=(",", ":")),
            "received_at": now,
            "last_error": None,
        }
        for raw in raws
    ]
    await session.execute(insert_rows, rows)
    highest = max(r["update_id"] for r in raws)
    if (await session.execute(raise_last, {"highest": str(highest)})).first() is not None:
        return highest
    previous = await last_update_id(session)
    return highest if previous is None else previous


async def pending_heads(session: Executor, limit: int, skip_chats: Sequence[int] = ()) -> list[Pending]:
    """The oldest pending updates, in order, without their payloads; none of the ``skip_chats``."""
    if skip_chats:
        result = await session.execute(_PENDING_EXCEPT, {"limit": limit, "skip": list(skip_chats)})
    else:
        result = await session.execute(_PENDING, {"limit": limit})
    return [Pending(*row) for row in result.all()]


async def payloads(session: Executor, update_ids: list[int]) -> dict[int, str]:
    """The stored (decrypted) payloads of these updates."""
    if not update_ids:
        return {}
    result = await session.execute(_PAYLOADS, {"ids": update_ids})
    return {update_id: payload for update_id, payload in result.all()}


async def pending(session: AsyncSession, limit: int) -> list[InboundUpdate]:
    stmt = (
        select(InboundUpdate)
        .where(InboundUpdate.status == "pending")
        .order_by(InboundUpdate.update_id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def mark_done(session: Executor, update_id: int) -> None:
    await session.execute(_MARK_DONE, {"update_id": update_id})


async def record_failure(session: AsyncSession, update_id: int, error: str, give_up: bool) -> None:
    await session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.update_id == update_id)
        .values(
            attempts=InboundUpdate.attempts + 1,
            last_error=error[:1000],
            status="failed" if give_up else "pending",
        )
    )


async def failed(session: AsyncSession) -> list[InboundUpdate]:
    stmt = select(InboundUpdate).where(InboundUpdate.status == "failed").order_by(InboundUpdate.update_id)
    return list((await session.scalars(stmt)).all())


async def requeue(session: AsyncSession, update_id: int | None = None) -> int:
    stmt = update(InboundUpdate).where(InboundUpdate.status == "failed")
    if update_id is not None:
        stmt = stmt.where(InboundUpdate.update_id == update_id)
    result = await session.execute(stmt.values(status="pending", attempts=0))
    return typed(CursorResult[Any], result).rowcount or 0


async def delete_for_chat(session: AsyncSession, chat_id: int) -> None:
    await session.execute(delete(InboundUpdate).where(InboundUpdate.chat_id == chat_id))
