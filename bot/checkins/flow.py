"""The daily check-in: one question at a time, buttons first, each answer stored as it is given.

Steps (see ``flow.mmd`` beside this file): mood -> craving -> use (-> use_detail after "yes") -> sleep ->
hours -> symptoms -> note -> the reply (``bot.checkins.reply``). The ``CheckIn`` row is created at the
first answer and every answer is written to it in the same transaction as the flow state, so a restart
loses nothing. Every step has Back (after the first) and /cancel. Red-flag symptoms end the check-in
with a "get medical help now" reply; a use, a low mood or red-flag symptoms are flagged for staff.
Typed text reaches this flow only after the safety gate has screened it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.checkins import reply
from bot.checkins.schedule import checked_in_on, replan
from bot.db.models import CheckIn, Patient
from bot.flows.base import FlowCtx, Press
from bot.ingest.unit import after_commit
from bot.reminders.localtime import local_date, next_at
from bot.repos import checkins as repo
from bot.safety import in_flow
from bot.safety.escalation import Escalation
from bot.safety.review import Priority
from bot.services.container import Services

FLOW = "checkin"
FEELING_STEPS = frozenset({"note"})  # typed answers saved whatever they say (bot.safety.in_flow)
FIRST = "mood"
SLEEP = ("poor", "so_so", "good")  # stored as 0, 1, 2
HOURS = 12  # the last button is "12+"
MAX_TYPED_HOURS = 24
NONE = "none"
SYMPTOMS = (
    "anxiety",
    "low_mood",
    "irritability",
    "insomnia",
    "fatigue",
    "concentration",
    "nausea",
    "sweating",
    "aches",
    "headache",
    "tremor",
    "racing_heart",
    "breathless",
    "chest_pain",
    "seizure",
    "confusion",
    "hallucinations",
    NONE,
)
# Each red flag is a set of symptoms that together need a clinician or emergency services now.
RED_FLAGS: tuple[tuple[Priority, frozenset[str]], ...] = (
    (Priority.EMERGENCY, frozenset({"chest_pain"})),
    (Priority.EMERGENCY, frozenset({"racing_heart", "breathless"})),
    (Priority.EMERGENCY, frozenset({"seizure"})),
    (Priority.CRISIS, frozenset({"confusion"})),
    (Priority.CRISIS, frozenset({"hallucinations"})),
)
_NUMBER_RE = re.compile(r"\d{1,2}")
Rows = list[list[InlineKeyboardButton]]


# -- starting, moving, finishing -------------------------------------------------------------------
async def start(fc: FlowCtx, source: str) -> None:
    """Opens a check-in, or shows the current question of the one already under way today."""
    if fc.state is not None and fc.state.flow == FLOW and await _resumable(fc):
        await ask(fc)
        return
    await fc.move(FLOW, FIRST, {"source": source, "history": []})
    await ask(fc, intro=True)


async def _resumable(fc: FlowCtx) -> bool:
    row = await _row(fc)
    return row is None or row.local_date == today(fc.ctx.services, fc.patient)


async def goto(fc: FlowCtx, step: str, **updates: object) -> None:
    """Moves on to ``step`` (remembering where we came from, for Back) and asks its question."""
    assert fc.state is not None
    history = [*fc.data.get("history", []), fc.state.step]
    await fc.move(FLOW, step, {**fc.data, **updates, "history": history[-12:]})
    await ask(fc)


async def back(fc: FlowCtx) -> None:
    """Returns to the previous question; its stored answer stays until it is answered again."""
    history = list(fc.data.get("history", []))
    if history:
        await fc.move(FLOW, history.pop(), {**fc.data, "history": history})
    await ask(fc)


async def ask(fc: FlowCtx, intro: bool = False) -> None:
    """Shows the current question (after a restart, a stale button or a wrong answer too)."""
    assert fc.state is not None
    if fc.state.step not in VIEW:  # a step this version does not know: begin again, answers are kept
        await fc.move(FLOW, FIRST, {**fc.data, "history": []})
    text, rows = VIEW[fc.state.step](fc)
    if fc.data.get("history"):
        rows.append([fc.button(fc.t("common.back"), "back")])
    if intro:
        text = fc.t("checkin.intro") + "\n\n" + text
    if fc.state.step == "symptoms":
        await _send_symptoms(fc, text, rows)
    else:
        await fc.say(text, rows)


async def complete(fc: FlowCtx, row: CheckIn, red_flags: list[str] | None = None) -> None:
    """Marks the check-in done, ends the flow and sends the reply (or the medical one)."""
    row.completed_at = fc.ctx.services.clock.now()
    flagged = list(fc.data.get("flagged", []))
    await fc.finish()
    if red_flags:
        await fc.say(reply.medical(fc, red_flags) + "\n\n" + fc.t("checkin.saved"))
        return
    text, rows = await reply.compose(fc, row, flagged)
    await fc.say(text, rows)


# -- the stored check-in ---------------------------------------------------------------------------
def today(services: Services, patient: Patient) -> dt.date:
    return local_date(services.clock.now(), _zone(services, patient))


def _zone(services: Services, patient: Patient) -> str:
    return patient.timezone or services.config.clinic.default_timezone


def _remember(fc: FlowCtx, **values: object) -> None:
    """Adds to the flow data without a new step (written with this update's transaction)."""
    assert fc.state is not None
    fc.state.data = {**fc.data, **values}


async def _row(fc: FlowCtx) -> CheckIn | None:
    checkin_id = fc.data.get("checkin_id")
    return await repo.get(fc.ctx.session, fc.patient.id, checkin_id) if checkin_id else None


async def _answer_row(fc: FlowCtx) -> CheckIn:
    """The check-in being answered; created at the first answer, dated in the patient's time zone."""
    row = await _row(fc)
    if row is None:
        now = fc.ctx.services.clock.now()
        row = CheckIn(
            patient_id=fc.patient.id,
            local_date=today(fc.ctx.services, fc.patient),
            started_at=now,
            source=fc.data.get("source", "command"),
        )
        await repo.add(fc.ctx.session, row)
        _remember(fc, checkin_id=row.id)
    return row


async def _flag(fc: FlowCtx, kind: str, priority: Priority, **values: object) -> None:
    """Raises a flag for staff once per check-in and kind (Back and a new answer do not repeat it)."""
    if kind in fc.data.get("flagged", []):
        return
    services = fc.ctx.services
    reason = services.content.text(services.content.default_language, f"checkin.flags.{kind}", **values)
    await Escalation(services).raise_flag(fc.ctx.session, fc.patient, priority, "checkin", reason)
    _remember(fc, flagged=[*fc.data.get("flagged", []), kind])
    wake = fc.ctx.application.bot_data.get("sweeper_wake")
    if wake is not None:
        after_commit(wake)


def _number(value: str, high: int) -> int | None:
    if not _NUMBER_RE.fullmatch(value.strip()):
        return None
    number = int(value)
    return number if number <= high else None


# -- steps: each view gives the question and its buttons; each answer stores and moves on ----------
def _scale(fc: FlowCtx) -> Rows:
    return [
        [fc.button(str(n), "pick", str(n)) for n in range(0, 6)],
        [fc.button(str(n), "pick", str(n)) for n in range(6, 11)],
    ]


def view_mood(fc: FlowCtx) -> tuple[str, Rows]:
    return fc.t("checkin.ask.mood"), _scale(fc)


async def answer_mood(fc: FlowCtx, value: str) -> bool:
    """Stores the mood score (flagging a very low one) and asks about craving."""
    score = _number(value, 10)
    if score is None:
        return False
    row = await _answer_row(fc)
    row.mood = score
    if score <= fc.ctx.services.config.checkin.mood_flag_threshold:
        await _flag(fc, "low_mood", Priority.CONCERN, mood=score)
    await goto(fc, "craving")
    return True


def view_craving(fc: FlowCtx) -> tuple[str, Rows]:
    return fc.t("checkin.ask.craving"), _scale(fc)


async def answer_craving(fc: FlowCtx, value: str) -> bool:
    """Stores the craving score and asks about use since the last check-in."""
    score = _number(value, 10)
    if score is None:
        return False
    row = await _answer_row(fc)
    row.craving = score
    await goto(fc, "use")
    return True


def view_use(fc: FlowCtx) -> tuple[str, Rows]:
    rows = [[fc.button(fc.t("common.no"), "pick", "no"), fc.button(fc.t("common.yes"), "pick", "yes")]]
    return fc.t("checkin.ask.use"), rows


async def answer_use(fc: FlowCtx, value: str) -> bool:
    """Stores whether there was a use (a "yes" is also a slip) and asks for detail or about sleep."""
    if value not in ("yes", "no"):
        return False
    row = await _answer_row(fc)
    row.used = value == "yes"
    if not row.used:
        row.use_detail = None
        await _forget_slip(fc)
        await goto(fc, "sleep")
        return True
    await _record_slip(fc, row)
    if row.craving is not None and row.craving >= fc.ctx.services.config.checkin.craving_threshold:
        await _flag(fc, "use_craving", Priority.CONCERN, craving=row.craving)
    await goto(fc, "use_detail")
    return True


async def _record_slip(fc: FlowCtx, row: CheckIn) -> None:
    slip_id = fc.data.get("slip_id")
    if slip_id and await repo.get_slip(fc.ctx.session, fc.patient.id, slip_id) is not None:
        return
    now = fc.ctx.services.clock.now()
    slip = await repo.add_slip(fc.ctx.session, fc.patient.id, row.local_date, now, "checkin")
    _remember(fc, slip_id=slip.id)


async def _forget_slip(fc: FlowCtx) -> None:
    """Back, then "no": the slip this check-in recorded a moment ago was a mistake."""
    slip_id = fc.data.get("slip_id")
    if slip_id:
        await repo.delete_slip(fc.ctx.session, fc.patient.id, slip_id)
        _remember(fc, slip_id=None)


def view_use_detail(fc: FlowCtx) -> tuple[str, Rows]:
    return fc.t("checkin.ask.use_detail"), [[fc.button(fc.t("checkin.button_skip"), "skip")]]


async def skip_use_detail(fc: FlowCtx, _value: str) -> bool:
    """No detail about the use; asks about sleep."""
    await goto(fc, "sleep")
    return True


async def text_use_detail(fc: FlowCtx, text: str) -> bool:
    """Stores what was used and how much, in the patient's words, and asks about sleep."""
    row = await _answer_row(fc)
    row.use_detail = text
    slip_id = fc.data.get("slip_id")
    slip = await repo.get_slip(fc.ctx.session, fc.patient.id, slip_id) if slip_id else None
    if slip is not None:
        slip.detail = text
    await goto(fc, "sleep")
    return True


def view_sleep(fc: FlowCtx) -> tuple[str, Rows]:
    rows = [[fc.button(fc.t(f"checkin.sleep_quality.{q}"), "pick", q) for q in SLEEP]]
    return fc.t("checkin.ask.sleep"), rows


async def answer_sleep(fc: FlowCtx, value: str) -> bool:
    """Stores how well the patient slept and asks how long."""
    if value not in SLEEP:
        return False
    row = await _answer_row(fc)
    row.sleep_quality = SLEEP.index(value)
    await goto(fc, "hours")
    return True


def view_hours(fc: FlowCtx) -> tuple[str, Rows]:
    labels = [str(n) for n in range(HOURS)] + [fc.t("checkin.hours_12_plus")]
    buttons = [fc.button(label, "pick", str(n)) for n, label in enumerate(labels)]
    return fc.t("checkin.ask.hours"), [buttons[i : i + 5] for i in range(0, len(buttons), 5)]


async def answer_hours(fc: FlowCtx, value: str, high: int = HOURS) -> bool:
    """Stores the hours slept and asks about withdrawal symptoms."""
    hours = _number(value, high)
    if hours is None:
        return False
    row = await _answer_row(fc)
    row.sleep_hours = hours
    await goto(fc, "symptoms", picked=list(row.symptoms or []))
    return True


async def text_hours(fc: FlowCtx, text: str) -> bool:
    return await answer_hours(fc, text, MAX_TYPED_HOURS)


def view_symptoms(fc: FlowCtx) -> tuple[str, Rows]:
    picked = fc.data.get("picked", [])
    buttons = [
        fc.button(("✅ " if s in picked else "") + fc.t(f"checkin.symptoms.{s}"), "tog", s) for s in SYMPTOMS
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([fc.button(fc.t("checkin.button_done"), "done")])
    text = fc.t("checkin.ask.symptoms")
    if picked:
        names = ", ".join(fc.t(f"checkin.symptoms.{s}") for s in picked)
        text += "\n\n" + fc.t("checkin.selected", symptoms=names)
    return text, rows


async def _send_symptoms(fc: FlowCtx, text: str, rows: Rows) -> None:
    """Sends the symptom list as a new message; its id is kept so that ticks edit it in place."""
    message = await fc.ctx.bot.send_message(fc.chat_id, text, reply_markup=InlineKeyboardMarkup(rows))
    _remember(fc, symptoms_message=message.message_id)


def toggled(picked: list[str], symptom: str) -> list[str]:
    """Ticks or unticks ``symptom``; "none" and the symptoms exclude each other."""
    chosen = set(picked)
    if symptom == NONE:
        chosen = set() if NONE in chosen else {NONE}
    else:
        chosen.discard(NONE)
        chosen ^= {symptom}
    return [s for s in SYMPTOMS if s in chosen]


async def toggle_symptom(fc: FlowCtx, value: str) -> bool:
    """Ticks or unticks one symptom on the same message (its buttons are edited, not sent again)."""
    if value not in SYMPTOMS:
        return False
    await fc.move(FLOW, "symptoms", {**fc.data, "picked": toggled(fc.data.get("picked", []), value)})
    text, rows = view_symptoms(fc)
    rows.append([fc.button(fc.t("common.back"), "back")])
    message_id = fc.data.get("symptoms_message")
    try:
        if message_id is None:
            raise BadRequest("message to edit not found")
        markup = InlineKeyboardMarkup(rows)
        await fc.ctx.bot.edit_message_text(text, fc.chat_id, message_id, reply_markup=markup)
    except BadRequest:  # the message is gone or too old to edit: show the list again
        await _send_symptoms(fc, text, rows)
    return True


def red_flags(symptoms: list[str]) -> tuple[Priority, list[str]] | None:
    """The highest priority among the red flags in ``symptoms`` and the symptoms that raised it."""
    found = [(p, s) for p, s in RED_FLAGS if s <= set(symptoms)]
    if not found:
        return None
    matched = set().union(*(s for _, s in found))
    return max(p for p, _ in found), [s for s in SYMPTOMS if s in matched]


async def symptoms_done(fc: FlowCtx, _value: str) -> bool:
    """Stores the symptoms; red flags end the check-in with the medical reply, else asks for a note."""
    row = await _answer_row(fc)
    row.symptoms = [s for s in fc.data.get("picked", []) if s != NONE]
    found = red_flags(row.symptoms)
    if found is None:
        await goto(fc, "note")
        return True
    priority, matched = found
    content = fc.ctx.services.content
    names = ", ".join(content.text(content.default_language, f"checkin.symptoms.{s}") for s in matched)
    await _flag(fc, "medical", priority, symptoms=names)
    await complete(fc, row, matched)
    return True


def view_note(fc: FlowCtx) -> tuple[str, Rows]:
    return fc.t("checkin.ask.note"), [[fc.button(fc.t("checkin.button_skip"), "skip")]]


async def skip_note(fc: FlowCtx, _value: str) -> bool:
    """No note: the check-in is complete."""
    await complete(fc, await _answer_row(fc))
    return True


async def text_note(fc: FlowCtx, text: str) -> bool:
    """Stores the note (encrypted at rest) and completes the check-in; a note in crisis is answered by
    the safety service instead, and the check-in waits at this step (its reply offers to carry on)."""
    row = await _answer_row(fc)
    row.note = text
    risk = await in_flow.after_saved(fc, text)
    if in_flow.is_crisis(risk):
        return True
    await complete(fc, row)
    await in_flow.gentle_check(fc, risk)
    return True


# -- routing ---------------------------------------------------------------------------------------
Answer = Callable[[FlowCtx, str], Awaitable[bool]]
VIEW: dict[str, Callable[[FlowCtx], tuple[str, Rows]]] = {
    "mood": view_mood,
    "craving": view_craving,
    "use": view_use,
    "use_detail": view_use_detail,
    "sleep": view_sleep,
    "hours": view_hours,
    "symptoms": view_symptoms,
    "note": view_note,
}
PRESS: dict[str, dict[str, Answer]] = {
    "mood": {"pick": answer_mood},
    "craving": {"pick": answer_craving},
    "use": {"pick": answer_use},
    "use_detail": {"skip": skip_use_detail},
    "sleep": {"pick": answer_sleep},
    "hours": {"pick": answer_hours},
    "symptoms": {"tog": toggle_symptom, "done": symptoms_done},
    "note": {"skip": skip_note},
}
TEXT: dict[str, Answer] = {
    "mood": answer_mood,
    "craving": answer_craving,
    "use_detail": text_use_detail,
    "hours": text_hours,
    "note": text_note,
}
NUMBER_RANGE = {"mood": 10, "craving": 10, "hours": MAX_TYPED_HOURS}


async def on_press(fc: FlowCtx, press: Press) -> None:
    """Routes a button of the current step; anything that does not fit shows the question again."""
    assert fc.state is not None
    handler = PRESS.get(fc.state.step, {}).get(press.action)
    if press.action == "back":
        await back(fc)
    elif handler is None or not await handler(fc, press.value):
        await ask(fc)


async def on_text(fc: FlowCtx, text: str) -> None:
    """Typed text: taken where the step reads text (numbers for the scores), else a hint."""
    assert fc.state is not None
    step = fc.state.step
    handler = TEXT.get(step)
    if handler is not None and await handler(fc, text):
        return
    if step in NUMBER_RANGE:
        await fc.say(fc.t("checkin.hint_number", low=0, high=NUMBER_RANGE[step]))
    else:
        await fc.say(fc.t("checkin.hint_buttons"))
    await ask(fc)


# -- pausing the daily reminders (/pause) ----------------------------------------------------------
PAUSE_DAYS = (1, 3, 7, 14)


def paused_until(services: Services, patient: Patient) -> dt.date | None:
    """The day the reminders resume, or None when they are not paused."""
    until = patient.reminders_paused_until
    return until if until is not None and until > today(services, patient) else None


async def pause(services: Services, session: AsyncSession, patient: Patient, days: int) -> dt.date:
    """Skips the next ``days`` daily reminders; returns the day they resume."""
    zone, now = _zone(services, patient), services.clock.now()
    first = local_date(next_at(now, patient.checkin_time or services.config.checkin.default_time, zone), zone)
    if first == today(services, patient) and await checked_in_on(session, patient.id, first):
        first += dt.timedelta(days=1)  # today's reminder would not come anyway: the pause starts tomorrow
    patient.reminders_paused_until = first + dt.timedelta(days=days)
    patient.updated_at = now
    await replan(services, session, patient)
    return patient.reminders_paused_until


async def resume(services: Services, session: AsyncSession, patient: Patient) -> None:
    patient.reminders_paused_until = None
    patient.updated_at = services.clock.now()
    await replan(services, session, patient)
