"""What every multi-step flow shares: the patient, the stored state, and how a step is shown.

A flow's state lives in ``flow_states`` and is written in the same transaction as the answer it
records, so after a restart the patient's next message continues at the step where it stopped.
Buttons carry the state's version (``fl:<version>:<action>[:<value>]``); a button from an older step is
recognised as stale and the current step is shown again instead. Callback data is untrusted: it is
parsed strictly and every value is validated by the step that receives it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.db.models import FlowState, Patient
from bot.handlers.context import BotContext
from bot.repos import flows as flow_repo
from bot.sending import send_text

CALLBACK_RE = re.compile(r"^fl:(\d{1,9}):([a-z_]{1,16})(?::([A-Za-z0-9_+\-/:.]{0,40}))?$")


@dataclass(frozen=True)
class Press:
    version: int
    action: str
    value: str


def parse_press(data: str | None) -> Press | None:
    match = CALLBACK_RE.match(data or "")
    if not match:
        return None
    return Press(int(match.group(1)), match.group(2), match.group(3) or "")


@dataclass
class FlowCtx:
    ctx: BotContext
    chat_id: int
    patient: Patient
    state: FlowState | None
    _rows: list[list[InlineKeyboardButton]] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.ctx.services.content.resolve_language(self.patient.language)

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data if self.state else {}

    def t(self, key: str, **values: Any) -> str:
        return self.ctx.services.content.text(self.lang, key, **values)

    def button(self, label: str, action: str, value: str = "") -> InlineKeyboardButton:
        version = self.state.version if self.state else 0
        data = f"fl:{version}:{action}" + (f":{value}" if value else "")
        return InlineKeyboardButton(label, callback_data=data)

    async def say(self, text: str, rows: list[list[InlineKeyboardButton]] | None = None) -> None:
        markup = InlineKeyboardMarkup(rows) if rows else None
        await send_text(self.ctx.bot, self.chat_id, text, reply_markup=markup)

    async def move(self, flow: str, step: str, data: dict[str, Any] | None = None) -> None:
        """Stores the new step (same transaction as the answer that led here)."""
        new_data = dict(self.data if data is None else data)
        self.state = await flow_repo.put(
            self.ctx.session, self.patient.id, flow, step, new_data, self.ctx.services.clock.now()
        )

    async def finish(self) -> None:
        await flow_repo.clear(self.ctx.session, self.patient.id)
        self.state = None
