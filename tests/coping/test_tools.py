"""The coping tools through the real application: /craving, each tool, the rating after, still-high help,
the patient's reasons and support people, the care-team flag, restarts, bad input and the export."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json

from sqlalchemy import select

from bot.coping.exercises import ExerciseBook
from bot.coping.tools.ideas import period
from bot.db.models import CopingSession, Flag, Patient
from tests.coping.fakes import edits
from tests.coping.journeys import (
    CRISIS,
    breathing,
    craving,
    instant,
    open_tool,
    runner,
    sent,
    stored,
)
from tests.harness import Harness


def labels(h: Harness, record) -> list[str]:
    return [label for label, _ in h.buttons(record)]


async def patient_id(h: Harness) -> int:
    async with h.services.db.transaction() as session:
        patient = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        assert patient is not None
        return patient.id


async def add_history(h: Harness, *rows: tuple[str, int | None, int | None, bool]) -> None:
    pid, now = await patient_id(h), h.clock.now()
    async with h.services.db.transaction() as session:
        for i, (tool, before, after, finished) in enumerate(rows):
            started = now - dt.timedelta(days=1, minutes=i)
            session.add(
                CopingSession(
                    patient_id=pid,
                    tool=tool,
                    before=before,
                    after=after,
                    started_at=started,
                    ended_at=started + dt.timedelta(minutes=3),
                    finished=finished,
                )
            )


# -- the whole journey ------------------------------------------------------------------------------------
async def test_one_breathing_exercise_to_the_end_then_the_rating(harness):
    h = harness
    await h.onboard()
    timer = instant(h, pause_at=60)
    message = await breathing(h, "Box", "4 rounds", score=8)
    assert labels(h, message) == ["⏹ Stop"]
    await asyncio.wait_for(timer.paused.wait(), 5)
    h.clock.advance(seconds=67)  # the patient's clock moves on as the exercise is paced
    timer.resume()
    rating = await sent(h, "coping.rate_after")
    done = edits(h.api, h.chat_id, message.message_id)
    assert len(done) == 4 * 16 + 1, "one edit per second of four rounds, then the end"
    assert h.matches(done[0].text, "coping.pace_breath") and done[0].text.startswith(
        "Box breathing · round 1 of 4"
    )
    assert "Breathe in through your nose… 4" in done[0].text and timer.time_of(done[0]) == 3.0
    assert "Hold… 4… 3… 2… 1" in done[-2].text and "round 4 of 4" in done[-2].text
    assert h.matches(done[-1].text, "coping.pace_breath_done") and done[-1].reply_markup is None
    assert timer.time_of(done[-1]) == 67.0
    h.press(rating, "3")
    after = await sent(h, "coping.after_lower", before=8, after=3)
    assert labels(h, after) == ["Try another tool", "I'm done"]
    h.press(after, "I'm done")
    await sent(h, "coping.finished")
    uses, state, _ = await stored(h)
    (use,) = uses
    assert (use.tool, use.before, use.after, use.finished) == ("breath_box", 8, 3, True)
    assert use.ended_at - use.started_at == dt.timedelta(seconds=67)
    assert state is None


async def test_the_menu_offers_what_helped_this_patient_most_first(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await add_history(
        h,
        ("tape", 8, 2, True),
        ("tape", 9, 3, True),
        ("ideas", 7, 4, True),
        ("breath_sigh", 7, 7, True),
        ("grounding", 6, 6, False),
    )
    h.app.bot_data["coping"].rng.seed(1)
    menu = await craving(h, 5)
    first_three = labels(h, menu)[:3]
    assert first_three[:2] == ["⏩ Play the tape forward", "🚶 Distraction and movement"]
    assert "🫁 Paced breathing" not in first_three, "breathing did not help this patient"
    assert labels(h, menu)[3:] == ["Show all", "✖ Close"], "no extra 'reach out' below the threshold"


async def test_a_strong_craving_also_offers_a_person_and_show_all_lists_everything(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    menu = await craving(h, 9)
    assert "🤝 Reach out to someone" in labels(h, menu)
    h.press(menu, "Show all")
    every = await sent(h, "coping.all_tools")
    assert labels(h, every) == [
        "🫁 Paced breathing",
        "🖐 5-4-3-2-1 grounding",
        "🎧 Urge surfing",
        "🎧 Short meditation",
        "🎧 Body scan",
        "⏩ Play the tape forward",
        "🚶 Distraction and movement",
        "💚 My reasons",
        "🤝 Reach out to someone",
        "⬅️ Back",
        "✖ Close",
    ]
    h.press(every, "Back")
    await sent(h, "coping.menu_high")


async def test_still_high_after_a_tool_offers_another_tool_reasons_or_a_person(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await open_tool(h, "Distraction", score=8)
    ideas = await sent(h, "coping.ideas_then")
    h.press(ideas, "I tried one")
    h.press(await sent(h, "coping.rate_after"), "7")
    after = await sent(h, "coping.after_high", after=7)
    assert labels(h, after) == ["Try another tool", "💚 My reasons", "🤝 Reach out to someone", "I'm done"]
    h.press(after, "Try another tool")
    again = await sent(h, "coping.menu_again")
    assert "🚶 Distraction and movement" not in labels(h, again)[:3], "something new is offered first"
    uses, _, _ = await stored(h)
    assert (uses[0].tool, uses[0].before, uses[0].after) == ("ideas", 8, 7)


async def test_the_next_tool_starts_from_the_last_rating_and_a_skipped_rating_still_offers_help(
    sqlite_harness,
):
    h = sqlite_harness
    await h.onboard()
    await open_tool(h, "Distraction", score=9)
    h.press(await sent(h, "coping.ideas_then"), "I tried one")
    h.press(await sent(h, "coping.rate_after"), "5")
    h.press(await sent(h, "coping.after_lower"), "Try another tool")
    h.press(await sent(h, "coping.menu_again"), "Show all")
    h.press(await sent(h, "coping.all_tools"), "Distraction")
    h.press(await sent(h, "coping.ideas_then"), "I tried one")
    h.press(await sent(h, "coping.rate_after"), "Skip")
    after = await sent(h, "coping.after_skipped")
    assert "🤝 Reach out to someone" in labels(h, after), "not knowing, the bot offers more help"
    uses, _, _ = await stored(h)
    assert [(u.before, u.after) for u in uses] == [(9, 5), (5, None)]


# -- the tools --------------------------------------------------------------------------------------------
async def test_grounding_takes_typed_answers_or_done_and_stores_none_of_them(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await open_tool(h, "grounding")
    first = await sent(h, "coping.ground_progress", number=1, total=5)
    assert "Name five things you can see" in first.text
    h.send("the window, a mug, my shoes")
    await sent(h, "coping.ground_more", left=2)
    h.send("a lamp\na plant")
    second = await sent(h, "coping.ground_progress", number=2, total=5)
    for number in range(3, 6):
        h.press(second, "Done")
        second = await sent(h, "coping.ground_progress", number=number, total=5)
    h.press(second, "Done")
    await sent(h, "coping.ground_done")
    await sent(h, "coping.rate_after")
    uses, state, items = await stored(h)
    assert uses[0].tool == "grounding" and uses[0].finished is True
    assert items == [] and "mug" not in json.dumps(state.data)


async def test_urge_surfing_checks_in_on_the_wave_as_it_rises_and_falls(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    instant(h)
    await open_tool(h, "Urge surfing", score=6)
    check = await sent(h, "coping.check_question")
    h.press(check, "8")
    await sent(h, "coping.check_higher")
    check = await sent(h, "coping.check_question")
    h.press(check, "4")
    await sent(h, "coping.check_lower")
    rating = await sent(h, "coping.rate_after")
    paced = [
        r
        for r in h.api.sent_to(h.chat_id)
        if r.method == "sendMessage" and "Urge surfing ·" in (r.text or "")
    ]
    assert len(paced) == 3, "three paced segments, each in its own message"
    h.press(rating, "3")
    await sent(h, "coping.after_lower", before=6, after=3)
    uses, _, _ = await stored(h)
    assert (uses[0].tool, uses[0].finished) == ("urge_surf", True)


async def test_a_meditation_paces_its_steps_over_the_chosen_minutes(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    timer = instant(h)
    await open_tool(h, "Short meditation")
    length = await sent(h, "coping.guided_length")
    assert labels(h, length)[:3] == ["3 min", "5 min", "10 min"]
    h.press(length, "3 min")
    message = await sent(h, "coping.pace_guided")
    assert message.text.startswith("Short meditation · 1/7")
    await sent(h, "coping.rate_after")
    done = edits(h.api, h.chat_id, message.message_id)
    assert [timer.time_of(e) for e in done] == [15.0, 45.0, 75.0, 105.0, 135.0, 165.0, 180.0]
    assert h.matches(done[-1].text, "coping.pace_guided_done", title="Short meditation")


async def test_play_the_tape_forward_ends_with_the_patients_own_reasons(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    h.send("/reasons")
    await sent(h, "coping.reasons_first")
    h.send("My daughter")
    h.press(await sent(h, "coping.reasons_added"), "Done")
    h.press(await sent(h, "coping.reasons_header"), "Done")
    await sent(h, "coping.reasons_saved")
    await open_tool(h, "Play the tape")
    for _ in range(4):
        step = await h.api.wait_for(lambda r: r.method == "sendMessage" and "Next" in str(r.reply_markup), 5)
        h.press(step, "Next")
    end = await h.api.wait_for(lambda r: r.method == "sendMessage" and "My daughter" in (r.text or ""), 5)
    h.press(end, "I'm done")
    await sent(h, "coping.rate_after")
    uses, _, _ = await stored(h)
    assert (uses[0].tool, uses[0].finished) == ("tape", True)


async def test_the_tape_without_reasons_offers_to_write_them(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await open_tool(h, "Play the tape")
    for _ in range(4):
        step = await h.api.wait_for(lambda r: r.method == "sendMessage" and "Next" in str(r.reply_markup), 5)
        h.press(step, "Next")
    end = await h.api.wait_for(
        lambda r: r.method == "sendMessage" and "Add my reasons" in str(r.reply_markup), 5
    )
    h.press(end, "Add my reasons")
    await sent(h, "coping.reasons_first")
    h.send("To be there for my friends")
    h.press(await sent(h, "coping.reasons_added"), "Done")
    listed = await sent(h, "coping.reasons_header")
    assert "To be there for my friends" in listed.text
    h.press(listed, "Done")
    await sent(h, "coping.rate_after")
    uses, _, items = await stored(h)
    assert [u.tool for u in uses] == ["tape"] and [i.text for i in items] == ["To be there for my friends"]


async def test_reasons_are_collected_on_first_use_then_read_added_and_removed(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await open_tool(h, "My reasons")
    await sent(h, "coping.reasons_first")
    h.send("My daughter")
    await sent(h, "coping.reasons_added")
    h.send("My health " + "x" * 400)
    h.press(await sent(h, "coping.reasons_added"), "Done")
    listed = await sent(h, "coping.reasons_read")
    assert "• My daughter" in listed.text
    h.press(listed, "Remove")
    pick = await sent(h, "coping.reasons_pick_remove")
    h.press(pick, "🗑 1")
    await sent(h, "coping.removed")
    listed = await sent(h, "coping.reasons_read")
    assert "My daughter" not in listed.text
    h.press(listed, "Done")
    await sent(h, "coping.rate_after")
    _, _, items = await stored(h)
    assert len(items) == 1 and items[0].kind == "reason" and len(items[0].text) == 300
    assert items[0].text.endswith("…")


async def test_reasons_on_their_own_with_the_reasons_command(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    h.send("/reasons")
    await sent(h, "coping.reasons_first")
    h.send("I want my life back")
    h.press(await sent(h, "coping.reasons_added"), "Done")
    listed = await sent(h, "coping.reasons_manage")
    h.press(listed, "Add")
    await sent(h, "coping.reasons_add")
    h.send("My dog")
    h.press(await sent(h, "coping.reasons_added"), "Done")
    h.press(await sent(h, "coping.reasons_manage"), "Done")
    await sent(h, "coping.reasons_saved")
    uses, state, items = await stored(h)
    assert uses == [], "no craving was rated: nothing is recorded as a coping session"
    assert state is None and [i.text for i in items] == ["I want my life back", "My dog"]


async def test_a_reason_in_crisis_is_kept_once_and_answered_even_when_the_first_reply_failed(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    h.send("/reasons")
    await sent(h, "coping.reasons_first")
    h.api.fail_next("sendMessage", 502, "Bad Gateway")  # the gate's crisis reply cannot be sent
    h.send(CRISIS)
    reply = await sent(h, "crisis.crisis_body", timeout=10)
    assert reply is not None
    await h.settle(timeout=10)
    assert not any(h.matches(t, "coping.reasons_added") for t in h.sent_texts())
    assert len([t for t in h.sent_texts() if h.matches(t, "crisis.crisis_body")]) == 1
    _, _, items = await stored(h)
    assert [i.text for i in items] == [CRISIS], "the failed attempt stored nothing; the retry kept it once"


async def test_reach_out_keeps_support_people_and_asks_the_care_team_in_one_tap(sqlite_harness):
    h = sqlite_harness
    await h.onboard(country="Ireland")
    await open_tool(h, "Reach out", score=8)
    empty = await sent(h, "coping.reach_none")
    assert "112" in empty.text, "the emergency number of the patient's country"
    h.press(empty, "Add a person")
    await sent(h, "coping.reach_name")
    h.send("Mum")
    await sent(h, "coping.reach_contact", name="Mum")
    h.send("087 123 4567")
    await sent(h, "coping.reach_saved", name="Mum")
    listed = await sent(h, "coping.reach_header")
    assert "• Mum: 087 123 4567" in listed.text
    h.press(listed, "Ask my care team")
    await sent(h, "coping.team_asked", emergency="112")
    post = await h.staff_post("staff.flag")
    assert "CONCERN" in post.text and "8/10" in post.text
    listed = await sent(h, "coping.team_already_asked")
    assert "Ask my care team" not in str(listed.reply_markup), "asked once; no second flag by accident"
    h.press(listed, "Done")
    await sent(h, "coping.rate_after")
    await h.settle()
    async with h.services.db.transaction() as session:
        (flag,) = (await session.scalars(select(Flag))).all()
    assert (flag.source, flag.priority, flag.status) == ("person", 1, "new")
    _, _, items = await stored(h)
    assert [(i.kind, i.text, i.contact) for i in items] == [("supporter", "Mum", "087 123 4567")]


async def test_reach_out_shows_the_clinic_contact_and_a_person_can_be_added_without_contact(
    sqlite_url, tmp_path
):
    h = Harness(sqlite_url, tmp_path)
    clinic = dataclasses.replace(h.config.clinic, contact="01 555 0100 (Mon-Fri 9-17)")
    h.config = dataclasses.replace(h.config, clinic=clinic)
    await h.start()
    try:
        await h.onboard()
        await open_tool(h, "Reach out")
        h.press(await sent(h, "coping.reach_none"), "Add a person")
        h.send("Sam from my group")
        h.press(await sent(h, "coping.reach_contact"), "Skip")
        listed = await sent(h, "coping.reach_header")
        assert "• Sam from my group" in listed.text and "01 555 0100 (Mon-Fri 9-17)" in listed.text
        h.press(listed, "Remove")
        h.press(await sent(h, "coping.reach_pick_remove"), "Sam")
        await sent(h, "coping.removed")
        await sent(h, "coping.reach_none")
    finally:
        await h.stop()


async def test_ideas_are_chosen_for_the_patients_local_time_of_day(sqlite_harness):
    h = sqlite_harness
    await h.onboard(country="Ireland")  # Europe/Dublin: UTC+0 in November
    book = ExerciseBook.load(h.config.content_dir).get("en")
    for hour, expected in ((10, "morning"), (15, "afternoon"), (19, "evening"), (23, "night"), (3, "night")):
        h.clock._now = h.clock.now().replace(hour=hour)
        await open_tool(h, "Distraction")
        shown = await sent(h, "coping.ideas_then")
        ideas = [line[2:] for line in shown.text.splitlines() if line.startswith("• ")]
        assert len(ideas) == 4 and set(ideas) <= set(book.ideas.periods[expected]), (hour, ideas)
        h.press(shown, "Close")
        await sent(h, "coping.closed")
    assert (
        period(dt.datetime(2026, 1, 1, 4, 59)) == "night" and period(dt.datetime(2026, 1, 1, 5)) == "morning"
    )


# -- ways in and out ---------------------------------------------------------------------------------------
async def test_the_button_other_features_show_opens_the_tools(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    last = h.api.sent_to(h.chat_id)[-1].message_id
    h.press_data(last, "cr:start")
    await sent(h, "coping.rate_before")
    h.press_data(last, "cr:start:8")
    await sent(h, "coping.menu_high")
    h.press_data(last, "cr:start:11")
    refused = await h.api.wait_for(lambda r: r.method == "answerCallbackQuery" and r.text is not None, 5)
    assert h.matches(refused.text, "common.unknown_button"), "a score above 10 is not a way in"
    _, state, _ = await stored(h)
    assert state.step == "menu" and state.data["before"] == 8


async def test_without_consent_the_tools_ask_for_it_and_store_nothing(sqlite_harness):
    h = sqlite_harness
    h.send("/craving")
    await sent(h, "onboarding.consent_needed")
    h.send("/reasons")
    await sent(h, "onboarding.consent_needed")


async def test_close_at_any_step_and_craving_again_starts_afresh(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    menu = await craving(h, 7)
    h.press(menu, "Close")
    await sent(h, "coping.closed")
    await open_tool(h, "grounding")
    step = await sent(h, "coping.ground_progress", number=1, total=5)
    h.send("/craving")
    await sent(h, "coping.rate_before")
    h.press(step, "Done")
    stale = await h.api.wait_for(lambda r: r.method == "answerCallbackQuery" and r.text is not None, 5)
    assert h.matches(stale.text, "common.stale_button")
    await sent(h, "coping.rate_before")
    uses, state, _ = await stored(h)
    assert uses[0].finished is False and uses[0].ended_at is not None, "the abandoned use is closed"
    assert state.step == "rate_before"


async def test_bad_input_is_refused_and_the_step_shown_again(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    h.send("/craving")
    rate = await sent(h, "coping.rate_before")
    h.send("very strong")
    await sent(h, "coping.hint_number")
    version = h.buttons(rate)[0][1].split(":")[1]
    for forged in ("rate:11", "rate:-1", "rate:x", "tool:nope", "pick:breath_box"):
        h.press_data(rate.message_id, f"fl:{version}:{forged}")
        await sent(h, "coping.rate_before")
    h.send("7/10")
    menu = await sent(h, "coping.menu_high")
    h.send("grounding please")
    await sent(h, "coping.hint_buttons")
    await sent(h, "coping.menu_high")
    version = h.buttons(menu)[0][1].split(":")[1]
    h.press_data(menu.message_id, f"fl:{version}:tool:../../etc")
    await h.settle()
    h.press_data(menu.message_id, f"fl:{version}:tool:reach_outx")
    await sent(h, "coping.menu_high")
    uses, state, _ = await stored(h)
    assert uses == [] and state.step == "menu" and state.data["before"] == 7


async def test_a_removal_for_someone_elses_reason_changes_nothing(sqlite_harness):
    h = sqlite_harness
    await h.onboard(chat_id=6001)
    h.send("/reasons", chat_id=6001)
    await h.api.wait_for(lambda r: r.chat_id == 6001 and h.matches(r.text or "", "coping.reasons_first"), 5)
    h.send("Not yours", chat_id=6001)
    await h.api.wait_for(lambda r: r.chat_id == 6001 and h.matches(r.text or "", "coping.reasons_added"), 5)
    await h.onboard()
    h.send("/reasons")
    await sent(h, "coping.reasons_first")
    h.send("Mine")
    h.press(await sent(h, "coping.reasons_added"), "Done")
    listed = await sent(h, "coping.reasons_manage")
    h.press(listed, "Remove")
    pick = await sent(h, "coping.reasons_pick_remove")
    version = h.buttons(pick)[0][1].split(":")[1]
    h.press_data(pick.message_id, f"fl:{version}:del:1")  # item 1 is the other patient's
    await h.settle()
    async with h.services.db.transaction() as session:
        from bot.db.models import PersonalItem

        texts = sorted(i.text for i in (await session.scalars(select(PersonalItem))).all())
    assert texts == ["Mine", "Not yours"]


# -- restarts --------------------------------------------------------------------------------------------
async def test_an_exercise_interrupted_by_a_restart_is_offered_again(sqlite_url, tmp_path):
    first = Harness(sqlite_url, tmp_path)
    await first.start()
    try:
        await first.onboard()
        timer = instant(first, pause_at=10)
        await breathing(first, score=7)
        await asyncio.wait_for(timer.paused.wait(), 5)
        await first.settle()
    finally:
        await first.stop()
    second = Harness(sqlite_url, tmp_path)
    await second.start()
    try:
        h = second
        instant(h)
        notice = await sent(h, "coping.interrupted")
        assert labels(h, notice) == ["▶️ Start again", "Rate my craving now", "✖ Close"]
        h.press(notice, "Start again")
        await sent(h, "coping.pace_ready")
        h.press(await sent(h, "coping.rate_after"), "4")
        await sent(h, "coping.after_lower", before=7, after=4)
        uses, _, _ = await stored(h)
        assert [(u.tool, u.finished, u.after) for u in uses] == [
            ("breath_box", False, None),
            ("breath_box", True, 4),
        ]
        assert uses[0].ended_at is not None
    finally:
        await second.stop()


async def test_when_the_restart_notice_could_not_be_sent_the_next_message_gets_it(sqlite_url, tmp_path):
    first = Harness(sqlite_url, tmp_path)
    await first.start()
    try:
        await first.onboard()
        timer = instant(first, pause_at=10)
        await breathing(first)
        await asyncio.wait_for(timer.paused.wait(), 5)
        await first.settle()
    finally:
        await first.stop()
    second = Harness(sqlite_url, tmp_path)
    second.api.fail_all("sendMessage")
    await second.start()
    try:
        h = second
        await asyncio.sleep(0.1)
        h.api.fail_all("sendMessage", enabled=False)
        h.send("hello?")
        notice = await sent(h, "coping.interrupted")
        h.press(notice, "Rate my craving now")
        await sent(h, "coping.rate_after")
    finally:
        await second.stop()


async def test_the_export_has_the_coping_sessions_and_the_patients_words(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await open_tool(h, "My reasons", score=6)
    await sent(h, "coping.reasons_first")
    h.send("For my kids")
    h.press(await sent(h, "coping.reasons_added"), "Done")
    h.press(await sent(h, "coping.reasons_read"), "Done")
    h.press(await sent(h, "coping.rate_after"), "2")
    await sent(h, "coping.after_lower")
    h.send("/export")
    record = await h.api.wait_for(lambda r: r.method == "sendDocument", 5)
    (upload,) = record.files.values()
    document = json.loads(upload.data)
    assert document["coping_sessions"][0] | {"started_at": None, "ended_at": None} == {
        "tool": "reasons",
        "craving_before": 6,
        "craving_after": 2,
        "started_at": None,
        "ended_at": None,
        "finished": True,
    }
    assert document["reasons_and_support_people"][0]["text"] == "For my kids"


async def test_pacing_stops_when_the_bot_stops(sqlite_url, tmp_path):
    h = Harness(sqlite_url, tmp_path)
    await h.start()
    try:
        await h.onboard()
        timer = instant(h, pause_at=5)
        message = await breathing(h)
        await asyncio.wait_for(timer.paused.wait(), 5)
        assert runner(h).running(h.chat_id)
    finally:
        await h.stop()
    assert not runner(h).running(h.chat_id)
    shown = len(edits(h.api, h.chat_id, message.message_id))
    timer.resume()
    await asyncio.sleep(0.05)
    assert len(edits(h.api, h.chat_id, message.message_id)) == shown
