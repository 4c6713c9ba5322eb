"""The HTTP client for the Bot API: python-telegram-bot's request interface on aiohttp.

python-telegram-bot sends each Bot API call through a :class:`~telegram.request.BaseRequest`; its
default, ``HTTPXRequest``, is built on httpx. Measured on this project's machines (``bench/``), a
``sendMessage`` round trip through httpx costs about 1.2 ms of CPU in the bot, and through aiohttp
about 0.4 ms: aiohttp parses HTTP in C. Every reply, reminder and staff alert is one such call, so the
bot uses aiohttp (already a dependency, for the local Bot API server) through this adapter.

It keeps what python-telegram-bot's own client promises:

* the same defaults (5 s to connect, read and write, 20 s to write a file, 1 s to wait for a free
  connection) and the per-call timeouts python-telegram-bot passes (the long poll's read timeout);
* the same errors: a timeout is :class:`~telegram.error.TimedOut`, any other failure to talk to the
  server :class:`~telegram.error.NetworkError`; the Bot API's own error answers are turned into
  ``BadRequest``, ``Forbidden``, ``RetryAfter`` and so on by python-telegram-bot, as before;
* files go as ``multipart/form-data`` as python-telegram-bot sends them; every other call is one JSON
  document (the Bot API takes both), which costs less to build than a form of JSON-encoded fields;
* the same trust store for HTTPS (``certifi``, which python-telegram-bot's httpx brings).
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import aiohttp
import certifi  # the trust store python-telegram-bot's httpx uses, and a dependency of it
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """One connection pool to the Bot API; create one for ``getUpdates`` and one for everything else."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            context = ssl.create_default_context(cafile=certifi.where())
            connector = aiohttp.TCPConnector(limit=self._pool_size, ssl=context)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}, raise_for_status=False
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data is not None and request_data.contains_files
        body: Any = None
        headers = None
        if request_data is not None and files:
            body = aiohttp.FormData(request_data.json_parameters, quote_fields=False)
            for name, part in request_data.multipart_data.items():
                filename, content, mimetype = _file_part(part)
                body.add_field(name, content, filename=filename, content_type=mimetype)
        elif request_data is not None:  # one JSON document: cheaper than a form of JSON-encoded fields
            body = json.dumps(request_data.parameters, separators=(",", ":")).encode()
            headers = _JSON
        read = self._pick(read_timeout, self._read_timeout)
        write = self._pick(write_timeout, self._media_write_timeout if files else self._write_timeout)
        # aiohttp has no write timeout of its own: writing and reading together get both budgets.
        timeout = aiohttp.ClientTimeout(
            total=_sum(write, read),
            connect=_sum(
                self._pick(pool_timeout, self._pool_timeout),
                self._pick(connect_timeout, self._connect_timeout),
            ),
            sock_read=read,
        )
        try:
            async with session.request(method, url, data=body, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    @staticmethod
    def _pick(given: Any, default: float | None) -> float | None:
        return default if given is BaseRequest.DEFAULT_NONE else given


_JSON = {"Content-Type": "application/json"}


def _file_part(part: Any) -> tuple[str | None, Any, str | None]:
    """python-telegram-bot gives a file as ``(filename, content, mimetype)`` or as bare content."""
    if isinstance(part, tuple):
        if len(part) == 3:
            return part[0], part[1], part[2]
        if len(part) == 2:
            return part[0], part[1], None
    return None, part, None


def _sum(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b
