"""Guided exercises (meditation, body scan, urge surfing, or whatever ``_exercises.toml`` defines): short
steps paced over the chosen minutes by the same engine as breathing, one edit per step.

A step marked ``check`` ends a segment: the bot asks how strong the craving is (0-10), answers how that
compares with the last rating (urge surfing: the wave rises, peaks and passes), then paces the next
segment in a new message. Steps: ``guided_len`` -> ``running`` -> (``guided_check`` -> ``running``)* ->
the craving is rated.
"""

from __future__ import annotations

from bot.coping import common, runs
from bot.coping.common import Step
from bot.coping.exercises import Guided
from bot.coping.pacing import Frame
from bot.flows.base import FlowCtx, Press

KIND = "guided"


def segments(exercise: Guided) -> list[list[int]]:
    """The step numbers of each segment; a segment ends after a step that checks."""
    out: list[list[int]] = [[]]
    for i, step in enumerate(exercise.steps):
        out[-1].append(i)
        if step.check and i < len(exercise.steps) - 1:
            out.append([])
    return out


def durations(exercise: Guided, minutes: int) -> list[float]:
    weights = [s.weight for s in exercise.steps]
    return [minutes * 60 * w / sum(weights) for w in weights]


def frames(fc: FlowCtx, exercise: Guided, minutes: int, segment: int) -> tuple[list[Frame], float]:
    """One frame per step of the segment; returns the frames and the segment's length in seconds."""
    lengths = durations(exercise, minutes)
    out, at = [], 0.0
    for i in segments(exercise)[segment]:
        text = fc.t(
            "coping.pace_guided",
            title=exercise.title,
            number=i + 1,
            total=len(exercise.steps),
            say=exercise.steps[i].say,
        )
        out.append(Frame(at, text))
        at += lengths[i]
    return out, at


def _exercise(fc: FlowCtx, ident: object = None) -> Guided | None:
    ident = fc.data.get("exercise") if ident is None else ident
    return common.exercises(fc).guided.get(ident) if isinstance(ident, str) else None


async def start(fc: FlowCtx, ident: str) -> None:
    """Opens a guided exercise: the choice of length, or the exercise itself when there is one length."""
    exercise = _exercise(fc, ident)
    if exercise is None:
        await common.goto(fc, "menu")
    elif len(exercise.minutes) == 1:
        await fc.move(
            common.FLOW, "guided_len", {**fc.data, "exercise": ident, "minutes": exercise.minutes[0]}
        )
        await restart(fc, intro=True)
    else:
        await common.goto(fc, "guided_len", exercise=ident)


async def ask_len(fc: FlowCtx) -> None:
    exercise = _exercise(fc)
    if exercise is None:
        await common.goto(fc, "menu")
        return
    rows = [[fc.button(fc.t("coping.length_minutes", minutes=m), "len", str(m)) for m in exercise.minutes]]
    rows.append([fc.button(fc.t("common.back"), "back"), *common.close_row(fc)])
    await fc.say(exercise.intro + "\n\n" + fc.t("coping.guided_length"), rows)


async def press_len(fc: FlowCtx, press: Press) -> bool:
    exercise = _exercise(fc)
    if press.action == "back":
        await common.goto(fc, "menu")
        return True
    if exercise is None or press.action != "len" or not press.value.isdigit():
        return False
    if int(press.value) not in exercise.minutes:
        return False
    await fc.move(common.FLOW, "guided_len", {**fc.data, "minutes": int(press.value)})
    await restart(fc)
    return True


async def restart(fc: FlowCtx, intro: bool = False) -> None:
    """Starts the chosen exercise from its first step (again, after an interruption)."""
    exercise, minutes = _exercise(fc), fc.data.get("minutes")
    if exercise is None or not isinstance(minutes, int):
        await common.goto(fc, "menu")
        return
    changes = await common.begin_use(fc, exercise.id)
    await fc.move(common.FLOW, "guided_len", {**fc.data, **changes, "checks": []})
    if intro:
        await fc.say(exercise.intro)
    await _play(fc, exercise, minutes, 0)


async def _play(fc: FlowCtx, exercise: Guided, minutes: int, segment: int) -> None:
    sequence, total = frames(fc, exercise, minutes, segment)
    last = segment == len(segments(exercise)) - 1
    done = fc.t("coping.pace_guided_done", title=exercise.title) if last else sequence[-1].text
    stopped = fc.t("coping.pace_stopped", title=exercise.title)
    await runs.play(fc, KIND, sequence, total, done, stopped, segment=segment)


async def finished(fc: FlowCtx) -> None:
    """A segment was paced to its end: ask how strong it is now, or rate the craving after the last."""
    exercise = _exercise(fc)
    segment = (fc.data.get("run") or {}).get("segment", 0)
    if exercise is not None and segment + 1 < len(segments(exercise)):
        await common.goto(fc, "guided_check", segment=segment)
    else:
        await common.tool_done(fc, finished=True)


async def ask_check(fc: FlowCtx) -> None:
    rows = common.rating_rows(fc)
    rows.append([fc.button(fc.t("coping.button_stop"), "end")])
    await fc.say(fc.t("coping.check_question"), rows)


async def press_check(fc: FlowCtx, press: Press) -> bool:
    if press.action == "end":
        await common.tool_done(fc, finished=False)
        return True
    score = common.pressed_score(press)
    if score is None:
        return False
    await _checked(fc, score)
    return True


async def text_check(fc: FlowCtx, text: str) -> None:
    score = common.parse_score(text)
    if score is None:
        await fc.say(fc.t("coping.hint_number"))
        return
    await _checked(fc, score)


async def _checked(fc: FlowCtx, score: int) -> None:
    """Answers how this compares with the last rating, then paces the next segment."""
    exercise, minutes = _exercise(fc), fc.data.get("minutes")
    checks = [*fc.data.get("checks", []), score]
    earlier = ([common.current_craving(fc)] + fc.data.get("checks", []))[-1]
    key = "coping.check_same"
    if isinstance(earlier, int) and score > earlier:
        key = "coping.check_higher"
    elif isinstance(earlier, int) and score < earlier:
        key = "coping.check_lower"
    await fc.move(common.FLOW, "guided_check", {**fc.data, "checks": checks})
    await fc.say(fc.t(key))
    if exercise is None or not isinstance(minutes, int):
        await common.tool_done(fc, finished=False)
        return
    await _play(fc, exercise, minutes, int(fc.data.get("segment", 0)) + 1)


STEPS = {
    "guided_len": Step(ask_len, press_len),
    "guided_check": Step(ask_check, press_check, text_check),
}
