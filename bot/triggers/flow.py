"""/triggers: the patient's triggers with their if-then plans, and the risky times that get a reminder.

Steps (see ``flow.mmd`` beside this file)::

    list --add--> kind --> describe (feelings: feeling) --> plan --> ask_time --no--> list
    ask_time --weekly / once--> weekday | date --> time --> lead --> saved
    list --add a time--> pick_trigger --> when_kind --> weekday | date --> ...
    list --remove--> remove --> list

Every step has Back (to the list) and Close; typed text where buttons are expected gets a hint and the
step again. The safety gate screens typed text first; at the steps that take the patient's own words
(``FEELING_STEPS``) it lets the text through, so a trigger or a plan is saved whatever it says, and a
crisis in it is answered by the safety service after it was saved (the reply offers to carry on).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton

from bot.flows.base import FlowCtx, Press
from bot.flows.setup import parse_date, parse_time
from bot.progress.summary import local_today
from bot.repos import triggers as repo
from bot.safety import in_flow
from bot.triggers import service
from bot.triggers.schedule import when_text
from bot.triggers.service import Refused

FLOW = "triggers"
# Steps whose typed answers may hold hard feelings: saved as they are (see bot.safety.in_flow)
FEELING_STEPS = frozenset({"describe", "feeling", "plan"})
TIME_CHOICES = ("17:00", "19:00", "20:00", "21:00", "22:00", "23:00")
LABEL = 40  # characters of a trigger shown on a button
Rows = list[list[InlineKeyboardButton]]


def _nav(fc: FlowCtx, back: bool = True) -> list[InlineKeyboardButton]:
    row = [fc.button(fc.t("common.back"), "list")] if back else []
    return [*row, fc.button(fc.t("triggers.button_close"), "close")]


def _short(text: str) -> str:
    return text if len(text) <= LABEL else text[: LABEL - 1].rstrip() + "…"


async def _goto(fc: FlowCtx, step: str, **changes: object) -> None:
    await fc.move(FLOW, step, {**fc.data, **changes})
    await ask(fc)


# -- the list --------------------------------------------------------------------------------------------
async def start(fc: FlowCtx) -> None:
    """Opens /triggers at the list (any other flow the patient was in is left)."""
    await fc.move(FLOW, "list", {})
    await ask(fc)


async def ask_list(fc: FlowCtx) -> None:
    """The patient's triggers, each with its plan and risky times, and what can be done next."""
    session = fc.ctx.session
    triggers = await repo.triggers(session, fc.patient.id)
    times = await repo.risky_times(session, fc.patient.id, active_only=True)
    if not triggers:
        text = fc.t("triggers.empty_list")
    else:
        blocks = [fc.t("triggers.list_header")]
        for trigger in triggers:
            lines = [
                fc.t(
                    "triggers.list_item",
                    kind=fc.t(f"triggers.kinds.{trigger.kind}"),
                    trigger=trigger.description,
                )
            ]
            lines.append(fc.t("triggers.list_plan", plan=trigger.plan or fc.t("triggers.no_plan_yet")))
            for time in (t for t in times if t.trigger_id == trigger.id):
                lead = _lead_text(fc, time.lead_minutes)
                lines.append(
                    fc.t(
                        "triggers.list_time",
                        when=when_text(fc.ctx.services.content, fc.lang, time),
                        lead=lead,
                    )
                )
            blocks.append("\n".join(lines))
        text = "\n\n".join(blocks)
    rows: Rows = [[fc.button(fc.t("triggers.button_add"), "add")]]
    if triggers:
        rows.append([fc.button(fc.t("triggers.button_add_time"), "add_time")])
        rows.append([fc.button(fc.t("triggers.button_remove"), "remove")])
    rows.append(_nav(fc, back=False))
    await fc.say(text, rows)


async def press_list(fc: FlowCtx, press: Press) -> bool:
    if press.action == "add":
        await _goto(fc, "kind")
    elif press.action == "add_time":
        await _goto(fc, "pick_trigger")
    elif press.action == "remove":
        await _goto(fc, "remove")
    else:
        return False
    return True


# -- a new trigger ---------------------------------------------------------------------------------------
async def ask_kind(fc: FlowCtx) -> None:
    rows = [[fc.button(fc.t(f"triggers.kinds.{kind}"), "kind", kind)] for kind in service.KINDS]
    await fc.say(fc.t("triggers.ask_kind"), [*rows, _nav(fc)])


async def press_kind(fc: FlowCtx, press: Press) -> bool:
    if press.action != "kind" or press.value not in service.KINDS:
        return False
    await _goto(fc, "feeling" if press.value == "feelings" else "describe", kind=press.value)
    return True


async def ask_feeling(fc: FlowCtx) -> None:
    rows = [[fc.button(fc.t(f"triggers.feelings.{f}"), "feeling", f)] for f in service.FEELINGS]
    await fc.say(fc.t("triggers.ask_feeling"), [*rows, _nav(fc)])


async def press_feeling(fc: FlowCtx, press: Press) -> bool:
    if press.action != "feeling" or press.value not in service.FEELINGS:
        return False
    await _new_trigger(fc, fc.t(f"triggers.feelings.{press.value}"))
    return True


async def ask_describe(fc: FlowCtx) -> None:
    await fc.say(fc.t(f"triggers.ask_describe.{fc.data.get('kind', 'situations')}"), [_nav(fc)])


async def text_describe(fc: FlowCtx, text: str) -> None:
    await _new_trigger(fc, text)


async def _new_trigger(fc: FlowCtx, description: str) -> None:
    """Stores the trigger in the patient's words and asks for the if-then plan (a crisis in the words
    is answered by the safety service after they were saved; the plan question then waits)."""
    try:
        trigger = await service.add_trigger(
            fc.ctx.services, fc.ctx.session, fc.patient, fc.data.get("kind", ""), description
        )
    except Refused as refused:
        await fc.say(fc.t(refused.key))
        await ask(fc)
        return
    risk = await in_flow.after_saved(fc, description)
    await fc.move(FLOW, "plan", {**fc.data, "trigger_id": trigger.id, "trigger": trigger.description})
    if in_flow.is_crisis(risk):
        return
    await ask(fc)
    await in_flow.gentle_check(fc, risk)


async def ask_plan(fc: FlowCtx) -> None:
    rows = [[fc.button(fc.t("triggers.button_skip"), "skip")], _nav(fc)]
    await fc.say(fc.t("triggers.ask_plan", trigger=fc.data.get("trigger", "")), rows)


async def text_plan(fc: FlowCtx, text: str) -> None:
    """Keeps the if-then plan and asks whether a time of week goes with the trigger (a crisis in the
    words is answered by the safety service after they were saved; the next question then waits)."""
    try:
        await service.set_plan(fc.ctx.session, fc.patient, int(fc.data.get("trigger_id", 0)), text)
    except Refused as refused:
        await fc.say(fc.t(refused.key))
        await _goto(fc, "list")
        return
    risk = await in_flow.after_saved(fc, text)
    await fc.move(FLOW, "ask_time")
    if in_flow.is_crisis(risk):
        return
    await fc.say(fc.t("triggers.plan_saved"))
    await ask(fc)
    await in_flow.gentle_check(fc, risk)


async def press_plan(fc: FlowCtx, press: Press) -> bool:
    if press.action != "skip":
        return False
    await _set_plan(fc, None)
    return True


async def _set_plan(fc: FlowCtx, plan: str | None) -> None:
    try:
        await service.set_plan(fc.ctx.session, fc.patient, int(fc.data.get("trigger_id", 0)), plan)
    except Refused as refused:
        await fc.say(fc.t(refused.key))
        await _goto(fc, "list")
        return
    await fc.say(fc.t("triggers.plan_saved" if plan else "triggers.plan_later"))
    await _goto(fc, "ask_time")


async def ask_time_question(fc: FlowCtx) -> None:
    rows = [
        [fc.button(fc.t("triggers.button_weekly"), "weekly")],
        [fc.button(fc.t("triggers.button_once"), "once")],
        [fc.button(fc.t("triggers.button_no_time"), "list")],
        _nav(fc, back=False),
    ]
    await fc.say(fc.t("triggers.ask_time_question"), rows)


# -- a risky time ----------------------------------------------------------------------------------------
async def ask_pick_trigger(fc: FlowCtx) -> None:
    triggers = await repo.triggers(fc.ctx.session, fc.patient.id)
    rows = [[fc.button(_short(t.description), "trigger", str(t.id))] for t in triggers]
    await fc.say(fc.t("triggers.ask_pick_trigger"), [*rows, _nav(fc)])


async def press_pick_trigger(fc: FlowCtx, press: Press) -> bool:
    if press.action != "trigger" or not press.value.isdigit():
        return False
    trigger = await repo.trigger_of(fc.ctx.session, fc.patient.id, int(press.value))
    if trigger is None:
        return False
    await _goto(fc, "when_kind", trigger_id=trigger.id, trigger=trigger.description)
    return True


async def ask_when_kind(fc: FlowCtx) -> None:
    rows = [
        [fc.button(fc.t("triggers.button_weekly"), "weekly")],
        [fc.button(fc.t("triggers.button_once"), "once")],
        _nav(fc),
    ]
    await fc.say(fc.t("triggers.ask_when_kind", trigger=fc.data.get("trigger", "")), rows)


async def press_when_kind(fc: FlowCtx, press: Press) -> bool:
    if press.action == "weekly":
        await _goto(fc, "weekday", date=None)
    elif press.action == "once":
        await _goto(fc, "date", weekday=None)
    else:
        return False
    return True


async def ask_weekday(fc: FlowCtx) -> None:
    names = [fc.button(fc.t(f"triggers.weekdays.d{d}"), "weekday", str(d)) for d in range(7)]
    await fc.say(fc.t("triggers.ask_weekday"), [names[:4], names[4:], _nav(fc)])


async def press_weekday(fc: FlowCtx, press: Press) -> bool:
    if press.action != "weekday" or press.value not in {str(d) for d in range(7)}:
        return False
    await _goto(fc, "time", weekday=int(press.value))
    return True


async def ask_date(fc: FlowCtx) -> None:
    rows = [
        [
            fc.button(fc.t("triggers.button_today"), "day", "0"),
            fc.button(fc.t("triggers.button_tomorrow"), "day", "1"),
        ],
        _nav(fc),
    ]
    await fc.say(fc.t("triggers.ask_date"), rows)


async def press_date(fc: FlowCtx, press: Press) -> bool:
    if press.action != "day" or press.value not in ("0", "1"):
        return False
    day = local_today(fc.ctx.services, fc.patient) + dt.timedelta(days=int(press.value))
    await _goto(fc, "time", date=day.isoformat())
    return True


async def text_date(fc: FlowCtx, text: str) -> None:
    day = parse_date(text)
    today = local_today(fc.ctx.services, fc.patient)
    if day is None:
        await fc.say(fc.t("triggers.date_unknown"))
    elif day < today or day > today + dt.timedelta(days=366):
        await fc.say(fc.t("triggers.date_out_of_range"))
    else:
        await _goto(fc, "time", date=day.isoformat())


async def ask_time(fc: FlowCtx) -> None:
    times = [fc.button(t, "time", t.replace(":", "")) for t in TIME_CHOICES]
    await fc.say(fc.t("triggers.ask_time"), [times[:3], times[3:], _nav(fc)])


async def press_time(fc: FlowCtx, press: Press) -> bool:
    hhmm = f"{press.value[:2]}:{press.value[2:]}"
    if press.action != "time" or hhmm not in TIME_CHOICES:
        return False
    await _goto(fc, "lead", time=hhmm)
    return True


async def text_time(fc: FlowCtx, text: str) -> None:
    hhmm = parse_time(text)
    if hhmm is None:
        await fc.say(fc.t("triggers.time_unknown"))
    else:
        await _goto(fc, "lead", time=hhmm)


def _lead_text(fc: FlowCtx, minutes: int) -> str:
    if minutes % 60 == 0 and minutes >= 60:
        hours = minutes // 60
        return fc.t("triggers.lead_hour" if hours == 1 else "triggers.lead_hours", hours=hours)
    return fc.t("triggers.lead_minutes", minutes=minutes)


async def ask_lead(fc: FlowCtx) -> None:
    cfg = fc.ctx.services.config.triggers
    choices = sorted({*cfg.lead_choices, cfg.lead_minutes})
    rows = [[fc.button(_lead_text(fc, m), "lead", str(m)) for m in choices]]
    await fc.say(fc.t("triggers.ask_lead", default=_lead_text(fc, cfg.lead_minutes)), [*rows, _nav(fc)])


async def press_lead(fc: FlowCtx, press: Press) -> bool:
    cfg = fc.ctx.services.config.triggers
    if (
        press.action != "lead"
        or not press.value.isdigit()
        or int(press.value) not in {*cfg.lead_choices, cfg.lead_minutes}
    ):
        return False
    await _save_time(fc, int(press.value))
    return True


async def _save_time(fc: FlowCtx, lead: int) -> None:
    """Stores the risky time, plans its first reminder and says when it comes."""
    data = fc.data
    on_date = dt.date.fromisoformat(data["date"]) if data.get("date") else None
    weekday = data.get("weekday") if on_date is None else None
    try:
        time, _ = await service.add_risky_time(
            fc.ctx.services,
            fc.ctx.session,
            fc.patient,
            int(data.get("trigger_id", 0)),
            (weekday, on_date, data["time"]),
            lead,
        )
    except Refused as refused:
        await fc.say(fc.t(refused.key))
        await _goto(fc, "date" if refused.key == "triggers.in_the_past" else "list")
        return
    await fc.finish()
    when = when_text(fc.ctx.services.content, fc.lang, time)
    await fc.say(
        fc.t("triggers.time_saved", when=when, lead=_lead_text(fc, lead), trigger=data.get("trigger", ""))
    )


# -- removing --------------------------------------------------------------------------------------------
async def ask_remove(fc: FlowCtx) -> None:
    session, content = fc.ctx.session, fc.ctx.services.content
    rows: Rows = []
    for trigger in await repo.triggers(session, fc.patient.id):
        rows.append(
            [
                fc.button(
                    fc.t("triggers.remove_trigger", trigger=_short(trigger.description)),
                    "rm_trigger",
                    str(trigger.id),
                )
            ]
        )
    for time in await repo.risky_times(session, fc.patient.id, active_only=True):
        rows.append(
            [
                fc.button(
                    fc.t("triggers.remove_time", when=when_text(content, fc.lang, time)),
                    "rm_time",
                    str(time.id),
                )
            ]
        )
    await fc.say(fc.t("triggers.ask_remove"), [*rows, _nav(fc)])


async def press_remove(fc: FlowCtx, press: Press) -> bool:
    if not press.value.isdigit():
        return False
    patient_id, item = fc.patient.id, int(press.value)
    if press.action == "rm_trigger":
        removed = await repo.remove_trigger(fc.ctx.session, patient_id, item)
    elif press.action == "rm_time":
        removed = await repo.remove_risky_time(fc.ctx.session, patient_id, item)
    else:
        return False
    if removed:
        await fc.say(fc.t("triggers.removed"))
    await _goto(fc, "list")
    return True


# -- routing ---------------------------------------------------------------------------------------------
Ask = Callable[[FlowCtx], Awaitable[None]]
Pressed = Callable[[FlowCtx, Press], Awaitable[bool]]
Typed = Callable[[FlowCtx, str], Awaitable[None]]

ASK: dict[str, Ask] = {
    "list": ask_list,
    "kind": ask_kind,
    "feeling": ask_feeling,
    "describe": ask_describe,
    "plan": ask_plan,
    "ask_time": ask_time_question,
    "pick_trigger": ask_pick_trigger,
    "when_kind": ask_when_kind,
    "weekday": ask_weekday,
    "date": ask_date,
    "time": ask_time,
    "lead": ask_lead,
    "remove": ask_remove,
}
PRESS: dict[str, Pressed] = {
    "list": press_list,
    "kind": press_kind,
    "feeling": press_feeling,
    "plan": press_plan,
    "ask_time": press_when_kind,
    "pick_trigger": press_pick_trigger,
    "when_kind": press_when_kind,
    "weekday": press_weekday,
    "date": press_date,
    "time": press_time,
    "lead": press_lead,
    "remove": press_remove,
}
TEXT: dict[str, Typed] = {
    "feeling": text_describe,
    "describe": text_describe,
    "plan": text_plan,
    "date": text_date,
    "time": text_time,
}


async def ask(fc: FlowCtx) -> None:
    """Shows the current step again (after a restart, a stale button or an answer that did not fit)."""
    assert fc.state is not None
    await ASK.get(fc.state.step, ask_list)(fc)


async def on_press(fc: FlowCtx, press: Press) -> None:
    """Routes a button: Close and Back work everywhere; one that does not fit shows the step again."""
    assert fc.state is not None
    if press.action == "close":
        await fc.finish()
        await fc.say(fc.t("triggers.closed"))
        return
    if press.action == "list" and fc.state.step != "list":
        await _goto(fc, "list")
        return
    handler = PRESS.get(fc.state.step)
    if handler is None or not await handler(fc, press):
        await ask(fc)


async def on_text(fc: FlowCtx, text: str) -> None:
    """Typed text where the step reads it; elsewhere a short hint and the step again."""
    assert fc.state is not None
    handler = TEXT.get(fc.state.step)
    if handler is None:
        await fc.say(fc.t("triggers.hint_buttons"))
        await ask(fc)
        return
    await handler(fc, text)
