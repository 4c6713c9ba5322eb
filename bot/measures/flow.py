"""The weekly measures as a flow: one question at a time, each answer stored with the step it leads to.

    intro -> phq2.interest -> phq2.down -> gad2.nervous -> gad2.worry -> phq9_9.harm
    phq9_9.harm = "not at all"  -> done (or done_shared when PHQ-2 or GAD-2 was 3 or more)
    phq9_9.harm > "not at all"  -> CONCERN flag at once -> screener intro -> cssrs.wish_dead -> ...
    screener (see bot/measures/instruments.py for its branching):
        all "no"  -> screener_negative
        any "yes" -> the crisis reply with the country's helplines, and a flag for staff

Which step comes next is a pure function of the answers (``instruments.next_step``). A measure is
written as a Measure row when its last item is answered (answered again after Back: the same row is
updated). Flags are raised as soon as the answers show them: a PHQ-2 or GAD-2 of 3 or more (CONCERN),
item 9 above 0 (CONCERN), and during the screener as soon as the risk so far calls for more (moderate or
high: CRISIS), so a patient who stops half-way is still seen. Back is offered at every step except the
screener's first question (item 9 is already recorded); /cancel (core) stops at any step.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton

from bot.flows.base import FlowCtx, Press
from bot.ingest.unit import after_commit
from bot.measures.instruments import (
    BY_KIND,
    GAD2,
    PHQ2,
    PHQ9_ITEM9,
    SCALE,
    SCREENER,
    WEEKLY,
    WEEKLY_ITEMS,
    Instrument,
    Risk,
    next_step,
    relevant,
    risk,
    screener_row,
    split_step,
)
from bot.reminders.localtime import local_date
from bot.repos import flags as flag_repo
from bot.repos import measures as measure_repo
from bot.safety import in_flow, promises
from bot.safety.escalation import Escalation
from bot.safety.review import Priority
from bot.safety.screener import Level, Screening

log = logging.getLogger(__name__)

FLOW = "measures"
FIRST = next_step({}) or ""
WEEKLY_STEPS = [f"{i.kind}.{item}" for i in WEEKLY for item in i.items]
RISK_PRIORITY = {Risk.LOW: Priority.CONCERN, Risk.MODERATE: Priority.CRISIS, Risk.HIGH: Priority.CRISIS}
Rows = list[list[InlineKeyboardButton]]


# -- starting and showing ----------------------------------------------------------------------------
async def start(fc: FlowCtx, source: str) -> None:
    """Opens this week's measures, or shows the current question when they are already open."""
    if fc.state is not None and fc.state.flow == FLOW:
        await ask(fc)
        return
    await fc.say(fc.t("measures.intro", count=WEEKLY_ITEMS))
    await fc.move(FLOW, FIRST, _fresh(source))
    await ask(fc)


def _fresh(source: str) -> dict[str, Any]:
    return {"source": source, "answers": {}, "history": [], "rows": {}, "flagged": 0, "flagged_kinds": []}


async def ask(fc: FlowCtx) -> None:
    """Shows the current question again (after a restart, a stale button or a wrong answer)."""
    assert fc.state is not None
    parsed = split_step(fc.state.step)
    if parsed is None:  # a step this version does not know: carry on from the answers
        await _recover(fc)
    elif parsed[0] == SCREENER:
        await ask_screener(fc, parsed[1])
    else:
        await ask_scale(fc, parsed[1])


async def _recover(fc: FlowCtx) -> None:
    try:
        step = next_step(_answers(fc))
    except (ValueError, TypeError, AttributeError):
        step = None
    if step is None:
        step, data = FIRST, {**_fresh(str(fc.data.get("source", ""))), "rows": fc.data.get("rows", {})}
    else:
        data = fc.data
    await fc.move(FLOW, step, data)
    await ask(fc)


async def ask_scale(fc: FlowCtx, item: str) -> None:
    """A PHQ or GAD item with the four frequency answers."""
    assert fc.state is not None
    number = WEEKLY_STEPS.index(fc.state.step) + 1
    text = fc.t("measures.question", number=number, total=WEEKLY_ITEMS, item=fc.t(f"measures.items.{item}"))
    if item == PHQ9_ITEM9.items[0]:
        text = fc.t("measures.harm_lead") + "\n\n" + text
    rows = [[fc.button(fc.t(f"measures.scale.{v}"), "answer", str(v))] for v in SCALE]
    await fc.say(text, _with_back(fc, rows))


async def ask_screener(fc: FlowCtx, question: str) -> None:
    """A screener question with Yes and No."""
    rows = [[fc.button(fc.t("common.yes"), "answer", "1"), fc.button(fc.t("common.no"), "answer", "0")]]
    await fc.say(fc.t(f"measures.screener.{question}"), _with_back(fc, rows))


def _with_back(fc: FlowCtx, rows: Rows) -> Rows:
    if _can_go_back(fc):
        rows.append([fc.button(fc.t("common.back"), "back")])
    return rows


def _can_go_back(fc: FlowCtx) -> bool:
    history = fc.data.get("history") or []
    if not history or fc.state is None:
        return False
    return not (fc.state.step.startswith(SCREENER + ".") and history[-1] == WEEKLY_STEPS[-1])


# -- answers -----------------------------------------------------------------------------------------
def _answers(fc: FlowCtx) -> dict[str, dict[str, Any]]:
    stored = fc.data.get("answers") or {}
    return {kind: dict(given) for kind, given in stored.items() if isinstance(given, dict)}


async def on_press(fc: FlowCtx, press: Press) -> None:
    """Routes a button of the current question; anything that does not fit shows the question again."""
    if press.action == "back":
        await back(fc)
    elif press.action == "answer" and press.value.isdigit():
        await answer(fc, int(press.value))
    else:
        await ask(fc)


async def on_text(fc: FlowCtx, text: str) -> None:
    """Typed text: a number 0-3 or an answer's words are taken as the answer, else a hint."""
    assert fc.state is not None
    parsed = split_step(fc.state.step)
    value = _typed_answer(fc, parsed[0] if parsed else "", text.casefold())
    if value is None:
        await fc.say(fc.t("measures.hint_buttons"))
        await ask(fc)
    else:
        await answer(fc, value)


def _typed_answer(fc: FlowCtx, kind: str, text: str) -> int | None:
    if kind == SCREENER:
        words = {fc.t("common.yes").casefold(): 1, fc.t("common.no").casefold(): 0}
    elif kind in BY_KIND:
        words = {**{str(v): v for v in SCALE}, **{fc.t(f"measures.scale.{v}").casefold(): v for v in SCALE}}
    else:
        return None
    return words.get(text.strip(" .!"))


async def back(fc: FlowCtx) -> None:
    """Goes back one question; its answer is forgotten until it is given again."""
    if not _can_go_back(fc):
        await ask(fc)
        return
    history = list(fc.data["history"])
    previous = history.pop()
    parsed = split_step(previous)
    answers = _answers(fc)
    if parsed is not None:
        answers.get(parsed[0], {}).pop(parsed[1], None)
    await fc.move(FLOW, previous, {**fc.data, "answers": answers, "history": history})
    await ask(fc)


async def answer(fc: FlowCtx, value: int) -> None:
    """Stores an answer, records whatever it completed, and asks the next question or closes."""
    assert fc.state is not None
    parsed = split_step(fc.state.step)
    if parsed is None or not _valid(parsed[0], value):
        await ask(fc)
        return
    kind, item = parsed
    answers = _answers(fc)
    answers.setdefault(kind, {})[item] = bool(value) if kind == SCREENER else value
    data = {**fc.data, "answers": answers, "history": [*fc.data.get("history", []), fc.state.step]}
    step = next_step(answers)
    if kind == SCREENER:
        await _screener_answered(fc, data, done=step is None)
    elif all(i in answers[kind] for i in BY_KIND[kind].items):
        await _record_scale(fc, data, BY_KIND[kind])
    if step is None:
        await fc.finish()
        if kind != SCREENER:
            flagged = {PHQ2.kind, GAD2.kind} & set(data.get("flagged_kinds", []))
            shared = bool(flagged) and promises.staff_channel(fc.ctx)  # "shared with your team" needs one
            await fc.say(fc.t("measures.done_shared" if shared else "measures.done"))
        return
    await fc.move(FLOW, step, data)
    if kind == PHQ9_ITEM9.kind:
        await fc.say(fc.t("measures.screener_intro"))
    await ask(fc)


def _valid(kind: str, value: int) -> bool:
    return value in ((0, 1) if kind == SCREENER else SCALE)


# -- recording and flags -----------------------------------------------------------------------------
async def _save(fc: FlowCtx, data: dict[str, Any], kind: str, answers: list[int | None], score: int):
    s, patient = fc.ctx.services, fc.patient
    now = s.clock.now()
    day = local_date(now, patient.timezone or s.config.clinic.default_timezone)
    rows = dict(data.get("rows") or {})
    rows[kind] = await measure_repo.save(
        fc.ctx.session, patient.id, kind, answers, score, day, now, rows.get(kind)
    )
    data["rows"] = rows


async def _record_scale(fc: FlowCtx, data: dict[str, Any], instrument: Instrument) -> None:
    """Writes a completed PHQ-2, GAD-2 or item 9; a positive one is flagged for staff (once a run)."""
    given = data["answers"][instrument.kind]
    score = instrument.score(given)
    await _save(fc, data, instrument.kind, list(instrument.as_list(given)), score)
    if not instrument.positive(score) or instrument.kind in data.get("flagged_kinds", []):
        return  # answered again after Back: staff already have it
    data["flagged_kinds"] = [*data.get("flagged_kinds", []), instrument.kind]
    staff = Escalation(fc.ctx.services)
    if instrument is PHQ9_ITEM9:
        reason = staff.t("measures.reasons.item9", answer=staff.t(f"measures.scale.{score}"))
    else:
        reason = staff.t(f"measures.reasons.{instrument.kind}", score=score)
    await _flag(fc, data, Priority.CONCERN, reason)


async def _screener_answered(fc: FlowCtx, data: dict[str, Any], done: bool) -> None:
    """Flags the risk shown so far when it calls for more; at the end, the reply and the record."""
    given = relevant(data["answers"][SCREENER])
    level = risk(given)
    if done and level > Risk.NONE:
        await _crisis_reply(fc, level)  # first: the patient's help must not wait for the database
    staff = Escalation(fc.ctx.services)
    yes = ", ".join(staff.t(f"measures.screener_short.{q}") for q, a in given.items() if a)
    values = {"risk": staff.t(f"measures.risk.{level.name.lower()}"), "yes": yes}
    if done:
        await _save(fc, data, SCREENER, screener_row(given), int(level))
        if level > Risk.NONE:
            await _flag(fc, data, RISK_PRIORITY[level], staff.t("measures.reasons.screener", **values))
            await promises.after_flag(fc.ctx, fc.chat_id, fc.lang, "measures.screener_shared")
        else:
            await fc.say(fc.t("measures.screener_negative"))
    elif level > Risk.NONE and RISK_PRIORITY[level] > data.get("flagged", 0):
        reason = staff.t("measures.reasons.screener_so_far", **values)
        await _flag(fc, data, RISK_PRIORITY[level], reason, notify=False)


async def _flag(
    fc: FlowCtx, data: dict[str, Any], priority: Priority, reason: str, notify: bool = True
) -> None:
    """Raises a flag; when an open flag takes it as a note instead, staff still see it (``notify``)."""
    session, staff = fc.ctx.session, Escalation(fc.ctx.services)
    open_before = {f.id for f in await flag_repo.open_for_patient(session, fc.patient.id)}
    flag = await staff.raise_flag(session, fc.patient, priority, "measure", reason)
    if flag.id in open_before and notify:
        body = staff.t("measures.staff_update", label=fc.patient.label, flag_id=flag.id, reason=reason)
        reply_to = await flag_repo.flag_message_id(session, flag.id, staff.staff_chat)
        await staff.post(session, flag.id, staff.staff_chat, "notice", body, reply_to=reply_to)
    data["flagged"] = max(int(data.get("flagged", 0)), int(priority))
    after_commit(fc.ctx.application.bot_data["sweeper_wake"])


async def _crisis_reply(fc: FlowCtx, level: Risk) -> None:
    """The safety service's reply to tapped screener answers (words that fit answers given, at the risk
    they showed), with the helplines of the patient's country and their own safety plan, sent at once."""
    reason = "cssrs_low" if level == Risk.LOW else "cssrs"
    await in_flow.respond(fc, Screening(Level.CRISIS, (reason,)))
