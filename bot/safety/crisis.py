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

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.config import ClinicConfig
from bot.content import Content
from bot.safety.helplines import HelplineBook
from bot.safety.screener import Level, Screening, screen
from bot.sending import send_text
from bot.services import geo

log = logging.getLogger(__name__)

_REMEMBERED = 10_000
SAFETY_BUTTON = re.compile(r"^sf:(safe|unsafe|person|yes|no)$")  # the buttons under crisis replies
MAX_REPLY = 3800  # Telegram allows 4096 characters; emoji count double, so stay well below


def _size(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


class CrisisResponder:
    def __init__(self, content: Content, helplines: HelplineBook, clinic: ClinicConfig) -> None:
        self.content = content
        self.helplines = helplines
        self.clinic = clinic
        self._answered: OrderedDict[int, None] = OrderedDict()

    # -- text -------------------------------------------------------------------------------------
    def country_for(self, chosen: str | None, language_code: str | None) -> str:
        """Whose numbers a reply shows: the patient's country, else the one Telegram's language names
        (``en-IE``), else the clinic's."""
        return chosen or geo.region_of(language_code) or self.clinic.default_country

    def helpline_lines(self, lang: str, country: str | None) -> list[str]:
        """The emergency number, the country's helplines, the clinic's line and the directory."""
        help_ = self.helplines.for_country(country)
        t = self.content.text
        lines = [t(lang, "crisis.emergency_line", number=help_.emergency)]
        for h in help_.helplines:
            hours = t(lang, "crisis.hours", hours=h.hours) if h.hours else ""
            if h.phone:
                lines.append(t(lang, "crisis.helpline_phone", name=h.name, phone=h.phone, hours=hours))
            if h.text:
                lines.append(t(lang, "crisis.helpline_text", name=h.name, text=h.text, hours=hours))
            if h.url and not h.phone and not h.text:
                lines.append(t(lang, "crisis.helpline_url", name=h.name, url=h.url))
        if self.clinic.crisis_line:
            lines.append(
                t(lang, "crisis.clinic_line", clinic=self.clinic.name, phone=self.clinic.crisis_line)
            )
        if not help_.verified:
            d = self.helplines.directory
            lines.append(t(lang, "crisis.directory", name=d.name, url=d.url))
        return lines

    def reply(
        self, level: Level, lang: str, country: str | None, safety_plan: Sequence[str] = ()
    ) -> tuple[str, InlineKeyboardMarkup]:
        """The text and buttons for a screened message at ``level`` (concern or above)."""
        t = self.content.text
        if level == Level.CONCERN:
            return t(lang, "crisis.concern"), self._concern_buttons(lang)
        help_ = self.helplines.for_country(country)
        parts: list[str] = []
        if level == Level.EMERGENCY:
            parts.append(t(lang, "crisis.emergency_first", number=help_.emergency))
            parts.append(t(lang, "crisis.emergency_body"))
        else:
            parts.append(t(lang, "crisis.crisis_body"))
        parts.append("\n".join(self.helpline_lines(lang, country)))
        closing = t(lang, "crisis.not_a_clinician")
        plan = self._plan_block(
            lang, safety_plan, budget=MAX_REPLY - _size("\n\n".join([*parts, closing])) - 4
        )
        if plan:
            parts.append(plan)
        parts.append(closing)
        return "\n\n".join(parts), self._crisis_buttons(lang)

    def button_reply(
        self, choice: str, lang: str, country: str | None
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        """The answer to a button under a crisis or concern reply (``choice`` as in ``SAFETY_BUTTON``)."""
        t = self.content.text
        lines = "\n".join(self.helpline_lines(lang, country))
        if choice == "unsafe":
            number = self.helplines.for_country(country).emergency
            return t(lang, "safety.unsafe", number=number) + "\n\n" + lines, None
        if choice == "person":
            hours = t(lang, "safety.person_hours")
            return t(lang, "safety.person", hours=hours) + "\n\n" + lines, None
        if choice == "yes":
            return self.reply(Level.CRISIS, lang, country)
        return t(lang, "safety.safe" if choice == "safe" else "safety.concern_no"), None

    def _plan_block(self, lang: str, safety_plan: Sequence[str], budget: int) -> str:
        """As many of the plan's lines as fit, so the reply never exceeds Telegram's length limit."""
        if not safety_plan:
            return ""
        block = self.content.text(lang, "crisis.safety_plan_intro")
        for line in safety_plan:
            candidate = f"{block}\n• {line}"
            if _size(candidate) > budget:
                break
            block = candidate
        return block if block != self.content.text(lang, "crisis.safety_plan_intro") else ""

    def _crisis_buttons(self, lang: str) -> InlineKeyboardMarkup:
        t = self.content.text
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(t(lang, "crisis.button_safe"), callback_data="sf:safe")],
                [InlineKeyboardButton(t(lang, "crisis.button_unsafe"), callback_data="sf:unsafe")],
                [InlineKeyboardButton(t(lang, "crisis.button_person"), callback_data="sf:person")],
            ]
        )

    def _concern_buttons(self, lang: str) -> InlineKeyboardMarkup:
        t = self.content.text
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(t(lang, "crisis.button_concern_yes"), callback_data="sf:yes")],
                [InlineKeyboardButton(t(lang, "crisis.button_concern_no"), callback_data="sf:no")],
                [InlineKeyboardButton(t(lang, "crisis.button_person"), callback_data="sf:person")],
            ]
        )

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
    ) -> bool:
        """Sends the reply for ``screening`` once per update; True when it was sent now."""
        if not screening.is_risk:
            return False
        text, buttons = self.reply(screening.level, lang, country, safety_plan)
        return await self._send_once(bot, chat_id, update_id, text, buttons)

    async def answer_button(
        self, bot: Bot, chat_id: int, update_id: int, choice: str, lang: str, country: str | None
    ) -> bool:
        """Answers a press of a button under a crisis reply once per update, at once (never after a
        commit: "I'm not safe" gets the emergency number whatever the database does); True when sent now."""
        text, buttons = self.button_reply(choice, lang, country)
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
