"""Paced breathing (box, 4-7-8, physiological sigh, or whatever ``_exercises.toml`` defines): pick a
pattern (the ones that helped this patient most first), pick a length, then the bot paces it live by
editing one message, second by second ("Breathe in… 4… 3"), with a Stop button.

Steps: ``breath_pick`` -> ``breath_len`` -> ``running`` (bot/coping/runs.py) -> the craving is rated.
"""

from __future__ import annotations

from bot.coping import common, runs, service
from bot.coping.common import Step
from bot.coping.exercises import Breathing
from bot.coping.pacing import Frame
from bot.flows.base import FlowCtx, Press

KIND = "breathing"
LEAD_IN = 3  # seconds of "get ready" before the first breath


def frames(fc: FlowCtx, pattern: Breathing, rounds: int) -> tuple[list[Frame], float]:
    """Every second of the exercise as a frame; the first of each phase is essential, the rest are
    countdown ticks the runner may skip. Returns the frames and the total length in seconds."""
    out = [Frame(0.0, fc.t("coping.pace_ready", title=pattern.title))]
    at = float(LEAD_IN)
    for number in range(1, rounds + 1):
        for phase in pattern.phases:
            counts: list[str] = []
            for second in range(phase.seconds):
                counts.append(str(phase.seconds - second))
                text = fc.t(
                    "coping.pace_breath",
                    title=pattern.title,
                    round=number,
                    rounds=rounds,
                    phase=phase.say,
                    counts="… ".join(counts),
                )
                out.append(Frame(at + second, text, essential=second == 0))
            at += phase.seconds
    return out, at


def _pattern(fc: FlowCtx, ident: object) -> Breathing | None:
    return common.exercises(fc).breathing.get(ident) if isinstance(ident, str) else None


async def start(fc: FlowCtx) -> None:
    """Opens paced breathing: the choice of pattern, or its length when there is only one."""
    book = common.exercises(fc)
    if len(book.breathing) == 1:
        await common.goto(fc, "breath_len", pattern=next(iter(book.breathing)))
    else:
        await common.goto(fc, "breath_pick")


async def ask_pick(fc: FlowCtx) -> None:
    book, rt = common.exercises(fc), common.runtime(fc)
    order = await service.offer_patterns(fc.ctx.session, fc.patient, book, rt.rng)
    rows = [
        [fc.button(book.breathing[t.removeprefix(service.BREATH_PREFIX)].title, "pick", t)] for t in order
    ]
    rows.append([fc.button(fc.t("common.back"), "back"), *common.close_row(fc)])
    await fc.say(fc.t("coping.breath_pick"), rows)


async def press_pick(fc: FlowCtx, press: Press) -> bool:
    if press.action == "back":
        await common.goto(fc, "menu")
        return True
    pattern = (
        _pattern(fc, press.value.removeprefix(service.BREATH_PREFIX)) if press.action == "pick" else None
    )
    if pattern is None:
        return False
    await common.goto(fc, "breath_len", pattern=pattern.id)
    return True


def _lengths(fc: FlowCtx, pattern: Breathing) -> list[tuple[str, int]]:
    """(button label, rounds) for each length the pattern offers."""
    out = []
    for rounds in pattern.cycles:
        minutes = max(1, round(rounds * pattern.round_seconds / 60))
        out.append((fc.t("coping.length_rounds", rounds=rounds, minutes=minutes), rounds))
    for minutes in pattern.minutes:
        out.append((fc.t("coping.length_minutes", minutes=minutes), pattern.rounds_for(minutes)))
    return out


async def ask_len(fc: FlowCtx) -> None:
    pattern = _pattern(fc, fc.data.get("pattern"))
    if pattern is None:  # the content changed since this step was stored
        await start(fc)
        return
    rows = [[fc.button(label, "len", str(rounds))] for label, rounds in _lengths(fc, pattern)]
    rows.append([fc.button(fc.t("common.back"), "back"), *common.close_row(fc)])
    await fc.say(pattern.intro + "\n\n" + fc.t("coping.breath_length"), rows)


async def press_len(fc: FlowCtx, press: Press) -> bool:
    pattern = _pattern(fc, fc.data.get("pattern"))
    if press.action == "back":
        if len(common.exercises(fc).breathing) > 1:
            await common.goto(fc, "breath_pick")
        else:
            await common.goto(fc, "menu")
        return True
    offered = {rounds for _, rounds in _lengths(fc, pattern)} if pattern else set()
    if press.action != "len" or not press.value.isdigit() or int(press.value) not in offered:
        return False
    await fc.move(common.FLOW, "breath_len", {**fc.data, "rounds": int(press.value)})
    await restart(fc)
    return True


async def restart(fc: FlowCtx) -> None:
    """Starts the chosen pattern and length (again, after an interruption)."""
    pattern = _pattern(fc, fc.data.get("pattern"))
    rounds = fc.data.get("rounds")
    if pattern is None or not isinstance(rounds, int):
        await start(fc)
        return
    changes = await common.begin_use(fc, service.BREATH_PREFIX + pattern.id)
    await fc.move(common.FLOW, "breath_len", {**fc.data, **changes})
    sequence, total = frames(fc, pattern, rounds)
    done = fc.t("coping.pace_breath_done", title=pattern.title, rounds=rounds)
    stopped = fc.t("coping.pace_stopped", title=pattern.title)
    await runs.play(fc, KIND, sequence, total, done, stopped)


async def finished(fc: FlowCtx) -> None:
    """The last breath was paced: rate the craving."""
    await common.tool_done(fc, finished=True)


STEPS = {
    "breath_pick": Step(ask_pick, press_pick),
    "breath_len": Step(ask_len, press_len),
}
