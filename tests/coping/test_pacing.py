"""Live pacing: the edits, their timing (fake clock), Telegram's limits and errors, Stop, and a crisis
message in the middle of an exercise stopping it."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.coping.pacing import (
    ABANDONED,
    CRISIS,
    FAILED,
    FINISHED,
    GONE,
    Frame,
    PacingRunner,
    Run,
    _Budget,
    stop_for_chat,
)
from bot.devtools.fake_bot_api import FakeBotApi
from bot.devtools.inprocess_request import InProcessRequest
from tests.coping.fakes import FakeTimer, edits
from tests.coping.journeys import CRISIS as CRISIS_TEXT
from tests.coping.journeys import breathing, instant, runner, sent, stored, until_quiet

CHAT = 4242
TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
STOP = InlineKeyboardMarkup([[InlineKeyboardButton("Stop", callback_data="fl:1:stop")]])


class Ends:
    """Records how runs ended."""

    def __init__(self) -> None:
        self.outcomes: list[str] = []
        self.done = asyncio.Event()

    async def __call__(self, outcome: str) -> None:
        self.outcomes.append(outcome)
        self.done.set()

    async def wait(self) -> str:
        await asyncio.wait_for(self.done.wait(), 5)
        return self.outcomes[-1]


def paced(phases: list[tuple[str, int]], rounds: int = 1) -> tuple[list[Frame], float]:
    """Frames like paced breathing's: a frame per second, the first of each phase essential."""
    frames, at = [], 0.0
    for number in range(1, rounds + 1):
        for say, seconds in phases:
            for second in range(seconds):
                count = "… ".join(str(seconds - s) for s in range(second + 1))
                frames.append(Frame(at + second, f"{number}: {say} {count}", essential=second == 0))
            at += seconds
    return frames, at


@pytest.fixture
async def api_bot():
    api = FakeBotApi()
    bot = Bot(TOKEN, request=InProcessRequest(api), get_updates_request=InProcessRequest(api))
    await bot.initialize()
    try:
        yield api, bot
    finally:
        await bot.shutdown()


async def start(
    api: FakeBotApi,
    bot: Bot,
    frames: list[Frame],
    total: float,
    timer: FakeTimer,
    chat: int = CHAT,
    **options,
) -> tuple[PacingRunner, Run, Ends, int]:
    run_options = {k: options.pop(k) for k in ("alive", "check_every", "stopped_text") if k in options}
    runner_ = options.pop("runner", None) or PacingRunner(bot, timer, **options)
    message = await bot.send_message(chat, frames[0].text, reply_markup=STOP)
    ends = Ends()
    run = Run(
        chat_id=chat,
        message_id=message.message_id,
        frames=frames,
        total=total,
        final_text="Well done.",
        markup=STOP,
        sent_text=frames[0].text,
        on_end=ends,
        **run_options,
    )
    runner_.start(run)
    return runner_, run, ends, message.message_id


# -- the schedule ---------------------------------------------------------------------------------------
async def test_each_frame_is_one_edit_at_its_second_then_the_end_without_buttons(api_bot):
    api, bot = api_bot
    timer = FakeTimer(api)
    frames, total = paced([("In…", 2), ("Out…", 3)], rounds=2)
    _, _, ends, message_id = await start(api, bot, frames, total, timer)
    assert await ends.wait() == FINISHED
    done = edits(api, CHAT, message_id)
    assert [e.text for e in done] == [f.text for f in frames[1:]] + ["Well done."]
    assert [timer.time_of(e) for e in done] == [f.at for f in frames[1:]] + [total]
    assert all(e.reply_markup == STOP.to_dict() for e in done[:-1]), "Stop is on every frame"
    assert done[-1].reply_markup is None
    assert api.error_counts == {}


async def test_at_most_one_edit_per_interval_ticks_are_dropped_every_phase_is_shown(api_bot):
    api, bot = api_bot
    timer = FakeTimer(api)
    frames, total = paced([("In…", 3), ("Hold…", 1), ("Out…", 3)], rounds=2)
    _, _, ends, message_id = await start(api, bot, frames, total, timer, min_interval=1.5)
    assert await ends.wait() == FINISHED
    done = edits(api, CHAT, message_id)
    times = [timer.time_of(e) for e in done]
    assert all(b - a >= 1.5 for a, b in zip([0.0, *times], times, strict=False)), times
    phases = [e.text.split("…")[0] for e in done[:-1]]
    assert [p for i, p in enumerate(phases) if i == 0 or p != phases[i - 1]] == [
        "1: In",
        "1: Hold",
        "1: Out",
        "2: In",
        "2: Hold",
        "2: Out",
    ], "every phase of every round is shown, even the one-second hold"
    assert len(done) < len(frames), "some countdown ticks were dropped"
    assert done[-1].text == "Well done." and times[-1] >= total


async def test_an_edit_that_changes_nothing_is_not_sent(api_bot):
    api, bot = api_bot
    timer = FakeTimer(api)
    frames = [Frame(0, "A"), Frame(1, "A"), Frame(2, "B"), Frame(3, "B", essential=False)]
    _, _, ends, message_id = await start(api, bot, frames, 4, timer)
    assert await ends.wait() == FINISHED
    assert [e.text for e in edits(api, CHAT, message_id)] == ["B", "Well done."]
    assert api.error_counts == {}, "Telegram never had to answer 'message is not modified'"


async def test_message_is_not_modified_from_telegram_is_taken_as_shown(api_bot):
    api, bot = api_bot
    api.fail_next("editMessageText", 400, "Bad Request: message is not modified")
    frames, total = paced([("In…", 3)])
    _, _, ends, message_id = await start(api, bot, frames, total, FakeTimer(api))
    assert await ends.wait() == FINISHED
    assert [e.text for e in edits(api, CHAT, message_id)] == [f.text for f in frames[2:]] + ["Well done."]


async def test_a_late_runner_skips_to_the_frame_that_is_due(api_bot):
    api, bot = api_bot
    timer = FakeTimer(api)

    async def slow_check() -> bool:
        timer.t += 5.5  # something held the runner up for five and a half seconds
        return True

    frames, total = paced([("In…", 4), ("Out…", 4)])
    _, _, ends, message_id = await start(api, bot, frames, total, timer, alive=slow_check, check_every=2)
    assert await ends.wait() == FINISHED
    done = edits(api, CHAT, message_id)
    assert len(done) < len(frames) - 1
    for edit in done[:-1]:
        due = max(f for f in frames if f.text == edit.text).at
        assert timer.time_of(edit) - due < 1.5, "a frame is never shown long after it was due"


# -- Telegram's limits and errors ------------------------------------------------------------------------
async def test_retry_after_is_honoured_and_the_exercise_pauses_instead_of_skipping(api_bot):
    api, bot = api_bot
    timer = FakeTimer(api)
    api.fail_next("editMessageText", 429, "Too Many Requests: retry after 3", retry_after=3)
    frames, total = paced([("In…", 4)])
    _, _, ends, message_id = await start(api, bot, frames, total, timer)
    assert await ends.wait() == FINISHED
    done = edits(api, CHAT, message_id)
    assert [e.text for e in done] == [f.text for f in frames[1:]] + ["Well done."], "nothing skipped"
    assert [timer.time_of(e) for e in done] == [4.0, 5.0, 6.0, 7.0], "the wait moved the schedule on"
    assert 3.0 in timer.sleeps
    assert api.error_counts[429] == 1


async def test_a_flood_wait_longer_than_the_limit_ends_the_run_as_failed(api_bot):
    api, bot = api_bot
    api.fail_next("editMessageText", 429, "Too Many Requests: retry after 120", retry_after=120)
    frames, total = paced([("In…", 4)])
    _, _, ends, message_id = await start(api, bot, frames, total, FakeTimer(api), max_wait=30)
    assert await ends.wait() == FAILED
    assert edits(api, CHAT, message_id) == []


async def test_a_deleted_message_ends_the_run(api_bot):
    api, bot = api_bot
    timer = FakeTimer(api, pause_at=2.5)
    frames, total = paced([("In…", 4), ("Out…", 4)])
    _, _, ends, message_id = await start(api, bot, frames, total, timer)
    await asyncio.wait_for(timer.paused.wait(), 5)
    api.messages.pop((CHAT, message_id))
    before = len(edits(api, CHAT, message_id))
    timer.resume()
    assert await ends.wait() == GONE
    assert len(edits(api, CHAT, message_id)) == before


async def test_a_blocked_bot_ends_the_run(api_bot):
    api, bot = api_bot
    timer = FakeTimer(api, pause_at=1.5)
    frames, total = paced([("In…", 4)])
    _, _, ends, _ = await start(api, bot, frames, total, timer)
    await asyncio.wait_for(timer.paused.wait(), 5)
    api.blocked_chats.add(CHAT)
    timer.resume()
    assert await ends.wait() == GONE


async def test_a_passing_error_skips_a_frame_and_many_in_a_row_end_the_run(api_bot):
    api, bot = api_bot
    api.fail_next("editMessageText", 502, "Bad Gateway")
    frames, total = paced([("In…", 4)])
    _, _, ends, message_id = await start(api, bot, frames, total, FakeTimer(api))
    assert await ends.wait() == FINISHED
    assert [e.text for e in edits(api, CHAT, message_id)] == [f.text for f in frames[2:]] + ["Well done."]

    api.fail_all("editMessageText")
    frames, total = paced([("In…", 9)])
    _, _, ends, _ = await start(api, bot, frames, total, FakeTimer(api), max_errors=3)
    assert await ends.wait() == FAILED
    assert api.call_counts["editMessageText"] == 4 + 3, "four before, then three failures in a row"


async def test_all_chats_together_share_a_budget_of_edits(api_bot):
    timer = FakeTimer()
    budget = _Budget(2.0, timer)
    assert budget.try_take() is True
    assert budget.try_take() is False, "a countdown tick does not fit: it is skipped"
    await budget.take()
    assert timer.t == 0.5, "a phase change waits for its turn"
    await budget.take()
    assert timer.t == 1.0


# -- stopping --------------------------------------------------------------------------------------------
async def test_stop_ends_the_run_at_once_and_quietly(api_bot):
    api, bot = api_bot
    timer = FakeTimer(api, pause_at=3.5)
    frames, total = paced([("In…", 4), ("Out…", 4)])
    runner_, _, ends, message_id = await start(api, bot, frames, total, timer)
    await asyncio.wait_for(timer.paused.wait(), 5)
    shown = len(edits(api, CHAT, message_id))
    assert runner_.running(CHAT)
    assert await runner_.stop(CHAT) is True
    assert not runner_.running(CHAT)
    timer.resume()
    await asyncio.sleep(0.05)
    assert len(edits(api, CHAT, message_id)) == shown, "no edit after Stop"
    assert ends.outcomes == [], "a run stopped from a handler is not reported"
    assert await runner_.stop(CHAT) is False, "stopping twice is harmless"


async def test_a_crisis_stops_the_run_without_another_edit_and_reports_it(api_bot):
    api, bot = api_bot
    timer = FakeTimer(api, pause_at=2.5)
    frames, total = paced([("In…", 4), ("Out…", 4)])
    runner_, _, ends, message_id = await start(api, bot, frames, total, timer)
    await asyncio.wait_for(timer.paused.wait(), 5)
    shown = len(edits(api, CHAT, message_id))
    calls = sum(api.call_counts.values())
    await stop_for_chat(SimpleNamespace(bot_data={"pacing": runner_}), CHAT)
    assert not runner_.running(CHAT), "stopped at once, before any network call"
    assert sum(api.call_counts.values()) == calls
    assert await ends.wait() == CRISIS
    timer.resume()
    await asyncio.sleep(0.05)
    assert len(edits(api, CHAT, message_id)) == shown


async def test_stop_for_chat_never_fails():
    await stop_for_chat(SimpleNamespace(bot_data={}), CHAT)
    await stop_for_chat(SimpleNamespace(), CHAT)  # no bot_data at all: logged, never raised
    await stop_for_chat(SimpleNamespace(bot_data={"pacing": PacingRunner(None)}), CHAT)  # type: ignore[arg-type]


async def test_a_new_run_in_the_same_chat_replaces_the_old_one(api_bot):
    api, bot = api_bot
    timer = FakeTimer(api, pause_at=1.5)
    frames, total = paced([("In…", 4)])
    runner_, _, first_ends, first_id = await start(api, bot, frames, total, timer)
    await asyncio.wait_for(timer.paused.wait(), 5)
    shown = len(edits(api, CHAT, first_id))
    _, _, second_ends, second_id = await start(api, bot, frames, total, timer, runner=runner_)
    timer.resume()
    assert await second_ends.wait() == FINISHED
    assert first_ends.outcomes == []
    assert len(edits(api, CHAT, first_id)) == shown
    assert edits(api, CHAT, second_id)[-1].text == "Well done."


async def test_a_patient_who_left_the_exercise_is_noticed_and_the_message_says_stopped(api_bot):
    api, bot = api_bot
    answers = iter([True, False])

    async def alive() -> bool:
        return next(answers)

    frames, total = paced([("In…", 4), ("Out…", 4)], rounds=2)
    _, _, ends, message_id = await start(
        api, bot, frames, total, FakeTimer(api), alive=alive, check_every=3, stopped_text="Stopped."
    )
    assert await ends.wait() == ABANDONED
    done = edits(api, CHAT, message_id)
    assert done[-1].text == "Stopped." and done[-1].reply_markup is None
    assert len(done) < len(frames)


async def test_shutdown_stops_every_run_without_reporting(api_bot):
    api, bot = api_bot
    timer = FakeTimer(api, pause_at=1.5)
    frames, total = paced([("In…", 4)])
    runner_, _, ends_a, _ = await start(api, bot, frames, total, timer)
    _, _, ends_b, _ = await start(api, bot, frames, total, timer, chat=CHAT + 1, runner=runner_)
    await asyncio.wait_for(timer.paused.wait(), 5)
    await runner_.shutdown()
    assert not runner_.running(CHAT) and not runner_.running(CHAT + 1)
    assert ends_a.outcomes == [] and ends_b.outcomes == []


# -- through the application -----------------------------------------------------------------------------
async def test_a_crisis_message_in_the_middle_of_breathing_stops_it_and_gets_the_crisis_reply(harness):
    h = harness
    await h.onboard()
    timer = instant(h, pause_at=10)
    message = await breathing(h)
    await asyncio.wait_for(timer.paused.wait(), 5)
    h.send(CRISIS_TEXT)
    crisis = await sent(h, "crisis.crisis_body")
    await until_quiet(h)
    timer.resume()
    await asyncio.sleep(0.05)
    later = [e for e in edits(h.api, h.chat_id, message.message_id) if e.index > crisis.index]
    assert later == [], "no edit of the exercise after the crisis reply"
    assert not runner(h).running(h.chat_id)
    uses, state, _ = await stored(h)
    assert state is None, "the coping flow ended: the crisis reply has the last word"
    (use,) = uses
    assert use.tool == "breath_box" and use.finished is False and use.ended_at is not None
    assert not any(h.matches(r.text or "", "coping.rate_after") for r in h.api.sent_to(h.chat_id))


async def test_the_stop_button_stops_at_once_and_asks_for_the_rating(harness):
    h = harness
    await h.onboard()
    timer = instant(h, pause_at=7)
    message = await breathing(h, score=8)
    await asyncio.wait_for(timer.paused.wait(), 5)
    h.press(message, "Stop")
    rating = await sent(h, "coping.rate_after")
    stopped = [
        e
        for e in edits(h.api, h.chat_id, message.message_id)
        if h.matches(e.text or "", "coping.pace_stopped")
    ]
    assert stopped and stopped[-1].reply_markup is None
    timer.resume()
    h.press(rating, "6")
    await sent(h, "coping.after_high")
    uses, state, _ = await stored(h)
    assert (uses[0].before, uses[0].after, uses[0].finished) == (8, 6, False)
    assert state is not None and state.step == "after"
    assert not any(e.index > rating.index for e in edits(h.api, h.chat_id, message.message_id))


async def test_a_harmless_message_mid_exercise_gets_a_pointer_and_the_exercise_goes_on(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    timer = instant(h, pause_at=5)
    await breathing(h)
    await asyncio.wait_for(timer.paused.wait(), 5)
    h.send("this is hard")
    await sent(h, "coping.running_hint")
    timer.resume()
    after = await sent(h, "coping.rate_after")
    assert after is not None
    uses, _, _ = await stored(h)
    assert uses[0].finished is True


async def test_cancel_mid_exercise_stops_the_pacing_too(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    timer = instant(h, pause_at=5)
    message = await breathing(h, length="8 rounds")
    await asyncio.wait_for(timer.paused.wait(), 5)
    h.send("/cancel")
    await sent(h, "common.cancelled")
    await h.settle()
    timer.resume()
    await until_quiet(h)
    done = edits(h.api, h.chat_id, message.message_id)
    assert h.matches(done[-1].text or "", "coping.pace_stopped") and done[-1].reply_markup is None
    assert timer.t < 5 + 10, "noticed within a few seconds of exercise time"
    uses, state, _ = await stored(h)
    assert state is None and uses[0].finished is False and uses[0].ended_at is not None


async def test_craving_again_mid_exercise_stops_it_and_starts_a_new_visit(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    timer = instant(h, pause_at=5)
    message = await breathing(h, score=9)
    await asyncio.wait_for(timer.paused.wait(), 5)
    h.send("/craving")
    await sent(h, "coping.rate_before")
    assert not runner(h).running(h.chat_id)
    done = edits(h.api, h.chat_id, message.message_id)
    assert h.matches(done[-1].text or "", "coping.pace_stopped") and done[-1].reply_markup is None
    timer.resume()
    uses, state, _ = await stored(h)
    assert uses[0].finished is False and uses[0].ended_at is not None
    assert state.step == "rate_before" and state.data["tried"] == []
