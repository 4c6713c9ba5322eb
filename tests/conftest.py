"""Shared fixtures: a real database migrated by Alembic, the real application, a fake Bot API.

Every test database is SQLite in a temporary folder; when ``TEST_DATABASE_URL`` names a PostgreSQL
database, the ``db_url`` fixture also runs each test that uses it against PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.harness import Harness, reset_postgres

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
PG_SKIP = "TEST_DATABASE_URL is not set: PostgreSQL tests skipped (.ci/run sets it)"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    if not PG_URL:
        pytest.skip(PG_SKIP)
    reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
async def harness(db_url: str, tmp_path: Path):
    h = Harness(db_url, tmp_path)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


@pytest.fixture
async def sqlite_harness(sqlite_url: str, tmp_path: Path):
    h = Harness(sqlite_url, tmp_path)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
