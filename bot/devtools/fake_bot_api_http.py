"""HTTP front-end for :class:`FakeBotApi` (aiohttp), for e2e tests and benchmarks.

Bot API:   ``GET|POST /bot{token}/{method}`` (JSON, form-urlencoded or multipart bodies, query
           string) and ``GET /file/bot{token}/{file_path}`` for getFile downloads.
Control (JSON, for other processes):
  ``POST /_test/push_message``  {chat_id, text?, user?, language_code?, chat_type?, photo?, ...}
  ``POST /_test/push_callback`` {chat_id, message_id, data, user?}
  ``POST /_test/push_update``   raw Update JSON
  ``GET  /_test/sent?since=N[&wait=SECONDS][&chat_id=C]`` -> list of records (file bytes omitted)
  ``POST /_test/config``        see :meth:`FakeBotApi.configure`
  ``GET  /_test/stats``
Every push returns ``{"ok": true, "update_id": n}``.

Standalone: ``python -m bot.devtools.fake_bot_api --port 8081`` prints the base URL to pass as
``BOT_API_URL`` and serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
from typing import Any

from aiohttp import web

from bot.devtools.fake_bot_api import FakeBotApi
from bot.devtools.fake_bot_api_types import UploadedFile, record_to_json

__all__ = ["FakeBotApi", "FakeBotApiServer", "main"]

_PUSH_MESSAGE_KWARGS = {
    "user",
    "chat_type",
    "language_code",
    "photo",
    "sticker",
    "voice",
    "document",
    "location",
    "edited",
    "reply_to_message_id",
    "entities",
    "message_id",
}


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(data, ensure_ascii=False).encode(),
        status=status,
        content_type="application/json",
    )


class FakeBotApiServer:
    """Serves a :class:`FakeBotApi` on loopback.  ``base_url`` is set by :meth:`start`."""

    def __init__(self, api: FakeBotApi | None = None) -> None:
        self.api = api if api is not None else FakeBotApi()
        self.base_url: str | None = None
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        r = app.router
        r.add_route("*", "/bot{token}/{method}", self._api_call)
        r.add_get("/file/bot{token}/{path:.+}", self._download)
        r.add_post("/_test/push_message", self._push_message)
        r.add_post("/_test/push_callback", self._push_callback)
        r.add_post("/_test/push_update", self._push_update)
        r.add_get("/_test/sent", self._sent)
        r.add_post("/_test/config", self._config)
        r.add_get("/_test/stats", self._stats)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving; returns the base URL (``http://HOST:PORT/bot``)."""
        # handler_cancellation: a long poll whose client went away stops counting as a poller.
        self._runner = web.AppRunner(
            self.make_app(), access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.base_url = f"http://{host}:{self.port}/bot"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            self.api.release_pollers()
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- Bot API -----------------------------------------------------------------------------
    async def _api_call(self, request: web.Request) -> web.Response:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    return _json(
                        {"ok": False, "error_code": 400, "description": "Bad Request: invalid JSON"}, 400
                    )
                params.update(body or {})
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        params[key] = UploadedFile(value.filename, value.content_type, value.file.read(), key)
                    else:
                        params[key] = value
        envelope = await self.api.handle(
            request.match_info["method"], params, token=request.match_info["token"]
        )
        return _json(envelope, 200 if envelope["ok"] else envelope["error_code"])

    async def _download(self, request: web.Request) -> web.Response:
        upload = self.api.file_paths.get(request.match_info["path"])
        if upload is None:
            return _json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        return web.Response(body=upload.data, content_type=upload.mime_type or "application/octet-stream")

    # -- control -----------------------------------------------------------------------------
    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json() if request.can_read_body else {}
        except ValueError as exc:
            raise web.HTTPBadRequest(text=f"invalid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="expected a JSON object")
        return body

    async def _push_message(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if "chat_id" not in body:
            raise web.HTTPBadRequest(text="chat_id is required")
        kwargs = {k: v for k, v in body.items() if k in _PUSH_MESSAGE_KWARGS}
        if isinstance(kwargs.get("location"), list):
            kwargs["location"] = tuple(kwargs["location"])
        update_id = self.api.push_message(int(body["chat_id"]), body.get("text"), **kwargs)
        return _json({"ok": True, "update_id": update_id})

    async def _push_callback(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        try:
            update_id = self.api.push_callback(
                int(body["chat_id"]), int(body["message_id"]), str(body["data"]), body.get("user")
            )
        except KeyError as exc:
            raise web.HTTPBadRequest(text=f"missing field {exc}") from exc
        return _json({"ok": True, "update_id": update_id})

    async def _push_update(self, request: web.Request) -> web.Response:
        return _json({"ok": True, "update_id": self.api.push_update(await self._body(request))})

    async def _sent(self, request: web.Request) -> web.Response:
        try:
            since = int(request.query.get("since", 0))
            wait = float(request.query.get("wait", 0))
            chat_id = request.query.get("chat_id")
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from exc
        records = await self.api.wait_new_records(since, min(wait, 60.0))
        if chat_id is not None:
            records = [r for r in records if str(r.chat_id) == chat_id]
        return _json([record_to_json(r) for r in records])

    async def _config(self, request: web.Request) -> web.Response:
        try:
            return _json(self.api.configure(**await self._body(request)))
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from exc

    async def _stats(self, request: web.Request) -> web.Response:
        return _json(self.api.stats())


async def _serve(args: argparse.Namespace) -> None:
    api = FakeBotApi(
        rate_limit_per_second=args.rate_limit,
        per_chat_per_second=args.per_chat_rate,
        latency=args.latency,
    )
    server = FakeBotApiServer(api)
    base_url = await server.start(args.host, args.port)
    print(base_url, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bot.devtools.fake_bot_api", description="Fake Telegram Bot API server"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 = pick a free port")
    parser.add_argument("--rate-limit", type=float, default=None, help="global sends/second")
    parser.add_argument("--per-chat-rate", type=float, default=None, help="sends/second/chat")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per call")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper())
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
