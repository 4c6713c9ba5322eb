"""Queries for the outbox (the only module that touches ``outbox``): replies waiting for Telegram.

Written in the transaction of the update they answer, deleted once Telegram accepted them. Core
statements built once: every reply passes through here twice (written, deleted).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, NamedTuple
from typing import cast as typed

from sqlalchemy import Table, bindparam, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OutboxMessage

_outbox = typed(Table, OutboxMessage.__table__)

_ADD = insert(_outbox).returning(_outbox.c.id)
_DELETE = delete(_outbox).where(_outbox.c.id == bindparam("row_id"))  # executemany: no IN to expand
_OF_SOURCE = (
    select(_outbox.c.id, _outbox.c.body)
    .where(_outbox.c.source_chat_id == bindparam("source"))
    .order_by(_outbox.c.id)
)
_SOURCES = select(_outbox.c.source_chat_id).distinct()


class Queued(NamedTuple):
    id: int
    params: dict[str, Any]  # the sendMessage parameters


async def add(
    session: AsyncSession, source_chat_id: int, messages: list[dict[str, Any]], now: dt.datetime
) -> list[int]:
    """Queues ``sendMessage`` parameters (JSON-ready) in order; returns their ids, in the same order."""
    ids = []
    for params in messages:  # one statement each: an update rarely has more than one reply
        row = {
            "source_chat_id": source_chat_id,
            "chat_id": params["chat_id"],
            "body": json.dumps(params, separators=(",", ":"), ensure_ascii=False),
            "created_at": now,
        }
        ids.append((await session.execute(_ADD, row)).scalar_one())
    return ids


async def of_source(session: AsyncSession, source_chat_id: int) -> list[Queued]:
    """The replies that updates of this chat queued and that were not delivered yet, oldest first."""
    result = await session.execute(_OF_SOURCE, {"source": source_chat_id})
    return [Queued(row_id, json.loads(body)) for row_id, body in result.all()]


async def sources(session: AsyncSession) -> set[int]:
    """The chats with replies still waiting (after a restart, or while Telegram refuses them)."""
    return set((await session.scalars(_SOURCES)).all())


async def waiting(session: AsyncSession) -> tuple[int, dt.datetime | None]:
    """How many replies wait for Telegram, and since when the oldest does (for admins)."""
    row = (await session.execute(select(func.count(), func.min(_outbox.c.created_at)))).one()
    return row[0], row[1]


async def remove(session: AsyncSession, ids: list[int]) -> None:
    if ids:
        await session.execute(_DELETE, [{"row_id": row_id} for row_id in ids])


async def delete_for_chat(session: AsyncSession, chat_id: int) -> None:
    """Everything queued to or because of this chat (``/delete``)."""
    await session.execute(
        delete(_outbox).where(or_(_outbox.c.chat_id == chat_id, _outbox.c.source_chat_id == chat_id))
    )
