"""Distraction and movement ideas: a few, chosen for the time of day in the patient's own time zone (a
walk in the afternoon, something quiet at night). Step: ``ideas``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.coping import common
from bot.coping.common import Step
from bot.flows.base import FlowCtx, Press

TOOL = "ideas"
SHOWN = 4
# (first hour, period), by local hour; "night" runs from 22:00 to 05:00.
PERIODS = ((5, "morning"), (12, "afternoon"), (17, "evening"), (22, "night"))


def period(local: dt.datetime) -> str:
    """The part of the day of a local time: morning 05-12, afternoon 12-17, evening 17-22, night 22-05."""
    name = "night"
    for first, label in PERIODS:
        if local.hour >= first:
            name = label
    return name


def local_now(fc: FlowCtx) -> dt.datetime:
    zone_name = fc.patient.timezone or fc.ctx.services.config.clinic.default_timezone
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return fc.ctx.services.clock.now().astimezone(zone)


async def start(fc: FlowCtx) -> None:
    changes = await common.begin_use(fc, TOOL)
    await common.goto(fc, "ideas", **changes)


async def ask(fc: FlowCtx) -> None:
    ideas = common.exercises(fc).ideas
    choices = ideas.periods[period(local_now(fc))]
    picked = common.runtime(fc).rng.sample(choices, min(SHOWN, len(choices)))
    text = (
        ideas.intro + "\n\n" + "\n".join(f"• {idea}" for idea in picked) + "\n\n" + fc.t("coping.ideas_then")
    )
    rows = [
        [fc.button(fc.t("coping.button_more_ideas"), "more")],
        [fc.button(fc.t("coping.button_tried_one"), "done")],
        common.close_row(fc),
    ]
    await fc.say(text, rows)


async def press(fc: FlowCtx, press: Press) -> bool:
    if press.action == "more":
        await ask(fc)
    elif press.action == "done":
        await common.tool_done(fc, finished=True)
    else:
        return False
    return True


STEPS = {"ideas": Step(ask, press)}
