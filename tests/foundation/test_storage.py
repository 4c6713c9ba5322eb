"""The database: migrations match the models, free text is encrypted at rest, keys rotate and fail closed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select

from bot.config import ConfigError
from bot.db.crypto import generate_key
from bot.db.engine import sync_url
from bot.db.migrate import upgrade_to_head
from bot.db.models import Base, FlowState, Patient
from bot.ingest import store
from bot.runtime import prepare
from bot.services.keys import rotate_all
from tests.harness import TEST_KEY, make_config

SECRET = "my-secret-note-about-my-brother"


def test_models_and_migrations_agree(db_url: str) -> None:
    upgrade_to_head(db_url)
    engine = create_engine(sync_url(db_url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


async def _write_secret(services) -> None:
    now = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    async with services.db.transaction() as session:
        await store.store_batch(
            session, [{"update_id": 7, "message": {"chat": {"id": 9}, "text": SECRET}}], now
        )
        patient = Patient(
            chat_id=9,
            label="P-TEST1",
            consent_at=now,
            language="en",
            active=True,
            created_at=now,
            updated_at=now,
        )
        session.add(patient)
        await session.flush()
        session.add(
            FlowState(
                patient_id=patient.id,
                flow="setup",
                step="x",
                data={"note": SECRET},
                version=1,
                updated_at=now,
            )
        )


async def test_free_text_is_encrypted_at_rest(sqlite_url: str, tmp_path: Path) -> None:
    services = await prepare(make_config(sqlite_url, tmp_path))
    await _write_secret(services)
    await services.db.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("test.db*"))
    assert SECRET.encode() not in raw
    assert b"my-secret" not in raw


async def test_wrong_key_fails_closed_with_a_clear_error(sqlite_url: str, tmp_path: Path) -> None:
    services = await prepare(make_config(sqlite_url, tmp_path))
    await _write_secret(services)
    await services.db.dispose()
    with pytest.raises(ConfigError, match="ENCRYPTION_KEYS cannot decrypt"):
        await prepare(make_config(sqlite_url, tmp_path, ENCRYPTION_KEYS=generate_key()))


async def test_key_rotation_keeps_data_readable_with_new_key(sqlite_url: str, tmp_path: Path) -> None:
    services = await prepare(make_config(sqlite_url, tmp_path))
    await _write_secret(services)
    await services.db.dispose()
    new = generate_key()
    rotated = await rotate_all(make_config(sqlite_url, tmp_path, ENCRYPTION_KEYS=f"{new},{TEST_KEY}"))
    assert rotated >= 2
    services = await prepare(make_config(sqlite_url, tmp_path, ENCRYPTION_KEYS=new))
    async with services.db.transaction() as session:
        state = await session.scalar(select(FlowState))
        assert state.data == {"note": SECRET}
    await services.db.dispose()


async def test_every_sqlite_connection_uses_wal_full_sync_foreign_keys_and_busy_timeout(
    sqlite_url: str, tmp_path: Path
):
    services = await prepare(make_config(sqlite_url, tmp_path))
    engine = services.db.engine
    async with engine.connect() as first, engine.connect() as second:  # two connections of the pool
        for conn in (first, second):
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 2  # FULL
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 5000
    await services.db.dispose()


async def test_duplicate_updates_are_stored_once(db_url: str, tmp_path: Path) -> None:
    services = await prepare(make_config(db_url, tmp_path))
    now = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    raw = {"update_id": 41, "message": {"chat": {"id": 1}, "text": "hi"}}
    for _ in range(2):
        async with services.db.transaction() as session:
            assert await store.store_batch(session, [raw], now) == 41
    async with services.db.transaction() as session:
        assert len(await store.pending(session, 10)) == 1
        assert await store.last_update_id(session) == 41
    await services.db.dispose()
