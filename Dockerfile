# One container, SQLite on a volume. For PostgreSQL set DATABASE_URL instead.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/recovery.db \
    ENCRYPTION_KEY_FILE=/data/encryption.key \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app

RUN groupadd --system bot && useradd --system --gid bot --home-dir /app --shell /usr/sbin/nologin bot \
    && mkdir /data && chown bot:bot /data

COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir .

COPY alembic.ini config.toml ./
COPY alembic ./alembic
COPY content ./content

USER bot
VOLUME ["/data"]

# Migrates to the latest schema, then long-polls Telegram (BOT_TOKEN must be set).
CMD ["python", "-m", "bot", "run"]
