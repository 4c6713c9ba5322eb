"""Play the tape forward: what happens after using (the next hour, tomorrow, next week), one part at a
time, ending with the patient's own reasons for recovery (or an offer to write some). Steps: ``tape``
(index = the part) -> ``tape_end`` (-> ``reasons_add``) -> the craving is rated."""

from __future__ import annotations

from bot.coping import common, service
from bot.coping.common import Step
from bot.coping.tools import reasons
from bot.flows.base import FlowCtx, Press

TOOL = "tape"


async def start(fc: FlowCtx) -> None:
    changes = await common.begin_use(fc, TOOL)
    await common.goto(fc, "tape", **changes, index=0)


async def ask(fc: FlowCtx) -> None:
    tape = common.exercises(fc).tape
    index = min(int(fc.data.get("index", 0)), len(tape.steps) - 1)
    lines = [tape.intro, ""] if index == 0 else []
    lines.append(tape.steps[index])
    rows = [[fc.button(fc.t("coping.button_next"), "next")], common.close_row(fc)]
    await fc.say("\n".join(lines), rows)


async def press(fc: FlowCtx, press: Press) -> bool:
    if press.action != "next":
        return False
    index = int(fc.data.get("index", 0)) + 1
    if index < len(common.exercises(fc).tape.steps):
        await common.goto(fc, "tape", index=index)
    else:
        await common.goto(fc, "tape_end")
    return True


async def ask_end(fc: FlowCtx) -> None:
    tape = common.exercises(fc).tape
    items = await service.items(fc.ctx.session, fc.patient, service.REASON)
    finish = fc.button(fc.t("coping.button_finish"), "finish")
    if items:
        await fc.say(tape.reasons_intro + "\n\n" + reasons.bullets(items), [[finish]])
    else:
        await fc.say(tape.no_reasons, [[fc.button(fc.t("coping.button_add_reasons"), "add")], [finish]])


async def press_end(fc: FlowCtx, press: Press) -> bool:
    if press.action == "finish":
        await common.tool_done(fc, finished=True)
    elif press.action == "add":
        await common.goto(fc, "reasons_add")
    else:
        return False
    return True


STEPS = {"tape": Step(ask, press), "tape_end": Step(ask_end, press_end)}
