"""Test drivers of the fake Bot API (mixed into ``FakeBotApi``): queue user-side updates.

All builders produce the exact Bot API JSON shape, so ``telegram.Update.de_json`` parses them.
"""

from __future__ import annotations

from typing import Any

from bot.devtools.fake_bot_api_format import command_entities
from bot.devtools.fake_bot_api_state import ApiState
from bot.devtools.fake_bot_api_types import UploadedFile, now

GROUP_USER_ID = 424242  # default sender in non-private chats


class UpdateDrivers(ApiState):
    def push_update(self, raw: dict[str, Any]) -> int:
        """Queue a raw Update.  Its ``update_id`` is kept only if larger than every earlier one
        (ids must increase for offset confirmation); otherwise a fresh id is assigned.
        Returns the update_id."""
        update = dict(raw)
        if int(update.get("update_id") or 0) < self._next_update_id:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(update["update_id"])) + 1
        self.updates.append(update)
        self.updates_pushed += 1
        self._notify(self._update_waiters)
        return int(update["update_id"])

    def make_user(
        self, user_id: int, language_code: str | None = "en", user: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        base: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        if language_code:
            base["language_code"] = language_code
        return {**base, **(user or {})}

    def _incoming_chat(self, chat_id: int, chat_type: str, sender: dict[str, Any]) -> dict:
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": sender["first_name"]}
            chat.update({k: sender[k] for k in ("last_name", "username") if k in sender})
        else:
            chat = {**self.chats.get(chat_id, {}), "id": chat_id, "type": chat_type}
            chat.setdefault("title", f"Group {chat_id}")
        self.chats[chat_id] = chat
        return chat

    def _media(self, kind: str, value: Any) -> dict[str, Any]:
        filename, mime = {
            "photo": ("photo.jpg", "image/jpeg"),
            "voice": ("voice.ogg", "audio/ogg"),
            "document": ("file.pdf", "application/pdf"),
            "sticker": ("sticker.webp", "image/webp"),
        }[kind]
        data = b"fake-" + kind.encode()
        if isinstance(value, bytes):
            data = value
        elif isinstance(value, tuple):
            filename, data, mime = value
        file_id, uid = self.register_file(UploadedFile(filename, mime, data, kind))
        base = {"file_id": file_id, "file_unique_id": uid, "file_size": len(data)}
        if kind == "photo":
            return {"photo": [{**base, "width": 1280, "height": 960}]}
        if kind == "voice":
            return {"voice": {**base, "duration": 3, "mime_type": mime}}
        if kind == "sticker":
            return {
                "sticker": {
                    **base,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": "👍",
                }
            }
        return {"document": {**base, "file_name": filename, "mime_type": mime}}

    def push_message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user: dict[str, Any] | None = None,
        chat_type: str = "private",
        language_code: str | None = "en",
        photo: bool | bytes = False,
        sticker: bool = False,
        voice: bool | bytes = False,
        document: bool | bytes | tuple[str, bytes, str] = False,
        location: tuple[float, float] | dict[str, float] | None = None,
        edited: bool = False,
        reply_to_message_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
        message_id: int | None = None,
    ) -> int:
        """Queue a user's message (or ``edited_message``; then ``message_id`` defaults to the
        chat's latest user message).  Media given as True get placeholder bytes; ``text`` then
        becomes the caption.  ``/commands`` get bot_command entities unless ``entities`` given.
        Returns the update_id."""
        default_id = chat_id if chat_type == "private" else GROUP_USER_ID
        sender = self.make_user(default_id, language_code, user)
        chat = self._incoming_chat(chat_id, chat_type, sender)
        if edited and message_id is None:
            mine = [
                m for (c, m), v in self.messages.items() if c == chat_id and v["from"]["id"] == sender["id"]
            ]
            message_id = max(mine) if mine else None
        if message_id is None:
            message_id = self._next_message_id(chat_id)
        last = self._last_message_id.get(chat_id, 0)
        self._last_message_id[chat_id] = max(last, message_id)
        original = self.messages.get((chat_id, message_id), {})
        msg: dict[str, Any] = {
            "message_id": message_id,
            "from": sender,
            "chat": chat,
            "date": original.get("date", now()),
        }
        media = {"photo": photo, "sticker": sticker, "voice": voice, "document": document}
        for kind, value in media.items():
            if value is not False and value is not None:
                msg.update(self._media(kind, value))
        if location is not None:
            lat, lon = (
                (location["latitude"], location["longitude"]) if isinstance(location, dict) else location
            )
            msg["location"] = {"latitude": lat, "longitude": lon}
        if text is not None:
            is_caption = any(v is not False and v is not None for v in media.values())
            msg["caption" if is_caption else "text"] = text
            ents = command_entities(text) if entities is None else entities
            if ents:
                msg["caption_entities" if is_caption else "entities"] = ents
        if reply_to_message_id is not None:
            replied = self.messages.get((chat_id, reply_to_message_id))
            if replied is not None:
                msg["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to_message"}
        if edited:
            msg["edit_date"] = now()
        self.messages[(chat_id, message_id)] = msg
        return self.push_update({"edited_message" if edited else "message": msg})

    def push_callback(
        self, chat_id: int, message_id: int, data: str, user: dict[str, Any] | None = None
    ) -> int:
        """Queue a button press on a stored message (an InaccessibleMessage if unknown)."""
        sender = self.make_user(chat_id if chat_id > 0 else GROUP_USER_ID, "en", user)
        message = self.messages.get((chat_id, message_id))
        if message is None:
            message = {"chat": self.chat(chat_id), "message_id": message_id, "date": 0}
        query: dict[str, Any] = {
            "id": str(8_000_000 + next(self._ids)),
            "from": sender,
            "message": message,
            "chat_instance": str(abs(chat_id) * 7919),
            "data": data,
        }
        self.pending_callbacks[query["id"]] = query
        return self.push_update({"callback_query": query})
