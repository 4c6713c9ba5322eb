"""Bot API methods of the fake Bot API: identity, webhook, updates, commands, chats.

Mixed into ``FakeBotApi``.  Each ``m_<lowercase method>`` receives decoded params and returns
the ``result`` value or raises :class:`ApiError`; message methods are in
``fake_bot_api_messages.py``.
"""

from __future__ import annotations

import asyncio
import json
import re

from bot.devtools.fake_bot_api_state import ApiState
from bot.devtools.fake_bot_api_types import ApiError, UploadedFile, bad_request

CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_GIFT_TYPES = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}


class BotApiMethods(ApiState):
    # -- bot identity & lifecycle ------------------------------------------------------------
    def m_getme(self, p: dict) -> dict:
        return dict(
            self.bot_user,
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )

    def m_close(self, p: dict) -> bool:
        return True

    def m_logout(self, p: dict) -> bool:
        return True

    def m_setwebhook(self, p: dict) -> bool:
        if not p.get("url"):
            return self.m_deletewebhook(p)
        self.webhook = {k: v for k, v in p.items() if not isinstance(v, UploadedFile)}
        return True

    def m_deletewebhook(self, p: dict) -> bool:
        self.webhook = None
        if p.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def m_getwebhookinfo(self, p: dict) -> dict:
        hook = self.webhook or {}
        return {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

    # -- updates -----------------------------------------------------------------------------
    async def m_getupdates(self, p: dict) -> list[dict]:
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(p.get("offset") or 0)
        limit = max(1, min(100, int(p.get("limit") or 100)))
        timeout = max(0.0, float(p.get("timeout") or 0))
        if isinstance(p.get("allowed_updates"), list):
            self.allowed_updates = p["allowed_updates"] or None
        if offset > 0:
            self.updates[:] = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            del self.updates[: max(0, len(self.updates) + offset)]
        self._poll_generation += 1
        generation, epoch = self._poll_generation, self._release_epoch
        self._notify(self._update_waiters)  # wakes (and so terminates) an older long poll
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self.pollers_waiting += 1
        try:
            while True:
                batch = [u for u in self.updates if self._update_allowed(u)][:limit]
                remaining = deadline - loop.time()
                if batch or remaining <= 0:
                    return [json.loads(json.dumps(u)) for u in batch]
                await self._wait(self._update_waiters, remaining)
                if epoch != self._release_epoch:
                    return []
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make "
                        "sure that only one bot instance is running",
                    )
        finally:
            self.pollers_waiting -= 1

    # -- commands ----------------------------------------------------------------------------
    @staticmethod
    def _commands_key(p: dict) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), p.get("language_code") or ""

    def m_setmycommands(self, p: dict) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad_request('parameter "commands" is required')
        for cmd in commands:
            name = str(cmd.get("command", ""))
            if not _COMMAND_NAME.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def m_getmycommands(self, p: dict) -> list[dict]:
        return list(self.commands.get(self._commands_key(p), []))

    def m_deletemycommands(self, p: dict) -> bool:
        self.commands.pop(self._commands_key(p), None)
        return True

    # -- chats -------------------------------------------------------------------------------
    def m_getchat(self, p: dict) -> dict:
        chat = self._target_chat(p, check_blocked=False)
        return dict(chat, accent_color_id=0, max_reaction_count=11, accepted_gift_types=dict(_GIFT_TYPES))

    def m_sendchataction(self, p: dict) -> bool:
        chat = self._target_chat(p)
        if p.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._record("sendChatAction", p, chat["id"], None, None, True)
        return True
