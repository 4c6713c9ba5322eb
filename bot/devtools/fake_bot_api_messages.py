"""Message methods of the fake Bot API: send/edit/delete, media, callbacks, getFile.

Mixed into ``FakeBotApi`` (see ``fake_bot_api_methods.py`` for the conventions).
"""

from __future__ import annotations

from typing import Any

from bot.devtools.fake_bot_api_format import FormatError, render, utf16_len
from bot.devtools.fake_bot_api_state import ApiState
from bot.devtools.fake_bot_api_types import ApiError, UploadedFile, bad_request, image_size, now

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


def _inline_markup(markup: Any) -> dict[str, Any] | None:
    """Telegram only echoes inline keyboards back in Message objects."""
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        for row in markup["inline_keyboard"]:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
        return markup
    return None


class MessageMethods(ApiState):
    def _render(self, text: str, parse_mode: Any, entities: Any) -> tuple[str, list]:
        try:
            return render(text, parse_mode, entities)
        except FormatError as exc:
            raise ApiError(400, str(exc)) from None

    def _new_bot_message(self, p: dict[str, Any], chat: dict, **content: Any) -> dict:
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "from": self.bot_user,
            "chat": chat,
            "date": now(),
        }
        reply_to = (p.get("reply_parameters") or {}).get("message_id") or p.get("reply_to_message_id")
        if reply_to:
            original = self.messages.get((chat["id"], int(reply_to)))
            if original is not None:
                msg["reply_to_message"] = {k: v for k, v in original.items() if k != "reply_to_message"}
            elif not (p.get("reply_parameters") or {}).get("allow_sending_without_reply"):
                raise bad_request("message to be replied not found")
        msg.update({k: v for k, v in content.items() if v not in (None, [])})
        markup = _inline_markup(p.get("reply_markup"))
        if markup:
            msg["reply_markup"] = markup
        self.messages[(chat["id"], msg["message_id"])] = msg
        return msg

    def _caption(self, p: dict[str, Any]) -> tuple[str | None, list]:
        if not p.get("caption"):
            return None, []
        caption, ents = self._render(p["caption"], p.get("parse_mode"), p.get("caption_entities"))
        if utf16_len(caption) > 1024:
            raise bad_request("message caption is too long")
        return caption, ents

    def _file_input(self, p: dict[str, Any], key: str) -> UploadedFile:
        value = p.get(key)
        if isinstance(value, UploadedFile):
            return value
        if isinstance(value, str) and value.startswith("attach://"):
            found = p.get(value[len("attach://") :])
            if isinstance(found, UploadedFile):
                return found
        if isinstance(value, str) and value:
            known = self.files.get(value)
            return known if known else UploadedFile(value.rsplit("/", 1)[-1], None, b"", key)
        raise bad_request(f"there is no {key} in the request")

    def _editable(self, p: dict[str, Any]) -> dict[str, Any] | None:
        """The stored message addressed by chat_id+message_id (None for inline messages)."""
        if p.get("inline_message_id"):
            return None
        chat = self._target_chat(p)
        msg = self.messages.get((chat["id"], self._message_id(p)))
        if msg is None:
            raise bad_request("message to edit not found")
        if msg["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return msg

    def _store_edit(self, msg: dict, markup: Any, **content: Any) -> dict:
        new = {**msg, "edit_date": now()}
        for key, value in content.items():
            if value in (None, []):
                new.pop(key, None)
            else:
                new[key] = value
        inline = _inline_markup(markup)
        if inline:
            new["reply_markup"] = inline
        else:
            new.pop("reply_markup", None)
        if {k: v for k, v in new.items() if k != "edit_date"} == {
            k: v for k, v in msg.items() if k != "edit_date"
        }:
            raise bad_request(NOT_MODIFIED)
        self.messages[(msg["chat"]["id"], msg["message_id"])] = new
        return new

    # -- messages ----------------------------------------------------------------------------
    def m_sendmessage(self, p: dict) -> dict:
        chat = self._target_chat(p)
        if not p.get("text"):
            raise bad_request("message text is empty")
        text, entities = self._render(str(p["text"]), p.get("parse_mode"), p.get("entities"))
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > 4096:
            raise bad_request("message is too long")
        msg = self._new_bot_message(p, chat, text=text, entities=entities)
        self._record("sendMessage", p, chat["id"], msg["message_id"], text, msg)
        return msg

    def m_sendphoto(self, p: dict) -> dict:
        chat = self._target_chat(p)
        upload = self._file_input(p, "photo")
        caption, ents = self._caption(p)
        width, height = image_size(upload.data) or (800, 600)
        scale = min(1.0, 90 / max(width, height, 1))
        thumb_id, thumb_uid = self.register_file(UploadedFile("thumb.jpg", "image/jpeg", b""))
        file_id, file_uid = self.register_file(upload)
        sizes = [
            {
                "file_id": thumb_id,
                "file_unique_id": thumb_uid,
                "width": max(1, int(width * scale)),
                "height": max(1, int(height * scale)),
                "file_size": upload.size // 10,
            },
            {
                "file_id": file_id,
                "file_unique_id": file_uid,
                "width": width,
                "height": height,
                "file_size": upload.size,
            },
        ]
        msg = self._new_bot_message(p, chat, photo=sizes, caption=caption, caption_entities=ents)
        self._record("sendPhoto", p, chat["id"], msg["message_id"], caption, msg, files=self._uploads(p))
        return msg

    def m_senddocument(self, p: dict) -> dict:
        chat = self._target_chat(p)
        upload = self._file_input(p, "document")
        caption, ents = self._caption(p)
        file_id, file_uid = self.register_file(upload)
        doc = {
            "file_id": file_id,
            "file_unique_id": file_uid,
            "file_name": upload.filename,
            "mime_type": upload.mime_type or "application/octet-stream",
            "file_size": upload.size,
        }
        msg = self._new_bot_message(p, chat, document=doc, caption=caption, caption_entities=ents)
        self._record("sendDocument", p, chat["id"], msg["message_id"], caption, msg, files=self._uploads(p))
        return msg

    def m_editmessagetext(self, p: dict) -> dict | bool:
        msg = self._editable(p)
        if not p.get("text"):
            raise bad_request("message text is empty")
        text, entities = self._render(str(p["text"]), p.get("parse_mode"), p.get("entities"))
        if msg is None:
            self._record("editMessageText", p, None, None, text, True)
            return True
        if "text" not in msg:
            raise bad_request("there is no text in the message to edit")
        new = self._store_edit(msg, p.get("reply_markup"), text=text, entities=entities)
        self._record("editMessageText", p, msg["chat"]["id"], msg["message_id"], text, new)
        return new

    def m_editmessagecaption(self, p: dict) -> dict | bool:
        msg = self._editable(p)
        caption, ents = self._caption(p)
        if msg is None:
            self._record("editMessageCaption", p, None, None, caption, True)
            return True
        new = self._store_edit(msg, p.get("reply_markup"), caption=caption, caption_entities=ents)
        self._record("editMessageCaption", p, msg["chat"]["id"], msg["message_id"], caption, new)
        return new

    def m_editmessagereplymarkup(self, p: dict) -> dict | bool:
        msg = self._editable(p)
        if msg is None:
            self._record("editMessageReplyMarkup", p, None, None, None, True)
            return True
        new = self._store_edit(msg, p.get("reply_markup"))
        self._record(
            "editMessageReplyMarkup",
            p,
            msg["chat"]["id"],
            msg["message_id"],
            new.get("text", new.get("caption")),
            new,
        )
        return new

    def m_deletemessage(self, p: dict) -> bool:
        chat = self._target_chat(p)
        message_id = self._message_id(p)
        if self.messages.pop((chat["id"], message_id), None) is None:
            raise bad_request("message to delete not found")
        self._record("deleteMessage", p, chat["id"], message_id, None, True)
        return True

    def m_answercallbackquery(self, p: dict) -> bool:
        query = self.pending_callbacks.pop(str(p.get("callback_query_id", "")), None)
        if query is None:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        message = query.get("message") or {}
        self._record(
            "answerCallbackQuery",
            p,
            message.get("chat", {}).get("id"),
            message.get("message_id"),
            p.get("text"),
            True,
        )
        return True

    def m_getfile(self, p: dict) -> dict:
        upload = self.files.get(str(p.get("file_id", "")))
        if upload is None:
            raise bad_request("invalid file_id")
        path = next((k for k, v in self.file_paths.items() if v is upload), None)
        if path is None:
            path = f"documents/file_{len(self.file_paths)}_{upload.filename}"
            self.file_paths[path] = upload
        return {
            "file_id": p["file_id"],
            "file_unique_id": "AQAD" + p["file_id"][-8:],
            "file_size": upload.size,
            "file_path": path,
        }
