"""What the safety path says: the reply to a screened message, and the answers to its buttons.

Built from memory only (content and helplines loaded at start-up), so it works when the database, the
staff group or the scheduler is down. The reply fits what the message is about (:func:`topic`):

* ``self``: the patient's own risk. Concern asks the direct question, with four answers; crisis and
  emergency give the emergency number, the country's helplines and the patient's own safety plan.
* ``self_harm``: the same, with what to do about an injury.
* ``abuse``: violence or abuse against the patient: calm, believing, no judgement, nothing that asks them
  to confront anyone; domestic-violence and child-abuse lines where the country has verified ones.
* ``other``: someone else is in danger: what to do for them now, and buttons about that person.
* ``screener``: the answers tapped in the weekly measures' suicide-risk questions (C-SSRS): words that
  fit answers given to questions, at the risk they showed.
* ``ketamine_medical``: bladder and urinary warning signs: see a clinician soon, today for blood or no
  urine. Never dosing advice.

Nothing here promises that the care team will see anything: that sentence is sent separately, after
the flag it speaks of was committed, and only when a staff channel exists (``bot.safety.promises``).
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.config import ClinicConfig
from bot.content import Content
from bot.safety.helplines import ABUSE_KINDS, Helpline, HelplineBook
from bot.safety.screener import Level, Screening

MAX_REPLY = 3800  # Telegram allows 4096 characters; emoji count double, so stay well below
ABUSE = frozenset({"abuse", "abuse_child", "sexual_abuse", "violence_against_patient", "threatened"})
OTHER = frozenset({"third_party", "unresponsive_person"})
SELF_HARM = frozenset({"self_harm"})
KETAMINE = frozenset({"ketamine_medical"})
SCREENER = {"cssrs": "crisis.screener_body", "cssrs_low": "crisis.screener_low_body"}  # tapped answers
# callback value -> the content key of its label, for every button under a safety reply
LABELS = {
    "ok": "crisis.button_ok",
    "yes": "crisis.button_concern_yes",
    "no": "crisis.button_concern_no",
    "safe": "crisis.button_safe",
    "unsafe": "crisis.button_unsafe",
    "danger": "crisis.button_danger",
    "person": "crisis.button_person",
    "called": "crisis.button_called",
    "unsure": "crisis.button_unsure",
    "me": "crisis.button_me",
    "ground": "crisis.button_ground",
    "plan": "crisis.button_plan",
    "resume": "crisis.button_resume",
}
Reply = tuple[str, InlineKeyboardMarkup | None]
# button -> (the words, which helplines follow: None none, an empty set the usual ones, else those
# kinds; the buttons under the answer). "yes", "me" and "plan" are built apart.
ANSWERS: dict[str, tuple[str, frozenset[str] | None, tuple[str, ...]]] = {
    "ok": ("safety.ok", None, ()),
    "safe": ("safety.safe", None, ()),
    "unsafe": ("safety.unsafe", frozenset(), ("ground", "plan", "person")),
    "danger": ("safety.danger", ABUSE_KINDS, ("person",)),
    "person": ("safety.person", frozenset(), ("ground", "plan")),
    "no": ("safety.concern_no", None, ("ground", "plan", "person")),
    "called": ("safety.other_called", None, ("me",)),
    "unsure": ("safety.other_unsure", frozenset(), ("called", "person")),
    "ground": ("safety.grounding", None, ("plan", "person")),
    "resume": ("safety.resume_unavailable", None, ()),  # only when the flow cannot be read
}


def topic(screening: Screening) -> str:
    """What a risky message is about: abuse, other, self_harm, ketamine_medical or self."""
    reasons = set(screening.reasons)
    if reasons & SCREENER.keys():
        return "screener"
    if reasons & ABUSE:
        return "abuse"
    if reasons & OTHER:
        return "other"
    if reasons & SELF_HARM and screening.level >= Level.CRISIS:
        return "self_harm"
    if reasons & KETAMINE and screening.level == Level.CONCERN:
        return "ketamine_medical"
    return "self"


def size(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def buttons(content: Content, lang: str, *choices: str) -> InlineKeyboardMarkup:
    """One button a row, in ``choices`` order (values of :data:`LABELS`)."""
    rows = [[InlineKeyboardButton(content.text(lang, LABELS[c]), callback_data=f"sf:{c}")] for c in choices]
    return InlineKeyboardMarkup(rows)


class ReplyBuilder:
    def __init__(self, content: Content, helplines: HelplineBook, clinic: ClinicConfig) -> None:
        self.content = content
        self.helplines = helplines
        self.clinic = clinic

    def t(self, lang: str, key: str, **values: object) -> str:
        return self.content.text(lang, key, **values)

    def emergency(self, country: str | None) -> str:
        return self.helplines.for_country(country).emergency

    # -- the lines of who to call ------------------------------------------------------------------
    def helpline_lines(
        self, lang: str, country: str | None, kinds: frozenset[str] | None = None
    ) -> list[str]:
        """The emergency number, the country's helplines (of ``kinds``; all but the abuse lines when
        None), the clinic's line and, where the country has no verified line, the directory."""
        help_ = self.helplines.for_country(country)
        lines = [self._emergency_line(lang, help_.emergency, help_.name != "")]
        shown = [h for h in help_.helplines if (h.kind in kinds if kinds else h.kind not in ABUSE_KINDS)]
        for h in shown:
            lines += self._line(lang, h)
        if self.clinic.crisis_line:
            lines.append(
                self.t(lang, "crisis.clinic_line", clinic=self.clinic.name, phone=self.clinic.crisis_line)
            )
        if not shown:
            d = self.helplines.directory
            lines.append(self.t(lang, "crisis.directory", name=d.name, url=d.url))
        return lines

    def _emergency_line(self, lang: str, number: str, known_country: bool) -> str:
        key = "crisis.emergency_line" if known_country else "crisis.emergency_line_general"
        return self.t(lang, key, number=number)

    def _line(self, lang: str, h: Helpline) -> list[str]:
        """A helpline's phone, text and (when it has neither) web lines, named in ``lang``."""
        name = h.name_in(lang)
        hours = self.t(lang, "crisis.hours", hours=h.hours) if h.hours else ""
        out = []
        if h.phone:
            out.append(self.t(lang, "crisis.helpline_phone", name=name, phone=h.phone, hours=hours))
        if h.text:
            out.append(self.t(lang, "crisis.helpline_text", name=name, text=h.text, hours=hours))
        if h.url and not h.phone and not h.text:
            out.append(self.t(lang, "crisis.helpline_url", name=name, url=h.url))
        return out

    # -- the reply to a screened message -------------------------------------------------------------
    def reply(
        self,
        screening: Screening,
        lang: str,
        country: str | None,
        safety_plan: Sequence[str] = (),
        resume: bool = False,
    ) -> Reply:
        """The text and buttons for a message screened at concern or above."""
        kind = topic(screening)
        if kind == "ketamine_medical":
            return self._ketamine(screening, lang, country)
        if kind == "abuse":
            return self._abuse(screening, lang, country, resume)
        if kind == "other":
            return self._other(screening, lang, country, resume)
        if kind == "screener":
            return self._self(Level.CRISIS, kind, lang, country, safety_plan, resume, screening.reasons)
        if screening.level == Level.CONCERN:
            return self.t(lang, "crisis.concern"), self._with_resume(
                lang, resume, "ok", "yes", "no", "person"
            )
        return self._self(screening.level, kind, lang, country, safety_plan, resume)

    def _self(
        self,
        level: Level,
        kind: str,
        lang: str,
        country: str | None,
        plan: Sequence[str],
        resume: bool,
        reasons: Sequence[str] = (),
    ) -> Reply:
        """The reply about the patient's own safety (crisis or emergency)."""
        number = self.emergency(country)
        parts = [self.t(lang, "crisis.emergency_first", number=number)] if level == Level.EMERGENCY else []
        parts += self._body(level, kind, lang, number, reasons)
        parts.append("\n".join(self.helpline_lines(lang, country)))
        closing = self.t(lang, "crisis.not_a_clinician")
        block = self._plan_block(lang, plan, budget=MAX_REPLY - size("\n\n".join([*parts, closing])) - 4)
        parts += [block] if block else []
        parts.append(closing)
        return "\n\n".join(parts), self._with_resume(lang, resume, "safe", "unsafe", "person")

    def _body(self, level: Level, kind: str, lang: str, number: str, reasons: Sequence[str]) -> list[str]:
        """The words that fit how the patient told us: typed, tapped (``answered``), or the screener."""
        if kind == "screener":
            return [self.t(lang, next(SCREENER[r] for r in reasons if r in SCREENER))]
        if kind == "answered":
            return [self.t(lang, "crisis.answered_body")]
        if kind == "self_harm":
            return [
                self.t(lang, "crisis.self_harm_body"),
                self.t(lang, "crisis.self_harm_injury", number=number),
            ]
        return [self.t(lang, "crisis.emergency_body" if level == Level.EMERGENCY else "crisis.crisis_body")]

    def _abuse(self, screening: Screening, lang: str, country: str | None, resume: bool) -> Reply:
        number = self.emergency(country)
        lines = self.helpline_lines(lang, country, ABUSE_KINDS) + self.helpline_lines(lang, country)[1:]
        parts = [
            self.t(lang, "crisis.abuse_first", number=number),
            self.t(lang, "crisis.abuse_body"),
            "\n".join(dict.fromkeys(lines)),
            self.t(lang, "crisis.abuse_privacy"),
            self.t(lang, "crisis.not_a_clinician"),
        ]
        return "\n\n".join(parts), self._with_resume(lang, resume, "safe", "danger", "person")

    def _other(self, screening: Screening, lang: str, country: str | None, resume: bool) -> Reply:
        number = self.emergency(country)
        if screening.level >= Level.EMERGENCY:
            parts = [
                self.t(lang, "crisis.other_emergency_first", number=number),
                self.t(lang, "crisis.other_emergency_body"),
            ]
        else:
            parts = [self.t(lang, "crisis.other_crisis_body", number=number)]
        parts += ["\n".join(self.helpline_lines(lang, country)), self.t(lang, "crisis.other_closing")]
        return "\n\n".join(parts), self._with_resume(lang, resume, "called", "unsure", "person", "me")

    def _ketamine(self, screening: Screening, lang: str, country: str | None) -> Reply:
        parts = [self.t(lang, "crisis.ketamine_medical", number=self.emergency(country))]
        if set(screening.reasons) - KETAMINE:  # something else worried the screener too: ask directly
            parts.append(self.t(lang, "crisis.concern"))
            return "\n\n".join(parts), buttons(self.content, lang, "ok", "yes", "no", "person")
        parts.append(self.t(lang, "crisis.not_a_clinician"))
        return "\n\n".join(parts), buttons(self.content, lang, "person")

    def _with_resume(self, lang: str, resume: bool, *choices: str) -> InlineKeyboardMarkup:
        return buttons(self.content, lang, *choices, *(("resume",) if resume else ()))

    def _plan_block(self, lang: str, safety_plan: Sequence[str], budget: int) -> str:
        """As many of the plan's lines as fit, so the reply never exceeds Telegram's length limit."""
        intro = self.t(lang, "crisis.safety_plan_intro")
        block = intro
        for line in safety_plan:
            candidate = f"{block}\n• {line}"
            if size(candidate) > budget:
                break
            block = candidate
        return "" if block == intro else block

    # -- the answers to the buttons -----------------------------------------------------------------
    def button_reply(
        self,
        choice: str,
        lang: str,
        country: str | None,
        safety_plan: Sequence[str] | None = None,
        no_team: bool = False,
    ) -> Reply:
        """The answer to a button under a safety reply (``choice`` as in ``LABELS``); ``safety_plan``:
        its crisis lines, None when it could not be read; ``no_team``: the clinic has no staff channel,
        so nobody there can be asked (and the reply says so)."""
        if choice in ("yes", "me"):  # a tapped answer: words that fit a tap, not "you said it out loud"
            return self._self(Level.CRISIS, "answered", lang, country, safety_plan or (), False)
        if choice == "plan":
            return self._plan_answer(lang, safety_plan)
        key, lines, then = ANSWERS.get(choice, ANSWERS["safe"])
        if choice == "person" and no_team:
            key = "safety.person_no_team"
        parts = [self.t(lang, key, number=self.emergency(country))]
        if lines is not None:
            parts.append("\n".join(self.helpline_lines(lang, country, lines or None)))
        if choice == "unsafe":
            parts.append(self.t(lang, "safety.next_step"))
        return "\n\n".join(parts), buttons(self.content, lang, *then) if then else None

    def _plan_answer(self, lang: str, safety_plan: Sequence[str] | None) -> Reply:
        """The plan's crisis lines; how to make them when there are none; a way on if unreadable now."""
        if safety_plan is None:
            return self.t(lang, "safety.plan_unreadable"), buttons(self.content, lang, "ground", "person")
        block = self._plan_block(lang, safety_plan, MAX_REPLY)
        text = (
            block + "\n\n" + self.t(lang, "safety.plan_more") if block else self.t(lang, "safety.plan_none")
        )
        return text, buttons(self.content, lang, "ground", "person")
