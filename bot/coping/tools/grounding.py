"""5-4-3-2-1 grounding: five things you see, four you can touch, three you hear, two you smell, one you
taste. For each sense the patient types what they notice (one message or several; commas and new lines
separate things) or taps Done. Nothing typed here is stored. Step: ``ground`` (index = the sense)."""

from __future__ import annotations

import re

from bot.coping import common
from bot.coping.common import Step
from bot.flows.base import FlowCtx, Press

TOOL = "grounding"
_SEPARATORS = re.compile(r"[,;\n]+")


def count_things(text: str) -> int:
    """How many things a message names: "tree, car\ncup" is three; anything else is one."""
    return max(1, len([part for part in _SEPARATORS.split(text) if part.strip()]))


async def start(fc: FlowCtx) -> None:
    changes = await common.begin_use(fc, TOOL)
    await common.goto(fc, "ground", **changes, index=0, noted=0)


async def ask(fc: FlowCtx) -> None:
    grounding = common.exercises(fc).grounding
    index = min(int(fc.data.get("index", 0)), len(grounding.senses) - 1)
    lines = [grounding.intro, ""] if index == 0 else []
    lines.append(fc.t("coping.ground_progress", number=index + 1, total=len(grounding.senses)))
    lines.append(grounding.senses[index].say)
    rows = [[fc.button(fc.t("coping.button_done"), "next")], common.close_row(fc)]
    await fc.say("\n".join(lines), rows)


async def press(fc: FlowCtx, press: Press) -> bool:
    if press.action != "next":
        return False
    await _next_sense(fc)
    return True


async def text(fc: FlowCtx, text: str) -> None:
    grounding = common.exercises(fc).grounding
    index = min(int(fc.data.get("index", 0)), len(grounding.senses) - 1)
    noted = int(fc.data.get("noted", 0)) + count_things(text)
    left = grounding.senses[index].count - noted
    if left > 0:
        await fc.move(common.FLOW, "ground", {**fc.data, "noted": noted})
        await fc.say(fc.t("coping.ground_more", left=left))
        return
    await _next_sense(fc)


async def _next_sense(fc: FlowCtx) -> None:
    senses = common.exercises(fc).grounding.senses
    index = int(fc.data.get("index", 0)) + 1
    if index < len(senses):
        await common.goto(fc, "ground", index=index, noted=0)
    else:
        await common.tool_done(fc, finished=True, lead=fc.t("coping.ground_done"))


STEPS = {"ground": Step(ask, press, text)}
