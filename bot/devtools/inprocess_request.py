"""A python-telegram-bot ``BaseRequest`` that talks to a :class:`FakeBotApi` without HTTP.

    api = FakeBotApi()
    app = (
        ApplicationBuilder().token("123:ABC")
        .request(InProcessRequest(api)).get_updates_request(InProcessRequest(api))
        .build()
    )

Parameters travel exactly as with ``HTTPXRequest``: plain values JSON-encoded
(``RequestData.json_parameters``), uploads as multipart parts (``RequestData.multipart_data``),
so the fake sees what the HTTP server would see.  Status codes mirror Telegram's (200 or the
envelope's ``error_code``), hence PTB raises its usual ``Forbidden``/``BadRequest``/
``RetryAfter``/``NetworkError``.  ``read_timeout`` is honoured (``telegram.error.TimedOut``).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import unquote, urlsplit

from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from bot.devtools.fake_bot_api import FakeBotApi
from bot.devtools.fake_bot_api_types import UploadedFile

__all__ = ["InProcessRequest"]


def _read_content(content: Any) -> bytes:
    if isinstance(content, bytes | bytearray):
        return bytes(content)
    if hasattr(content, "read"):  # file handle (PTB >= 21.5 may pass these)
        data = content.read()
        return data.encode() if isinstance(data, str) else bytes(data)
    return str(content).encode()


class InProcessRequest(BaseRequest):
    """Routes Bot API calls to ``api.handle`` in the same event loop."""

    __slots__ = ("_api", "_closed", "_read_timeout")

    def __init__(self, api: FakeBotApi, read_timeout: float | None = 5.0) -> None:
        self._api = api
        self._read_timeout = read_timeout
        self._closed = False

    @property
    def api(self) -> FakeBotApi:
        return self._api

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        self._closed = False

    async def shutdown(self) -> None:
        self._closed = True

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._closed:
            raise RuntimeError("This InProcessRequest is not initialized!")
        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._read_timeout
        path = unquote(urlsplit(url).path)
        segments = path.rstrip("/").split("/")

        if "file" in segments[:-2]:  # /file/bot<token>/<file_path>: getFile download
            idx = segments.index("file")
            upload = self._api.file_paths.get("/".join(segments[idx + 2 :]))
            if upload is None:
                return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
            return 200, upload.data

        api_method = segments[-1]
        token = segments[-2][3:] if len(segments) >= 2 and segments[-2].startswith("bot") else None
        params: dict[str, Any] = {}
        if request_data is not None:
            params.update(request_data.json_parameters)
            for name, (filename, content, mime) in request_data.multipart_data.items():
                params[name] = UploadedFile(filename, mime, _read_content(content), name)

        call = self._api.handle(api_method, params, token=token)
        try:
            if read_timeout is None:
                envelope = await call
            else:
                envelope = await asyncio.wait_for(call, read_timeout)
        except TimeoutError as exc:
            raise TimedOut from exc
        status = 200 if envelope.get("ok") else int(envelope.get("error_code", 500))
        return status, json.dumps(envelope, ensure_ascii=False).encode()
