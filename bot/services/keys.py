"""Admin tasks on stored data: key rotation and the updates kept as failed."""

from __future__ import annotations

from sqlalchemy import LargeBinary, Table, bindparam, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.db.crypto import EncryptedJSON, EncryptedText, Keyring, install_keyring
from bot.db.engine import Database, make_engine
from bot.db.migrate import upgrade_to_head
from bot.db.models import Base, BotState
from bot.ingest import store
from bot.repos import outbox
from bot.runtime import CANARY_KEY, encryption_keys


def _encrypted_columns() -> list[tuple[Table, list[str]]]:
    found = []
    for table in Base.metadata.sorted_tables:
        cols = [c.name for c in table.columns if isinstance(c.type, EncryptedText | EncryptedJSON)]
        if cols:
            found.append((table, cols))
    return found


async def _rotate_table(session: AsyncSession, keyring: Keyring, table: Table, cols: list[str]) -> int:
    """Re-encrypts the stored bytes of ``cols`` without ever decoding them into Python values."""
    pk = list(table.primary_key.columns)
    raw = [type_coerce(table.c[c], LargeBinary).label(c) for c in cols]
    count = 0
    for row in (await session.execute(select(*pk, *raw))).mappings():
        values = {c: keyring.rotate(row[c]) for c in cols if row[c] is not None}
        if not values:
            continue
        stmt = update(table).where(*[col == row[col.name] for col in pk])
        await session.execute(
            stmt.values({c: bindparam(f"new_{c}", v, type_=LargeBinary) for c, v in values.items()})
        )
        count += len(values)
    return count


async def rotate_all(config: Config) -> int:
    """Re-encrypts every encrypted value with the newest key; returns how many were rewritten."""
    upgrade_to_head(config.database.url)
    keyring = Keyring(encryption_keys(config))
    install_keyring(keyring)
    db = Database(make_engine(config.database.url, config.database.busy_timeout_ms))
    count = 0
    try:
        async with db.transaction() as session:
            for table, cols in _encrypted_columns():
                count += await _rotate_table(session, keyring, table, cols)
            canary = await session.get(BotState, CANARY_KEY)
            if canary is not None:
                canary.value = keyring.rotate(canary.value.encode()).decode()
    finally:
        await db.dispose()
    return count


async def list_or_requeue_failed(config: Config, requeue: bool) -> list[str]:
    install_keyring(Keyring(encryption_keys(config)))
    db = Database(make_engine(config.database.url, config.database.busy_timeout_ms))
    try:
        async with db.transaction() as session:
            if requeue:
                return [f"put {await store.requeue(session)} failed update(s) back in the queue"]
            rows = await store.failed(session)
            lines = [f"{r.update_id}\tchat {r.chat_id}\tattempts {r.attempts}\t{r.last_error}" for r in rows]
            count, oldest = await outbox.waiting(session)
            if count:  # Telegram has not taken them yet: the running bot keeps trying
                replies = "1 reply" if count == 1 else f"{count} replies"
                lines.append(f"{replies} waiting for Telegram, the oldest since {oldest}")
            return lines or ["no failed updates"]
    finally:
        await db.dispose()
