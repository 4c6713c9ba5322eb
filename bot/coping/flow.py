"""The coping flow ("I'm craving"): rate the craving, choose a tool, use it, rate again.

Steps (see ``flow.mmd`` beside this file): ``rate_before`` -> ``menu`` (three tools, the ones that helped
this patient most first, + "show all" -> ``all``) -> the tool's own steps (``bot/coping/tools/``; paced
ones go through ``running``) -> ``rate_after`` -> ``after``: when the craving is still high, another tool,
the patient's reasons or reaching out; else well done. A paced exercise that no process plays any more
(a restart) is ``interrupted``: start again, rate now, or close. Every step can be closed; /cancel works
too. Typed text reaches this flow only after the safety gate screened it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.coping import common, runs, service
from bot.coping.common import FLOW, Step
from bot.coping.tools import breathing, grounding, guided, ideas, reach, reasons, tape
from bot.flows.base import FlowCtx, Press

# Steps whose typed answers may hold hard feelings: saved as they are (see bot.safety.in_flow)
FEELING_STEPS = frozenset({"reasons_add"})

OFFERED = 3


# -- starting --------------------------------------------------------------------------------------------
async def start(fc: FlowCtx, before: int | None = None, tool: str | None = None) -> None:
    """Opens the coping tools (again): a visit starts with the craving rating unless it is known.

    With ``tool`` (a one-tap tool under a reminder) that tool opens right after the rating."""
    await _leave_current(fc)
    if tool is not None and tool not in service.tools(common.exercises(fc)):
        tool = None
    await fc.move(FLOW, "rate_before", {"mode": "craving", "before": before, "tried": [], "then": tool})
    await common.goto(fc, "menu" if before is not None else "rate_before")


async def start_reasons(fc: FlowCtx) -> None:
    """/reasons: the patient's reasons for recovery on their own, to read, add or remove."""
    await _leave_current(fc)
    await fc.move(FLOW, "reasons", {"mode": reasons.MANAGE})
    await reasons.start(fc)


async def _leave_current(fc: FlowCtx) -> None:
    """A new visit: a running exercise stops (its message says so) and an unfinished use ends."""
    if fc.state is None or fc.state.flow != FLOW:
        return
    if fc.state.step == runs.RUNNING:
        await runs.stop(fc)
    await common.end_use(fc, finished=False)


# -- the craving before ----------------------------------------------------------------------------------
async def ask_before(fc: FlowCtx) -> None:
    await fc.say(fc.t("coping.rate_before"), [*common.rating_rows(fc), common.close_row(fc)])


async def press_before(fc: FlowCtx, press: Press) -> bool:
    score = common.pressed_score(press)
    if score is None:
        return False
    await _rated_before(fc, score)
    return True


async def text_before(fc: FlowCtx, text: str) -> None:
    score = common.parse_score(text)
    if score is None:
        await fc.say(fc.t("coping.hint_number"))
    else:
        await _rated_before(fc, score)


async def _rated_before(fc: FlowCtx, score: int) -> None:
    """Stores the craving before; opens the tool chosen in advance, else the menu."""
    tool = fc.data.get("then")
    if isinstance(tool, str) and tool in service.tools(common.exercises(fc)):
        await fc.move(FLOW, "menu", {**fc.data, "before": score, "then": None})
        await open_tool(fc, tool)
    else:
        await common.goto(fc, "menu", before=score)


# -- choosing a tool -------------------------------------------------------------------------------------
def label(fc: FlowCtx, tool: str) -> str:
    guided_exercise = common.exercises(fc).guided.get(tool)
    if guided_exercise is not None:
        return fc.t("coping.guided_label", title=guided_exercise.title)
    return fc.t(f"coping.tools.{tool}")


async def ask_menu(fc: FlowCtx) -> None:
    rt, book = common.runtime(fc), common.exercises(fc)
    order = await service.offer(fc.ctx.session, fc.patient, book, rt.rng, fc.data.get("tried", []))
    top = order[:OFFERED]
    rows = [[fc.button(label(fc, tool), "tool", tool)] for tool in top]
    high = common.still_high(fc, common.current_craving(fc))
    if high and "reach_out" not in top:
        rows.append([fc.button(label(fc, "reach_out"), "tool", "reach_out")])
    rows.append([fc.button(fc.t("coping.button_all"), "all"), *common.close_row(fc)])
    key = "coping.menu_again" if fc.data.get("tried") else ("coping.menu_high" if high else "coping.menu")
    await fc.say(fc.t(key), rows)


async def ask_all(fc: FlowCtx) -> None:
    tools = service.tools(common.exercises(fc))
    rows = [[fc.button(label(fc, tool), "tool", tool)] for tool in tools]
    rows.append([fc.button(fc.t("common.back"), "back"), *common.close_row(fc)])
    await fc.say(fc.t("coping.all_tools"), rows)


async def press_choose(fc: FlowCtx, press: Press) -> bool:
    if press.action == "all":
        await common.goto(fc, "all")
    elif press.action == "back":
        await common.goto(fc, "menu")
    elif press.action == "tool" and press.value in service.tools(common.exercises(fc)):
        await open_tool(fc, press.value)
    else:
        return False
    return True


async def open_tool(fc: FlowCtx, tool: str) -> None:
    openers: dict[str, Callable[[FlowCtx], Awaitable[None]]] = {
        service.BREATHING: breathing.start,
        grounding.TOOL: grounding.start,
        tape.TOOL: tape.start,
        reasons.TOOL: reasons.start,
        ideas.TOOL: ideas.start,
        reach.TOOL: reach.start,
    }
    if tool in openers:
        await openers[tool](fc)
    else:
        await guided.start(fc, tool)


# -- a paced exercise ------------------------------------------------------------------------------------
async def ask_running(fc: FlowCtx) -> None:
    """While the exercise plays: a short pointer to its Stop button; when nothing plays it any more
    (a restart), the kind "interrupted" message."""
    if runs.is_playing(fc):
        await fc.say(fc.t("coping.running_hint"))
    else:
        await runs.interrupt(fc)


async def press_running(fc: FlowCtx, press: Press) -> bool:
    if press.action != "stop":
        return False
    if await runs.stop(fc):
        await common.goto(fc, "rate_after")
    elif fc.state is not None and fc.state.flow == FLOW:
        await common.ask(fc)
    return True


async def text_running(fc: FlowCtx, _: str) -> None:
    await ask_running(fc)


async def ask_interrupted(fc: FlowCtx) -> None:
    rows = [
        [fc.button(fc.t("coping.button_again"), "again")],
        [fc.button(fc.t("coping.button_rate_now"), "rate_now")],
        common.close_row(fc),
    ]
    await fc.say(fc.t("coping.interrupted"), rows)


async def press_interrupted(fc: FlowCtx, press: Press) -> bool:
    kind = (fc.data.get("run") or {}).get("kind")
    if press.action == "again" and kind in RESTARTS:
        await RESTARTS[kind](fc)
    elif press.action == "rate_now":
        await common.goto(fc, "rate_after")
    else:
        return False
    return True


# -- the craving after -----------------------------------------------------------------------------------
async def ask_after_rating(fc: FlowCtx) -> None:
    rows = [*common.rating_rows(fc), [fc.button(fc.t("coping.button_skip"), "skip")]]
    await fc.say(fc.t("coping.rate_after"), rows)


async def press_after_rating(fc: FlowCtx, press: Press) -> bool:
    if press.action == "skip":
        await common.goto(fc, "after", skipped=True)
        return True
    score = common.pressed_score(press)
    if score is None:
        return False
    await _rated(fc, score)
    return True


async def text_after_rating(fc: FlowCtx, text: str) -> None:
    score = common.parse_score(text)
    if score is None:
        await fc.say(fc.t("coping.hint_number"))
    else:
        await _rated(fc, score)


async def _rated(fc: FlowCtx, score: int) -> None:
    """Stores the craving after the tool; the next tool of this visit starts from it."""
    use = fc.data.get("use")
    if isinstance(use, int):
        await service.rate_use(fc.ctx.session, fc.patient, use, score, fc.ctx.services.clock.now())
    await common.goto(fc, "after", last=score, skipped=False, before_tool=common.current_craving(fc))


async def ask_after(fc: FlowCtx) -> None:
    """Well done, or, when the craving is still high (or not rated), more help: another tool, the
    patient's reasons, a person."""
    score = None if fc.data.get("skipped") else fc.data.get("last")
    earlier = fc.data.get("before_tool")
    high = score is None or common.still_high(fc, score)
    if score is None:
        text = fc.t("coping.after_skipped")
    elif high:
        text = fc.t("coping.after_high", after=score)
    elif isinstance(earlier, int) and score < earlier:
        text = fc.t("coping.after_lower", before=earlier, after=score)
    else:
        text = fc.t("coping.after_low", after=score)
    rows = [[fc.button(fc.t("coping.button_another"), "another")]]
    if high:
        rows.append([fc.button(label(fc, "reasons"), "tool", "reasons")])
        rows.append([fc.button(label(fc, "reach_out"), "tool", "reach_out")])
    rows.append([fc.button(fc.t("coping.button_finish"), "finish")])
    await fc.say(text, rows)


async def press_after(fc: FlowCtx, press: Press) -> bool:
    if press.action == "another":
        await common.goto(fc, "menu")
    elif press.action == "tool" and press.value in (reasons.TOOL, reach.TOOL):
        await open_tool(fc, press.value)
    elif press.action == "finish":
        await fc.finish()
        await fc.say(fc.t("coping.finished"))
    else:
        return False
    return True


# -- routing ---------------------------------------------------------------------------------------------
STEPS: dict[str, Step] = {
    "rate_before": Step(ask_before, press_before, text_before),
    "menu": Step(ask_menu, press_choose),
    "all": Step(ask_all, press_choose),
    "running": Step(ask_running, press_running, text_running),
    "interrupted": Step(ask_interrupted, press_interrupted),
    "rate_after": Step(ask_after_rating, press_after_rating, text_after_rating),
    "after": Step(ask_after, press_after),
    **breathing.STEPS,
    **guided.STEPS,
    **grounding.STEPS,
    **tape.STEPS,
    **reasons.STEPS,
    **ideas.STEPS,
    **reach.STEPS,
}
# What happens when a paced run comes to its end, and how it starts again, by the run's kind.
FINISHERS: dict[str, Callable[[FlowCtx], Awaitable[None]]] = {
    breathing.KIND: breathing.finished,
    guided.KIND: guided.finished,
}
RESTARTS: dict[str, Callable[[FlowCtx], Awaitable[None]]] = {
    breathing.KIND: breathing.restart,
    guided.KIND: guided.restart,
}


async def ask(fc: FlowCtx) -> None:
    """Shows the current step again (after a restart, a stale button or an answer that did not fit)."""
    await common.ask(fc)


async def on_press(fc: FlowCtx, press: Press) -> None:
    """Routes a button of the current step; Close works everywhere; anything else shows the step again."""
    assert fc.state is not None
    step = STEPS.get(fc.state.step)
    if press.action == "close":
        await common.runtime(fc).runner.stop(fc.chat_id)
        await common.close(fc)
        return
    if step is None:
        await start(fc)
        return
    if step.press is None or not await step.press(fc, press):
        await ask(fc)


async def on_text(fc: FlowCtx, text: str) -> None:
    """Typed text: taken where the step reads text, else a short hint and the step again."""
    assert fc.state is not None
    step = STEPS.get(fc.state.step)
    if step is None:
        await start(fc)
    elif step.text is not None:
        await step.text(fc, text)
    else:
        await fc.say(fc.t("coping.hint_buttons"))
        await ask(fc)
