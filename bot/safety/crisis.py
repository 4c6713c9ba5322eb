"""The crisis reply: built from memory only (content and helplines loaded at start-up).

Nothing here touches the database, the staff group or the scheduler, so a patient in crisis gets help
even when all three are down. The reply follows safe-messaging practice: calm and direct, no method
details, no judgement; for an emergency the emergency number stands in the first line; then the
helplines of the patient's country, the clinic's own crisis line where set, and the international
directory when the country has no verified helpline.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Sequence

from telegram import Bot, InlineKeyboardMarkup, Update

from bot.config import ClinicConfig
from bot.content import Content
from bot.safety.helplines import HelplineBook
from bot.safety.replies import LABELS, ReplyBuilder
from bot.safety.screener import Level, Screening, screen
from bot.sending import send_text
from bot.services import geo

log = logging.getLogger(__name__)

_REMEMBERED = 10_000
SAFETY_BUTTON = re.compile(r"^sf:(" + "|".join(LABELS) + r")$")  # the buttons under safety replies


class CrisisResponder:
    def __init__(self, content: Content, helplines: HelplineBook, clinic: ClinicConfig) -> None:
        self.content = content
        self.helplines = helplines
        self.clinic = clinic
        self.replies = ReplyBuilder(content, helplines, clinic)
        self._answered: OrderedDict[int, None] = OrderedDict()

    # -- text (built in bot.safety.replies) ---------------------------------------------------------
    def country_for(self, chosen: str | None, language_code: str | None) -> str:
        """Whose numbers a reply shows: the patient's country, else the one Telegram's language names
        (``en-IE``), else the clinic's."""
        return chosen or geo.region_of(language_code) or self.clinic.default_country

    def helpline_lines(self, lang: str, country: str | None) -> list[str]:
        """The emergency number, the country's helplines, the clinic's line and the directory."""
        return self.replies.helpline_lines(lang, country)

    def reply(
        self,
        screening: Screening | Level,
        lang: str,
        country: str | None,
        safety_plan: Sequence[str] = (),
        resume: bool = False,
    ) -> tuple[str, InlineKeyboardMarkup]:
        """The text and buttons for a screened message (concern or above) that fit what it is about;
        ``resume``: the message interrupted a flow, and a button offers to carry on with it. A bare
        ``Level`` (callers from before reasons mattered) is answered as the patient's own risk."""
        if isinstance(screening, Level):
            screening = Screening(screening)
        text, buttons = self.replies.reply(screening, lang, country, safety_plan, resume)
        assert buttons is not None
        return text, buttons

    def button_reply(
        self,
        choice: str,
        lang: str,
        country: str | None,
        safety_plan: Sequence[str] | None = None,
        no_team: bool = False,
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        """The answer to a button under a safety reply (``choice`` as in ``SAFETY_BUTTON``)."""
        return self.replies.button_reply(choice, lang, country, safety_plan, no_team)

    # -- sending ----------------------------------------------------------------------------------
    def already_answered(self, update_id: int) -> bool:
        return update_id in self._answered

    def _remember(self, update_id: int) -> None:
        self._answered[update_id] = None
        while len(self._answered) > _REMEMBERED:
            self._answered.popitem(last=False)

    async def answer(
        self,
        bot: Bot,
        chat_id: int,
        update_id: int,
        screening: Screening,
        lang: str,
        country: str | None,
        safety_plan: Sequence[str] = (),
        resume: bool = False,
    ) -> bool:
        """Sends the reply for ``screening`` once per update; True when it was sent now."""
        if not screening.is_risk:
            return False
        text, buttons = self.reply(screening, lang, country, safety_plan, resume)
        return await self._send_once(bot, chat_id, update_id, text, buttons)

    async def answer_button(
        self,
        bot: Bot,
        chat_id: int,
        update_id: int,
        choice: str,
        lang: str,
        country: str | None,
        safety_plan: Sequence[str] | None = None,
        no_team: bool = False,
    ) -> bool:
        """Answers a press of a button under a crisis reply once per update, at once (never after a
        commit: "I'm not safe" gets the emergency number whatever the database does); True when sent now."""
        text, buttons = self.button_reply(choice, lang, country, safety_plan, no_team)
        return await self._send_once(bot, chat_id, update_id, text, buttons)

    async def _send_once(
        self, bot: Bot, chat_id: int, update_id: int, text: str, buttons: InlineKeyboardMarkup | None
    ) -> bool:
        """Sends at once, never after a commit (nor through the database), once per update."""
        if self.already_answered(update_id):
            return False
        await send_text(bot, chat_id, text, reply_markup=buttons, now=True)
        self._remember(update_id)
        return True

    async def answer_without_database(self, bot: Bot, update: Update) -> None:
        """The crisis path when nothing but memory works: language and country from Telegram.

        Screens a message's text, and answers a press of a button under a crisis reply."""
        message = update.effective_message
        user = update.effective_user
        if message is None or update.effective_chat is None or update.effective_chat.type != "private":
            return
        code = user.language_code if user else None
        lang, country = self.content.resolve_language(code), self.country_for(None, code)
        query = update.callback_query
        if query is not None:
            pressed = SAFETY_BUTTON.match(query.data or "")
            if pressed:
                chat_id = update.effective_chat.id
                await self.answer_button(bot, chat_id, update.update_id, pressed[1], lang, country)
                await query.answer()
            return
        result = screen(message.text or message.caption or "", lang)
        if not result.is_risk:
            return
        await self.answer(bot, update.effective_chat.id, update.update_id, result, lang, country)
