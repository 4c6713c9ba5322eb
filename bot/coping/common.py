"""What every step of the coping flow shares: the runtime in ``bot_data``, moving between steps, the
0-10 rating keyboard, and starting and ending one use of a tool (a ``CopingSession`` row)."""

from __future__ import annotations

import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton

from bot.coping import service
from bot.coping.exercises import ExerciseBook, Exercises
from bot.coping.pacing import PacingRunner
from bot.flows.base import FlowCtx, Press
from bot.safety import in_flow

FLOW = "coping"
Rows = list[list[InlineKeyboardButton]]
MAX_ITEM = 300  # characters kept of one reason or support person
_SCORE_RE = re.compile(r"^\s*(10|[0-9])\s*(?:/\s*10)?\s*[.!]?\s*$")


@dataclass
class CopingRuntime:
    """The coping tools' shared parts, one per application (``bot_data["coping"]``)."""

    book: ExerciseBook
    runner: PacingRunner
    rng: random.Random = field(default_factory=random.Random)


@dataclass(frozen=True)
class Step:
    """One step: ``ask`` shows it; ``press`` takes its buttons (False: not understood, the step is shown
    again); ``text`` takes typed text (None: the step only has buttons)."""

    ask: Callable[[FlowCtx], Awaitable[None]]
    press: Callable[[FlowCtx, Press], Awaitable[bool]] | None = None
    text: Callable[[FlowCtx, str], Awaitable[None]] | None = None


def runtime(fc: FlowCtx) -> CopingRuntime:
    return fc.ctx.application.bot_data["coping"]


def exercises(fc: FlowCtx) -> Exercises:
    return runtime(fc).book.get(fc.lang)


async def goto(fc: FlowCtx, step: str, **changes: object) -> None:
    """Moves to ``step`` (with these changes to the flow's data) and shows it."""
    await fc.move(FLOW, step, {**fc.data, **changes})
    await ask(fc)


async def ask(fc: FlowCtx) -> None:
    from bot.coping.flow import STEPS  # the steps of every tool, assembled in flow.py

    assert fc.state is not None
    await STEPS[fc.state.step].ask(fc)


# -- ratings ---------------------------------------------------------------------------------------------
def parse_score(text: str) -> int | None:
    """Reads a typed craving score: "7", "7/10"."""
    match = _SCORE_RE.match(text)
    return int(match.group(1)) if match else None


def rating_rows(fc: FlowCtx) -> Rows:
    return [
        [fc.button(str(n), "rate", str(n)) for n in range(0, 6)],
        [fc.button(str(n), "rate", str(n)) for n in range(6, 11)],
    ]


def pressed_score(press: Press) -> int | None:
    if press.action != "rate" or not press.value.isdigit():
        return None
    value = int(press.value)
    return value if 0 <= value <= 10 else None


def close_row(fc: FlowCtx) -> list[InlineKeyboardButton]:
    return [fc.button(fc.t("coping.button_close"), "close")]


def still_high(fc: FlowCtx, score: int | None) -> bool:
    return score is not None and score >= fc.ctx.services.config.coping.still_high


def current_craving(fc: FlowCtx) -> int | None:
    """The most recent rating in this visit: after the last tool, else before it."""
    last = fc.data.get("last")
    return last if isinstance(last, int) else fc.data.get("before")


# -- one use of a tool -------------------------------------------------------------------------------------
async def begin_use(fc: FlowCtx, tool: str) -> dict[str, object]:
    """Records the start of a tool's use (with the craving before it); returns the changes for the
    flow's data, to pass to :func:`goto`."""
    await end_use(fc, finished=False)
    now = fc.ctx.services.clock.now()
    use = await service.start_use(fc.ctx.session, fc.patient, tool, current_craving(fc), now)
    tried = [*fc.data.get("tried", []), service.family(tool)]
    return {"use": use, "tool": tool, "tried": tried}


async def end_use(fc: FlowCtx, finished: bool) -> None:
    """Records the end of the current use, once (an already ended use is left as it was)."""
    use = fc.data.get("use")
    if isinstance(use, int):
        await service.end_use(fc.ctx.session, fc.patient, use, finished, fc.ctx.services.clock.now())


async def tool_done(fc: FlowCtx, finished: bool = True, lead: str | None = None) -> None:
    """The tool came to its end (or was stopped): record it and ask how strong the craving is now."""
    await end_use(fc, finished)
    if lead:
        await fc.say(lead)
    await goto(fc, "rate_after")


async def close(fc: FlowCtx) -> None:
    """Leaves the coping tools from any step."""
    await end_use(fc, finished=False)
    await fc.finish()
    await fc.say(fc.t("coping.closed"))


async def risky(fc: FlowCtx, text: str) -> bool:
    """Defence in depth for text that would be stored: the safety gate answers a risky message before
    any flow sees it, so one arriving here means the gate's reply failed. It is never stored; the reply
    comes from the one safety service (``bot.safety.in_flow``), at once and once per update."""
    result = in_flow.screening(fc, text)
    if not result.is_risk:
        return False
    await in_flow.respond(fc, result)
    return True


def shorten(text: str) -> str:
    return text if len(text) <= MAX_ITEM else text[: MAX_ITEM - 1].rstrip() + "…"
