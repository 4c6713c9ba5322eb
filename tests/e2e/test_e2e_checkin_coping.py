"""The real bot process: a daily check-in and /progress with its chart; a breathing exercise paced live
to its end and the craving rated after it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Patient, buttons

pytestmark = pytest.mark.e2e
PNG = b"\x89PNG\r\n\x1a\n"


async def onboard(me: Patient) -> None:
    me.send("/start")
    await me.answer("onboarding.welcome")
    me.press(await me.answer("onboarding.privacy_notice"), "I agree")
    await me.past_language_step()
    me.send("Ireland")
    me.press(await me.answer("onboarding.step_timezone"), "Dublin")
    me.press(await me.answer("onboarding.step_substance"), "Ketamine")
    me.press(await me.answer("onboarding.step_quit"), "Today")
    me.press(await me.answer("onboarding.step_checkin"), "20:00")
    me.press(await me.answer("onboarding.summary"), "All good")
    await me.answer("onboarding.finished")


async def test_a_checkin_then_progress_with_the_chart(api, bot, content):
    await bot.start()
    me = Patient(api, content, chat_id=7101)
    await onboard(me)

    me.send("/checkin")
    me.press(await me.answer("checkin.ask.mood"), "6")
    me.press(await me.answer("checkin.ask.craving"), "3")
    me.press(await me.answer("checkin.ask.use"), "No")
    me.press(await me.answer("checkin.ask.sleep"), "So-so")
    me.press(await me.answer("checkin.ask.hours"), "7")
    symptoms = await me.answer("checkin.ask.symptoms")
    me.press(symptoms, "Headache")
    symptoms = await me.answer("checkin.ask.symptoms")  # the same message, edited with the tick
    me.press(symptoms, "Done")
    me.press(await me.answer("checkin.ask.note"), "Skip")
    reply = await me.answer("checkin.reply.thanks")
    assert me.matches(reply.text or "", "checkin.reply.day", day=1)

    me.send("/progress")
    figures = await me.replies_until("progress.report.title")
    assert "1" in (figures.text or "")
    chart = await me.reply()
    assert chart.method == "sendPhoto"
    (upload,) = chart.files.values()
    assert upload.data.startswith(PNG) and len(upload.data) > 5_000

    await bot.wait_store_empty()
    assert bot.query("SELECT mood, craving, used, completed_at IS NOT NULL FROM checkins") == [(6, 3, 0, 1)]


@pytest.fixture
def short_breathing(tmp_path: Path, bot) -> None:
    """The shipped content with a one-round physiological sigh (about 9 s instead of 27 s) offered:
    a clinic may set its own lengths; the checker accepts them in every language alike."""
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    for lang in ("en", "es"):
        path = folder / lang / "_exercises.toml"
        text = path.read_text(encoding="utf-8")
        start = text.index("[breathing.sigh]")
        end = text.index("cycles = [3, 6]", start)
        path.write_text(
            text[:end] + "cycles = [1, 6]" + text[end + len("cycles = [3, 6]") :], encoding="utf-8"
        )
    bot.env["CONTENT_DIR"] = str(folder)


async def test_a_breathing_exercise_runs_to_its_end_and_the_craving_is_rated_after(
    api, bot, content, short_breathing
):
    await bot.start()
    me = Patient(api, content, chat_id=7102)
    await onboard(me)

    me.send("/craving")
    me.press(await me.answer("coping.rate_before"), "8")
    me.press(await me.answer("coping.menu_high"), "Show all")
    me.press(await me.answer("coping.all_tools"), "Paced breathing")
    me.press(await me.answer("coping.breath_pick"), "Physiological sigh")
    length = await me.answer("coping.breath_length")
    me.press(length, "1 round")
    await me.replies_until("coping.pace_ready")

    rated = None
    for _ in range(40):  # the paced message is edited as it goes, then the rating is asked
        record = await me.reply(timeout=15)
        if me.matches(record.text or "", "coping.rate_after"):
            rated = record
            break
    assert rated is not None, "the exercise did not come to its end"
    edits = [r for r in api.sent_to(me.chat_id) if r.method == "editMessageText"]
    assert len(edits) >= 3  # in, a little more, out: one message, edited live
    assert {label for label, _ in buttons(rated)} >= {"0", "3", "10"}
    me.press(rated, "3")
    await me.replies_until("coping.after_lower", before=8, after=3)

    await bot.wait_store_empty()
    rows = bot.query("SELECT tool, before, after, finished, ended_at IS NOT NULL FROM coping_sessions")
    assert rows == [("breath_sigh", 8, 3, 1, 1)]
