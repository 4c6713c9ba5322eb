"""``python -m bot staff add|remove|list``: the roster, by numeric Telegram user id only."""

from __future__ import annotations

import datetime as dt

from bot.config import Config
from bot.db.crypto import Keyring, install_keyring
from bot.db.engine import Database, make_engine
from bot.db.migrate import upgrade_to_head
from bot.db.models import Staff
from bot.repos import flags as repo
from bot.runtime import encryption_keys

ROLES = ("counsellor", "nurse", "doctor", "oncall", "admin")


async def manage(
    config: Config, action: str, user_id: int | None, name: str, role: str, on_call: bool
) -> str:
    upgrade_to_head(config.database.url)
    install_keyring(Keyring(encryption_keys(config)))
    db = Database(make_engine(config.database.url, config.database.busy_timeout_ms))
    now = dt.datetime.now(dt.UTC)
    try:
        async with db.transaction() as session:
            if action == "list":
                rows = await repo.roster(session)
                return (
                    "\n".join(
                        f"{s.telegram_user_id}\t{s.name}\t{s.role}\t{'on call' if s.on_call else ''}\t"
                        f"{'active' if s.active else 'removed'}"
                        for s in rows
                    )
                    or "the roster is empty"
                )
            assert user_id is not None
            member = await session.get(Staff, user_id)
            if action == "add":
                if member is None:
                    session.add(
                        Staff(
                            telegram_user_id=user_id,
                            name=name,
                            role=role,
                            on_call=on_call,
                            active=True,
                            added_at=now,
                        )
                    )
                else:
                    member.name, member.role, member.on_call, member.active = name, role, on_call, True
                await repo.audit(session, now, "cli", "staff_add", detail=f"{user_id} {role}")
                return f"added {user_id} ({name}, {role})"
            if member is None or not member.active:
                return f"{user_id} is not on the roster"
            member.active, member.on_call = False, False
            await repo.audit(session, now, "cli", "staff_remove", detail=str(user_id))
            return f"removed {user_id}"
    finally:
        await db.dispose()
