"""The weekly measures through the real application: answers, scores, flags, the screener's crisis
reply, the weekly reminder, /cancel, Back, stale and forged buttons, typed answers and a restart."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.db.models import Flag, FlowState, Measure, Patient, Reminder, StaffPost
from bot.measures.schedule import plan_missing_weekly, plan_next_weekly, replan_weekly
from tests.harness import STAFF_CHAT, Harness

NOT_AT_ALL, SEVERAL, HALF, NEARLY = "Not at all", "Several days", "More than half", "Nearly every day"
ITEMS = ("interest", "down", "nervous", "worry", "harm")


# -- helpers -----------------------------------------------------------------------------------------
def is_question(h: Harness, record: Any, number: int) -> bool:
    item = h.services.content.text("en", f"measures.items.{ITEMS[number - 1]}")
    return h.matches(record.text or "", "measures.question", number=number, total=5, item=item)


async def expect_question(h: Harness, number: int) -> Any:
    """The next reply, which must be weekly question ``number``."""
    record = await h.reply()
    assert is_question(h, record, number), f"question {number} expected, got {record.text!r}"
    return record


async def open_weekly(h: Harness) -> Any:
    """/weekly: the introduction, then question 1."""
    h.send("/weekly")
    await h.answer("measures.intro", count=5)
    return await expect_question(h, 1)


async def answer_items(h: Harness, first: Any, *labels: str) -> Any:
    """Presses one answer per question, starting at ``first``; returns the last reply."""
    record = first
    for label in labels:
        h.press(record, label)
        record = await h.reply()
    return record


async def rows(h: Harness, model: Any, restarted: bool = False) -> list[Any]:
    """The table's rows once every update is handled (after a restart: none is left pending)."""
    if restarted:  # the new poller has not seen the first process's updates: settle() cannot count
        for _ in range(250):
            if await h.pending() == 0:
                break
            await asyncio.sleep(0.02)
    else:
        await h.settle()
    async with h.services.db.transaction() as session:
        order = model.patient_id if model is FlowState else model.id
        return list((await session.scalars(select(model).order_by(order))).all())


async def measures(h: Harness) -> dict[str, tuple[list[Any], int]]:
    return {m.kind: (m.answers, m.score) for m in await rows(h, Measure)}


async def staff_flags(h: Harness) -> list[str]:
    """Delivers the staff posts and returns the texts the staff group received."""
    await h.settle()
    await h.bot.sweeper.run_once()
    return [r.text or "" for r in h.api.sent_to(STAFF_CHAT)]


async def plan_weekly(h: Harness) -> None:
    """What start-up does (bot/reminders/dispatcher.py start): every patient gets a weekly reminder."""
    await h.settle()
    async with h.services.db.transaction() as session:
        await plan_missing_weekly(h.services, session)


async def weekly_reminders(h: Harness) -> list[Reminder]:
    return [r for r in await rows(h, Reminder) if r.kind == "weekly"]


# -- scores and flags --------------------------------------------------------------------------------
async def test_a_week_with_low_scores_is_stored_and_raises_no_flag(harness):
    h = harness
    await h.onboard()
    question = await open_weekly(h)
    assert h.matches(question.text, "measures.items.interest")
    labels = [label for label, _ in h.buttons(question)]
    assert labels == ["Not at all", "Several days", "More than half the days", "Nearly every day"]
    last = await answer_items(h, question, SEVERAL, SEVERAL, NOT_AT_ALL, SEVERAL)
    assert h.matches(last.text, "measures.harm_lead") and h.matches(last.text, "measures.items.harm")
    h.press(last, NOT_AT_ALL)
    await h.answer("measures.done")
    assert await measures(h) == {"phq2": ([1, 1], 2), "gad2": ([0, 1], 1), "phq9_9": ([0], 0)}
    assert await rows(h, Flag) == [] and await rows(h, FlowState) == []
    assert await staff_flags(h) == []


async def test_phq2_of_3_or_more_is_a_concern_flag_for_staff(harness):
    h = harness
    await h.onboard()
    last = await answer_items(h, await open_weekly(h), HALF, SEVERAL, NOT_AT_ALL, NOT_AT_ALL)
    h.press(last, NOT_AT_ALL)
    await h.answer("measures.done_shared")
    (flag,) = await rows(h, Flag)
    assert (flag.priority, flag.source, flag.status) == (1, "measure", "new")
    assert "PHQ-2 score 3 of 6" in flag.reason
    (post,) = await staff_flags(h)
    assert "CONCERN" in post and "weekly measure" in post and "PHQ-2 score 3" in post


async def test_phq2_and_gad2_both_positive_share_one_open_concern_flag(harness):
    h = harness
    await h.onboard()
    last = await answer_items(h, await open_weekly(h), NEARLY, NEARLY, HALF, SEVERAL)
    h.press(last, NOT_AT_ALL)
    await h.answer("measures.done_shared")
    assert await measures(h) == {"phq2": ([3, 3], 6), "gad2": ([2, 1], 3), "phq9_9": ([0], 0)}
    (flag,) = await rows(h, Flag)
    assert "PHQ-2 score 6" in flag.reason
    posts = await staff_flags(h)
    assert len(posts) == 2 and "PHQ-2 score 6" in posts[0]
    assert h.matches(posts[1], "measures.staff_update") and "GAD-2 score 3" in posts[1]


async def test_item_9_leads_to_the_screener_and_a_positive_one_to_the_crisis_reply(harness):
    h = harness
    await h.onboard(country="Ireland")
    last = await answer_items(h, await open_weekly(h), NOT_AT_ALL, SEVERAL, NOT_AT_ALL, NOT_AT_ALL)
    h.press(last, HALF)
    await h.answer("measures.screener_intro")
    q1 = await h.answer("measures.screener.wish_dead")
    assert [label for label, _ in h.buttons(q1)] == ["Yes", "No"], "no Back to item 9 once it is recorded"
    q2 = await answer_items(h, q1, "Yes")
    assert h.matches(q2.text, "measures.screener.thoughts")
    q3 = await answer_items(h, q2, "Yes")
    assert h.matches(q3.text, "measures.screener.method")
    q4 = await answer_items(h, q3, "No")
    assert h.matches(q4.text, "measures.screener.intent")
    h.press(q4, "Yes")  # intent: high risk, nothing later can change that; help comes at once
    reply = await h.reply()
    assert h.matches(reply.text, "crisis.screener_body"), "words that fit answers tapped to questions"
    assert not h.matches(reply.text, "crisis.crisis_body")
    assert "112" in reply.text and "116 123" in reply.text  # Ireland's emergency number, Samaritans
    assert [label for label, _ in h.buttons(reply)] == [
        "I'm safe right now",
        "I'm not safe",
        "Talk to a person",
    ]
    stored = await measures(h)
    assert stored["phq9_9"] == ([2], 2)
    assert stored["cssrs"] == ([1, 1, 0, 1, None, None, None], 3)
    concern, crisis = await rows(h, Flag)
    assert (concern.priority, concern.source) == (1, "measure") and "item 9" in concern.reason
    assert (crisis.priority, crisis.source) == (2, "measure") and "high risk" in crisis.reason
    assert "1 wish to be dead, 2 suicidal thoughts, 4 intent to act" in crisis.reason
    posts = await staff_flags(h)
    assert len(posts) == 2 and "CONCERN" in posts[0] and "CRISIS" in posts[1] and "high risk" in posts[1]
    assert await rows(h, FlowState) == []


async def test_a_negative_screener_closes_gently_and_item_9_stays_flagged(harness):
    h = harness
    await h.onboard()
    last = await answer_items(h, await open_weekly(h), NOT_AT_ALL, NOT_AT_ALL, NOT_AT_ALL, NOT_AT_ALL)
    h.press(last, SEVERAL)
    await h.answer("measures.screener_intro")
    q1 = await h.answer("measures.screener.wish_dead")
    q6 = await answer_items(h, q1, "No", "No")
    assert h.matches(q6.text, "measures.screener.behaviour"), "Q2 no skips to Q6"
    h.press(q6, "No")
    await h.answer("measures.screener_negative")
    assert (await measures(h))["cssrs"] == ([0, 0, None, None, None, 0, None], 0)
    (flag,) = await rows(h, Flag)
    assert flag.priority == 1 and "item 9" in flag.reason
    assert not [t for t in h.sent_texts() if h.matches(t, "crisis.crisis_body")]
    assert not [t for t in h.sent_texts() if h.matches(t, "crisis.screener_low_body")]


async def test_low_risk_screener_gets_the_crisis_reply_and_adds_to_the_concern_flag(harness):
    h = harness
    await h.onboard(country="United Kingdom")
    last = await answer_items(h, await open_weekly(h), NOT_AT_ALL, NOT_AT_ALL, NOT_AT_ALL, NOT_AT_ALL)
    h.press(last, NEARLY)
    q1 = await h.replies_until("measures.screener.wish_dead")
    h.press(await answer_items(h, q1, "Yes", "No"), "No")
    reply = await h.answer("crisis.screener_low_body")
    assert "999" in reply.text
    assert not h.matches(reply.text, "crisis.crisis_body"), "no 'glad you said this out loud' after taps"
    (flag,) = await rows(h, Flag)
    assert flag.priority == 1, "low risk is a concern: the item 9 flag already open takes the note"
    assert (await measures(h))["cssrs"][1] == 1
    posts = await staff_flags(h)
    assert len(posts) == 2 and "item 9" in posts[0] and "low risk" in posts[1], "staff see the result"


async def test_behaviour_in_the_past_3_months_is_high_and_longer_ago_moderate(harness):
    h = harness
    await h.onboard()
    for recent, level in (("Yes", 3), ("No", 2)):
        last = await answer_items(h, await open_weekly(h), NOT_AT_ALL, NOT_AT_ALL, NOT_AT_ALL, NOT_AT_ALL)
        h.press(last, SEVERAL)
        q1 = await h.replies_until("measures.screener.wish_dead")
        q6b = await answer_items(h, q1, "No", "No", "Yes")
        assert h.matches(q6b.text, "measures.screener.behaviour_recent")
        h.press(q6b, recent)
        await h.replies_until("crisis.screener_body")
        await h.answer("measures.screener_shared")  # saved, and a staff group exists to see the flag
        cssrs = [m for m in await rows(h, Measure) if m.kind == "cssrs"][-1]
        assert (cssrs.answers, cssrs.score) == ([0, 0, None, None, None, 1, int(recent == "Yes")], level)
    # Q6 "yes" already shows moderate risk: a crisis flag at once, in case the patient stops there.
    crisis = [f for f in await rows(h, Flag) if f.priority == 2]
    assert len(crisis) == 1 and "moderate risk so far" in crisis[0].reason
    # The final results reach the staff group as updates of the open flags (the second run's too).
    updates = [p for p in await staff_flags(h) if h.matches(p, "measures.staff_update")]
    assert ["high risk" in p for p in updates if "Suicide-risk screener:" in p] == [True, False]
    assert "moderate risk. Yes to: 6 suicidal behaviour (ever)." in updates[-1]


async def test_stopping_mid_screener_after_a_yes_to_method_still_raises_a_crisis_flag(harness):
    h = harness
    await h.onboard()
    last = await answer_items(h, await open_weekly(h), NOT_AT_ALL, NOT_AT_ALL, NOT_AT_ALL, NOT_AT_ALL)
    h.press(last, SEVERAL)
    q1 = await h.replies_until("measures.screener.wish_dead")
    q4 = await answer_items(h, q1, "Yes", "Yes", "Yes")
    assert h.matches(q4.text, "measures.screener.intent")
    h.send("/cancel")
    await h.answer("common.cancelled")
    priorities = sorted(f.priority for f in await rows(h, Flag))
    assert priorities == [1, 2]
    crisis = [f for f in await rows(h, Flag) if f.priority == 2][0]
    assert "not finished yet" in crisis.reason and "moderate" in crisis.reason
    assert "cssrs" not in await measures(h), "an unfinished screener is not a measure"


# -- the weekly reminder -----------------------------------------------------------------------------
async def test_the_weekly_reminder_comes_on_the_weekday_at_local_checkin_time_plus_30_once(harness):
    h = harness  # Saturday 21 November 2026, 10:00 UTC; the config's weekly day is Sunday
    await h.onboard(country="Ireland")  # Europe/Dublin (UTC+0 in November), check-in 20:00
    await plan_weekly(h)
    await plan_weekly(h)  # planning twice is harmless
    (reminder,) = await weekly_reminders(h)
    assert reminder.key == "weekly:2026-11-22" and reminder.status == "pending"
    assert reminder.due_at == dt.datetime(2026, 11, 22, 20, 30, tzinfo=dt.UTC)
    h.clock.advance(hours=34, minutes=29)  # Sunday 20:29
    await h.bot.dispatcher.run_once()
    assert not [t for t in h.sent_texts() if h.matches(t, "measures.reminder")]
    h.clock.advance(minutes=2)
    await h.bot.dispatcher.run_once()
    sent = await h.api.wait_for(
        lambda r: r.chat_id == h.chat_id and h.matches(r.text or "", "measures.reminder")
    )
    assert h.buttons(sent) == [("Start", "wk:start")]
    await h.bot.dispatcher.run_once()
    assert len([t for t in h.sent_texts() if h.matches(t, "measures.reminder")]) == 1
    done, following = await weekly_reminders(h)
    assert done.status == "sent" and following.key == "weekly:2026-11-29" and following.status == "pending"
    h.press(sent, "Start")
    await h.replies_until("measures.intro", count=5)  # the daily check-in reminders came too
    await expect_question(h, 1)
    (state,) = await rows(h, FlowState)
    assert state.flow == "measures" and state.data["source"] == "reminder"


async def test_the_weekly_day_comes_from_the_config_and_local_time_from_the_patient(harness):
    h = harness
    reminders = dataclasses.replace(h.services.config.reminders, weekly_day=2)  # Wednesday
    h.services.config = dataclasses.replace(h.services.config, reminders=reminders)
    await h.onboard(country="Japan")  # Asia/Tokyo, UTC+9, check-in 20:00
    await plan_weekly(h)
    (reminder,) = await weekly_reminders(h)
    assert reminder.key == "weekly:2026-11-25"
    assert reminder.due_at == dt.datetime(2026, 11, 25, 11, 30, tzinfo=dt.UTC)  # 20:30 in Tokyo


async def test_a_change_of_checkin_time_replans_and_a_recent_weekly_skips_the_reminder(harness):
    h = harness
    await h.onboard()
    await plan_weekly(h)
    async with h.services.db.transaction() as session:
        patient = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        patient.checkin_time = "08:00"
        await replan_weekly(h.services, session, patient)
    (reminder,) = await weekly_reminders(h)
    assert reminder.due_at == dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC)
    last = await answer_items(h, await open_weekly(h), NOT_AT_ALL, NOT_AT_ALL, NOT_AT_ALL, NOT_AT_ALL)
    h.press(last, NOT_AT_ALL)
    await h.answer("measures.done")
    h.clock.advance(hours=22, minutes=31)
    await h.bot.dispatcher.run_once()
    await h.settle()
    skipped, following = await weekly_reminders(h)
    assert skipped.status == "skipped" and following.key == "weekly:2026-11-29"
    assert not [t for t in h.sent_texts() if h.matches(t, "measures.reminder")]


async def test_a_pause_that_began_after_planning_skips_the_weekly_reminder(harness):
    h = harness
    await h.onboard()
    await plan_weekly(h)
    async with h.services.db.transaction() as session:
        patient = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        patient.reminders_paused_until = dt.date(2026, 11, 25)
    h.clock.advance(hours=34, minutes=31)
    await h.bot.dispatcher.run_once()
    await h.settle()
    skipped, following = await weekly_reminders(h)
    assert skipped.status == "skipped" and following.key == "weekly:2026-11-29"
    assert not [t for t in h.sent_texts() if h.matches(t, "measures.reminder")]


async def test_no_weekly_reminder_for_a_patient_who_is_not_set_up_or_inactive(harness):
    h = harness
    h.send("/start")
    h.press(await h.replies_until("onboarding.privacy_notice"), "I agree")
    await h.reply()
    await plan_weekly(h)
    assert await weekly_reminders(h) == []
    h.send("/weekly")
    await h.answer("measures.finish_setup")
    async with h.services.db.transaction() as session:
        patient = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        patient.onboarded_at, patient.checkin_time, patient.timezone = h.clock.now(), "20:00", "Europe/Dublin"
        patient.active = False
        await plan_next_weekly(h.services, session, patient)
    assert await weekly_reminders(h) == []


# -- /cancel, Back, stale and forged buttons, typed answers -----------------------------------------
async def test_cancel_mid_measure_keeps_what_was_completed_and_old_buttons_do_nothing(harness):
    h = harness
    await h.onboard()
    gad = await answer_items(h, await open_weekly(h), SEVERAL, HALF, NEARLY)
    assert h.matches(gad.text, "measures.items.worry")
    h.send("/cancel")
    await h.answer("common.cancelled")
    assert await measures(h) == {"phq2": ([1, 2], 3)}
    assert await rows(h, FlowState) == []
    mark = len(h.api.sent)
    h.press(gad, NOT_AT_ALL)
    answered = await h.api.wait_for(lambda r: r.method == "answerCallbackQuery", since=mark)
    assert h.matches(answered.params.get("text", ""), "common.unknown_button")
    assert await measures(h) == {"phq2": ([1, 2], 3)}
    h.send("/cancel")
    await h.answer("common.nothing_to_cancel")


async def test_a_stale_button_shows_the_current_question_and_counts_nothing(harness):
    h = harness
    await h.onboard()
    first = await open_weekly(h)
    second = await answer_items(h, first, SEVERAL)
    assert is_question(h, second, 2)
    mark = len(h.api.sent)
    h.press(first, NEARLY)  # the first question's button, pressed again
    answered = await h.api.wait_for(lambda r: r.method == "answerCallbackQuery", since=mark)
    assert h.matches(answered.params["text"], "common.stale_button")
    again = await expect_question(h, 2)
    h.press(again, NOT_AT_ALL)
    await expect_question(h, 3)
    assert (await rows(h, FlowState))[0].data["answers"] == {"phq2": {"interest": 1, "down": 0}}


async def test_forged_answers_are_refused_and_the_question_is_shown_again(harness):
    h = harness
    await h.onboard()
    question = await open_weekly(h)
    version = (await rows(h, FlowState))[0].version
    for data in (f"fl:{version}:answer:4", f"fl:{version}:answer:-1", f"fl:{version}:jump:cssrs"):
        h.press_data(question.message_id, data)
        await expect_question(h, 1)
    h.press_data(question.message_id, "wk:nope")
    await h.settle()
    state = (await rows(h, FlowState))[0]
    assert state.step == "phq2.interest" and state.data["answers"] == {}


async def test_back_goes_one_question_back_and_an_answer_given_again_updates_the_measure(harness):
    h = harness
    await h.onboard()
    first = await open_weekly(h)
    assert "Back" not in " ".join(label for label, _ in h.buttons(first))
    gad = await answer_items(h, first, NEARLY, NEARLY)
    assert (await measures(h))["phq2"] == ([3, 3], 6)
    h.press(gad, "Back")
    down = await expect_question(h, 2)
    assert h.matches(down.text, "measures.items.down")
    last = await answer_items(h, down, NOT_AT_ALL, NOT_AT_ALL, NOT_AT_ALL)
    h.press(last, NOT_AT_ALL)
    await h.answer("measures.done_shared")  # the first answers were already shared with staff
    assert await measures(h) == {"phq2": ([3, 0], 3), "gad2": ([0, 0], 0), "phq9_9": ([0], 0)}
    assert len([m for m in await rows(h, Measure) if m.kind == "phq2"]) == 1
    assert len(await staff_flags(h)) == 1, "answered again after Back: no second post for the same measure"


async def test_back_inside_the_screener_takes_the_other_branch(harness):
    h = harness
    await h.onboard()
    last = await answer_items(h, await open_weekly(h), NOT_AT_ALL, NOT_AT_ALL, NOT_AT_ALL, NOT_AT_ALL)
    h.press(last, SEVERAL)
    q1 = await h.replies_until("measures.screener.wish_dead")
    q3 = await answer_items(h, q1, "No", "Yes")
    assert h.matches(q3.text, "measures.screener.method")
    h.press(q3, "Back")
    q2 = await h.answer("measures.screener.thoughts")
    q6 = await answer_items(h, q2, "No")
    assert h.matches(q6.text, "measures.screener.behaviour")
    h.press(q6, "No")
    await h.answer("measures.screener_negative")
    assert (await measures(h))["cssrs"] == ([0, 0, None, None, None, 0, None], 0)


async def test_typed_answers_are_understood_and_anything_else_gets_a_hint(harness):
    h = harness
    await h.onboard()
    await open_weekly(h)
    h.send("2")
    await expect_question(h, 2)
    h.send("nearly every day")
    await expect_question(h, 3)
    h.send("banana")
    await h.answer("measures.hint_buttons")
    await expect_question(h, 3)
    for typed in ("0", "0"):
        h.send(typed)
        await h.reply()
    h.send("1")
    q1 = await h.replies_until("measures.screener.wish_dead")
    assert q1
    h.send("no")
    await h.answer("measures.screener.thoughts")
    h.send("No")
    await h.answer("measures.screener.behaviour")
    h.send("no.")
    await h.answer("measures.screener_negative")
    assert await measures(h) == {
        "phq2": ([2, 3], 5),
        "gad2": ([0, 0], 0),
        "phq9_9": ([1], 1),
        "cssrs": ([0, 0, None, None, None, 0, None], 0),
    }


async def test_a_risky_message_typed_mid_measure_gets_the_crisis_reply_first(harness):
    h = harness
    await h.onboard()
    await open_weekly(h)
    h.send("I want to kill myself")
    await h.answer("crisis.crisis_body")
    await h.answer("crisis.care_team_told")
    (flag,) = await rows(h, Flag)
    assert flag.source == "screener"
    h.send("/weekly")
    await expect_question(h, 1)  # the measures are still open, unchanged


async def test_weekly_needs_consent_first(harness):
    h = harness
    h.send("/weekly")
    await h.answer("onboarding.consent_needed")
    h.api.push_callback(h.chat_id, 999, "wk:start")
    await h.answer("onboarding.consent_needed")
    assert await rows(h, Patient) == []


async def test_a_step_this_version_does_not_know_carries_on_from_the_answers(harness):
    h = harness
    await h.onboard()
    await answer_items(h, await open_weekly(h), SEVERAL, SEVERAL)
    async with h.services.db.transaction() as session:
        state = (await session.scalars(select(FlowState))).one()
        state.step = "phq2.sleep"
    h.send("/weekly")
    await expect_question(h, 3)


# -- export, erase, restart --------------------------------------------------------------------------
async def test_measures_are_in_the_export_and_erased_with_the_patient(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    last = await answer_items(h, await open_weekly(h), SEVERAL, NOT_AT_ALL, NOT_AT_ALL, NOT_AT_ALL)
    h.press(last, NOT_AT_ALL)
    await h.answer("measures.done")
    h.send("/export")
    record = await h.reply()
    (upload,) = record.files.values()
    exported = json.loads(upload.data)["measures"]
    assert [(m["kind"], m["answers"], m["score"]) for m in exported] == [
        ("phq2", [1, 0], 1),
        ("gad2", [0, 0], 0),
        ("phq9_9", [0], 0),
    ]
    assert exported[0]["local_date"] == "2026-11-21"
    h.send("/delete")
    h.press(await h.answer("privacy.delete_confirm"), "Yes, erase")
    await h.answer("privacy.deleted")
    assert await rows(h, Measure) == []


async def test_a_restart_mid_measure_continues_where_it_stopped(sqlite_url: str, tmp_path: Path):
    first = Harness(sqlite_url, tmp_path)
    await first.start()
    try:
        await first.onboard()
        question = await answer_items(first, await open_weekly(first), HALF, HALF)
        assert first.matches(question.text, "measures.items.nervous")
        await first.settle()
    finally:
        await first.stop()
    second = Harness(sqlite_url, tmp_path, clock=first.clock)
    second.api = first.api  # the same Telegram, a new bot process
    await second.start()
    try:
        second.press(question, SEVERAL)
        await expect_question(second, 4)
        assert [(m.kind, m.answers) for m in await rows(second, Measure, restarted=True)] == [
            ("phq2", [2, 2])
        ]
        (flag,) = await rows(second, Flag, restarted=True)
        assert flag.priority == 1
    finally:
        await second.stop()


async def test_staff_posts_for_measure_flags_carry_no_patient_answers_beyond_the_scores(harness):
    h = harness
    await h.onboard()
    last = await answer_items(h, await open_weekly(h), NEARLY, NEARLY, NOT_AT_ALL, NOT_AT_ALL)
    h.press(last, NOT_AT_ALL)
    await h.answer("measures.done_shared")
    await staff_flags(h)
    async with h.services.db.transaction() as session:
        (post,) = (await session.scalars(select(StaffPost))).all()
        assert post.kind == "flag" and "Excerpt" not in post.body
