"""Data types and JSON helpers shared by the fake Bot API modules."""

from __future__ import annotations

import json
import re
import struct
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ApiError",
    "SentRecord",
    "UploadedFile",
    "bad_request",
    "decode_params",
    "image_size",
    "now",
    "record_to_json",
]

_INT_KEYS = {
    "chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "reply_to_message_id",
    "message_thread_id",
    "user_id",
    "from_chat_id",
    "cache_time",
    "max_connections",
    "duration",
    "width",
    "height",
}
_BOOL_KEYS = {
    "disable_notification",
    "protect_content",
    "show_alert",
    "drop_pending_updates",
    "disable_web_page_preview",
    "allow_sending_without_reply",
    "has_spoiler",
    "disable_content_type_detection",
    "revoke_messages",
}
# Values that are free text and must never be JSON-decoded even if they look like JSON.
_TEXT_KEYS = {
    "text",
    "caption",
    "data",
    "callback_query_id",
    "url",
    "inline_message_id",
    "action",
    "parse_mode",
    "description",
    "title",
    "secret_token",
    "ip_address",
}
_INT_RE = re.compile(r"-?\d+")


def now() -> int:
    return int(time.time())


class ApiError(Exception):
    """Raised inside method handlers; becomes ``{"ok": false, ...}``."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def envelope(self) -> dict[str, Any]:
        env: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            env["parameters"] = {"retry_after": self.retry_after}
        return env


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class UploadedFile:
    """A file received as a multipart part (or registered by a test driver)."""

    filename: str
    mime_type: str | None
    data: bytes = field(repr=False)
    field_name: str = ""

    @property
    def size(self) -> int:
        return len(self.data)

    def meta(self) -> dict[str, Any]:
        return {"filename": self.filename, "mime_type": self.mime_type, "size": self.size}


@dataclass
class SentRecord:
    """One successful bot -> Telegram call that changed something (send/edit/delete/answer...).

    ``text`` is the text (or caption) as the user sees it, i.e. after ``parse_mode`` rendering;
    the raw value is in ``params["text"]``.  ``files`` holds uploaded multipart parts by field.
    """

    method: str
    chat_id: int | str | None
    message_id: int | None
    text: str | None
    reply_markup: dict[str, Any] | None
    params: dict[str, Any]
    at: float
    index: int = 0
    result: Any = None
    files: dict[str, UploadedFile] = field(default_factory=dict)
    token: str | None = None


def record_to_json(rec: SentRecord) -> dict[str, Any]:
    """JSON-safe view of a record (file bytes replaced by their metadata)."""
    params = {k: (v.meta() if isinstance(v, UploadedFile) else v) for k, v in rec.params.items()}
    return {
        "index": rec.index,
        "method": rec.method,
        "chat_id": rec.chat_id,
        "message_id": rec.message_id,
        "text": rec.text,
        "reply_markup": rec.reply_markup,
        "params": params,
        "at": rec.at,
        "result": rec.result,
        "files": {k: f.meta() for k, f in rec.files.items()},
    }


def _decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in _TEXT_KEYS:
        return value
    if key in _INT_KEYS and _INT_RE.fullmatch(value):
        return int(value)
    if key in _BOOL_KEYS and value in ("true", "false", "True", "False", "1", "0"):
        return value in ("true", "True", "1")
    if value[:1] in ("{", "[") or key in ("latitude", "longitude"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def decode_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """Normalise parameters that arrived form-encoded/JSON-encoded into native JSON values.

    python-telegram-bot sends every non-string parameter JSON-encoded (``chat_id="42"``,
    ``reply_markup='{"inline_keyboard": ...}'``); plain JSON bodies arrive already decoded.
    """
    return {k: _decode_value(k, v) for k, v in (params or {}).items() if v is not None}


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) for PNG/GIF/JPEG bytes, else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return w, h
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return w, h
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return w, h
            (seg_len,) = struct.unpack(">H", data[i + 2 : i + 4])
            i += 2 + seg_len
    return None
