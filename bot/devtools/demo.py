"""The local demo chat: the real application, database and content, talking through an in-process
stand-in for the Bot API, with this terminal as the patient's phone.

Bot messages are printed; inline buttons appear as numbered choices; type a number to press one, or
type anything else to send it as a message (``/start`` to begin). Ctrl-D or ``/quit`` ends the demo.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any

from bot.app import build_application
from bot.config import Config
from bot.devtools.fake_bot_api import FakeBotApi
from bot.devtools.inprocess_request import InProcessRequest
from bot.runtime import RunningBot, prepare

DEMO_CHAT_ID = 4242


class TerminalPhone:
    """Prints what the bot sends and remembers the latest buttons so a number can press them."""

    def __init__(
        self, api: FakeBotApi, out: Any = sys.stdout, files_dir: Path = Path("data/demo-files")
    ) -> None:
        self.api = api
        self.out = out
        self.files_dir = files_dir
        self.choices: list[tuple[int, str]] = []
        self._seen = 0

    def show(self, record: Any) -> None:
        method = record.method
        if method == "sendMessage":
            self._print_message(record.text or "", record.reply_markup, record.message_id)
        elif method == "editMessageText":
            self._print_message("(updated) " + (record.text or ""), record.reply_markup, record.message_id)
        elif method in ("sendDocument", "sendPhoto"):
            self._print_file(record)
        elif method == "answerCallbackQuery" and record.params.get("text"):
            print(f"  ({record.params['text']})", file=self.out)

    def _print_message(self, text: str, markup: dict[str, Any] | None, message_id: int | None) -> None:
        print("\nBOT: " + text.replace("\n", "\n     "), file=self.out)
        rows = (markup or {}).get("inline_keyboard") or []
        buttons = [b for row in rows for b in row if "callback_data" in b]
        if buttons and message_id is not None:
            self.choices = [(message_id, b["callback_data"]) for b in buttons]
            for number, button in enumerate(buttons, 1):
                print(f"     [{number}] {button['text']}", file=self.out)

    def _print_file(self, record: Any) -> None:
        self.files_dir.mkdir(parents=True, exist_ok=True)
        for upload in record.files.values():
            path = self.files_dir / upload.filename
            path.write_bytes(upload.data)
            print(f"\nBOT sent a file: {path}", file=self.out)
        if record.text:
            print("     " + record.text, file=self.out)

    async def pump(self) -> None:
        while True:
            records = await self.api.wait_new_records(self._seen, timeout=1.0)
            for record in records:
                self.show(record)
            self._seen += len(records)

    def send(self, line: str) -> None:
        line = line.strip()
        if line.isdigit() and 1 <= int(line) <= len(self.choices):
            message_id, data = self.choices[int(line) - 1]
            self.api.push_callback(DEMO_CHAT_ID, message_id, data)
        elif line:
            self.api.push_message(DEMO_CHAT_ID, line, language_code="en")


async def run_demo(config: Config) -> None:
    services = await prepare(config)
    api = FakeBotApi()
    app = build_application(services, request=InProcessRequest(api), updates_request=InProcessRequest(api))
    bot = RunningBot(services, app, poll_timeout=1)
    phone = TerminalPhone(api)
    await bot.start()
    pump = asyncio.create_task(phone.pump())
    print("Local demo chat. Type /start to begin; a number presses a button; Ctrl-D quits.")
    try:
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line or line.strip() == "/quit":
                break
            phone.send(line)
    finally:
        await asyncio.sleep(0.3)
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
        await bot.stop()
