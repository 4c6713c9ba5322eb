"""The daily check-in through the real application: answers stored as given, one question at a time,
symptoms ticked on one message, Back, /cancel, a restart mid-way, stale and forged buttons, typed text,
a crisis typed as the note, a second check-in the same day, /export."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from bot.checkins.flow import red_flags, toggled
from bot.db.models import CheckIn, Flag, Slip
from bot.safety.review import Priority
from tests.checkins.helpers import (
    answer_until_symptoms,
    checkin,
    flow_state,
    open_checkin,
    stored,
    tap,
    tick,
)
from tests.harness import Harness

CRISIS = "I want to kill myself tonight"


# -- a whole check-in ----------------------------------------------------------------------------------
async def test_a_checkin_with_buttons_stores_every_answer(harness):
    h = harness
    await h.onboard(country="Ireland")
    reply = await checkin(
        h, mood=6, craving=3, sleep="so_so", hours=7, symptoms=("anxiety", "insomnia"), note="Went for a walk"
    )
    assert h.matches(reply.text, "checkin.reply.day", day=1)
    assert h.matches(reply.text, "checkin.trend.first")
    (row,) = await stored(h, CheckIn)
    assert (row.mood, row.craving, row.used, row.use_detail) == (6, 3, False, None)
    assert (row.sleep_quality, row.sleep_hours) == (1, 7)
    assert row.symptoms == ["anxiety", "insomnia"]
    assert row.note == "Went for a walk"  # decrypted on read; encrypted at rest
    assert row.source == "command" and row.local_date == dt.date(2026, 11, 21)
    assert row.completed_at == h.clock.now()
    assert await flow_state(h) is None
    assert await stored(h, Flag) == [] and await stored(h, Slip) == []


async def test_every_question_has_back_after_the_first_and_back_keeps_answers(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    first = await open_checkin(h)
    assert "back" not in {d.split(":")[2] for _, d in h.buttons(first)}
    tap(h, first, "pick", "5")
    craving = await h.answer("checkin.ask.craving")
    tap(h, craving, "back")
    mood = await h.answer("checkin.ask.mood")
    assert not h.matches(mood.text, "checkin.intro")
    tap(h, mood, "pick", "8")
    tap(h, await h.answer("checkin.ask.craving"), "pick", "2")
    use = await h.answer("checkin.ask.use")
    tap(h, use, "pick", "yes")
    detail = await h.answer("checkin.ask.use_detail")
    assert len(await stored(h, Slip)) == 1
    tap(h, detail, "back")
    tap(h, await h.answer("checkin.ask.use"), "pick", "no")  # a mistake corrected: the slip goes
    sleep = await h.answer("checkin.ask.sleep")
    assert await stored(h, Slip) == []
    tap(h, sleep, "back")
    tap(h, await h.answer("checkin.ask.use"), "pick", "no")
    tap(h, await h.answer("checkin.ask.sleep"), "pick", "good")
    tap(h, await h.answer("checkin.ask.hours"), "back")
    tap(h, await h.answer("checkin.ask.sleep"), "pick", "poor")
    tap(h, await h.answer("checkin.ask.hours"), "pick", "12")
    symptoms = await tick(h, await h.answer("checkin.ask.symptoms"), "headache")
    tap(h, symptoms, "done")
    tap(h, await h.answer("checkin.ask.note"), "back")
    symptoms = await h.answer("checkin.ask.symptoms")
    assert "✅ Headache" in [t for t, _ in h.buttons(symptoms)]
    tap(h, symptoms, "done")
    tap(h, await h.answer("checkin.ask.note"), "skip")
    await h.answer("checkin.reply.thanks")
    (row,) = await stored(h, CheckIn)
    assert (row.mood, row.craving, row.used, row.sleep_quality, row.sleep_hours) == (8, 2, False, 0, 12)
    assert row.symptoms == ["headache"] and row.note is None


async def test_cancel_stops_and_keeps_what_was_answered(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    tap(h, await open_checkin(h), "pick", "4")
    await h.answer("checkin.ask.craving")
    h.send("/cancel")
    await h.answer("common.cancelled")
    assert await flow_state(h) is None
    (row,) = await stored(h, CheckIn)
    assert row.mood == 4 and row.completed_at is None
    await checkin(h)  # a new check-in, not the old one continued
    rows = await stored(h, CheckIn)
    assert len(rows) == 2 and rows[0].completed_at is None and rows[1].completed_at is not None


async def test_a_second_checkin_the_same_day_is_kept(harness):
    h = harness
    await h.onboard()
    await checkin(h, mood=3, craving=6)
    h.clock.advance(hours=5)
    reply = await checkin(h, mood=7, craving=2)
    assert h.matches(reply.text, "checkin.trend.mood_better", average=3)
    rows = await stored(h, CheckIn)
    assert [(r.mood, r.local_date) for r in rows] == [(3, dt.date(2026, 11, 21)), (7, dt.date(2026, 11, 21))]
    assert all(r.completed_at for r in rows)


async def test_the_local_date_is_the_patients_not_utc(sqlite_harness):
    h = sqlite_harness
    await h.onboard(country="New Zealand")  # 10:00 UTC on 21 Nov is 23:00 in Auckland
    h.clock.advance(hours=2)  # 01:00 on 22 Nov in Auckland
    await checkin(h)
    (row,) = await stored(h, CheckIn)
    assert row.local_date == dt.date(2026, 11, 22)


async def test_a_checkin_left_on_an_earlier_day_is_not_continued(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    tap(h, await open_checkin(h), "pick", "4")
    await h.answer("checkin.ask.craving")
    h.clock.advance(days=2)
    await open_checkin(h)  # the intro and the first question: a fresh check-in
    state = await flow_state(h)
    assert state is not None and state.step == "mood" and "checkin_id" not in state.data


async def test_checkin_continues_where_it_is_when_started_again(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    tap(h, await open_checkin(h), "pick", "4")
    await h.answer("checkin.ask.craving")
    h.send("/checkin")
    again = await h.answer("checkin.ask.craving")
    assert not h.matches(again.text, "checkin.intro")
    tap(h, again, "pick", "1")
    await h.answer("checkin.ask.use")
    (row,) = await stored(h, CheckIn)
    assert (row.mood, row.craving) == (4, 1)


# -- symptoms: ticked on one message --------------------------------------------------------------------
async def test_symptoms_are_ticked_on_one_message_by_editing_its_buttons(harness):
    h = harness
    await h.onboard()
    question = await answer_until_symptoms(h)
    labels = [t for t, _ in h.buttons(question)]
    assert "Anxiety" in labels and "None of these" in labels and "Done ✅" in labels
    record = await tick(h, question, "anxiety", "low_mood")
    assert {"✅ Anxiety", "✅ Low mood"} <= {t for t, _ in h.buttons(record)}
    assert h.matches(record.text, "checkin.selected", symptoms="Anxiety, Low mood")
    record = await tick(h, record, "anxiety")  # untick
    assert "Anxiety" in [t for t, _ in h.buttons(record)]
    record = await tick(h, record, "none")  # "none" clears the others
    assert [t for t, _ in h.buttons(record) if t.startswith("✅")] == ["✅ None of these"]
    record = await tick(h, record, "fatigue")  # a symptom clears "none"
    assert [t for t, _ in h.buttons(record) if t.startswith("✅")] == ["✅ Tiredness"]
    tap(h, record, "done")
    await h.answer("checkin.ask.note")
    asked = [r for r in h.api.sent_to(h.chat_id) if h.matches(r.text or "", "checkin.ask.symptoms")]
    assert sum(r.method == "sendMessage" for r in asked) == 1  # one message, edited four times
    (row,) = await stored(h, CheckIn)
    assert row.symptoms == ["fatigue"]
    state = await flow_state(h)
    assert state is not None and state.step == "note"


async def test_none_of_these_and_done_without_ticks_store_no_symptoms(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await checkin(h, symptoms=("none",))
    await checkin(h)
    assert [r.symptoms for r in await stored(h, CheckIn)] == [[], []]


def test_ticking_rules():
    assert toggled([], "anxiety") == ["anxiety"]
    assert toggled(["anxiety"], "anxiety") == []
    assert toggled(["anxiety", "nausea"], "none") == ["none"]
    assert toggled(["none"], "none") == []
    assert toggled(["none"], "tremor") == ["tremor"]
    assert toggled(["tremor"], "anxiety") == ["anxiety", "tremor"]  # kept in the list's order


def test_red_flag_rules():
    assert red_flags(["racing_heart"]) is None
    assert red_flags(["breathless", "anxiety"]) is None
    assert red_flags(["racing_heart", "breathless"]) == (Priority.EMERGENCY, ["racing_heart", "breathless"])
    assert red_flags(["chest_pain"]) == (Priority.EMERGENCY, ["chest_pain"])
    assert red_flags(["confusion"]) == (Priority.CRISIS, ["confusion"])
    assert red_flags(["hallucinations", "seizure"]) == (Priority.EMERGENCY, ["seizure", "hallucinations"])


# -- a restart mid-check-in ---------------------------------------------------------------------------
async def test_a_restart_mid_checkin_loses_nothing(db_url: str, tmp_path: Path):
    first = Harness(db_url, tmp_path)
    await first.start()
    try:
        await first.onboard()
        tap(first, await open_checkin(first), "pick", "5")
        (row,) = await stored(first, CheckIn)
        state = await flow_state(first)
        assert row.mood == 5 and state.step == "craving" and state.data["checkin_id"] == row.id
        tap(first, await first.answer("checkin.ask.craving"), "pick", "8")
        tap(first, await first.answer("checkin.ask.use"), "pick", "yes")
        await first.answer("checkin.ask.use_detail")
        first.send("a bump at a party")
        sleep = await first.answer("checkin.ask.sleep")
        (row,) = await stored(first, CheckIn)
        assert (row.craving, row.used, row.use_detail) == (8, True, "a bump at a party")
        assert (await flow_state(first)).step == "sleep"
    finally:
        await first.stop()
    second = Harness(db_url, tmp_path, clock=first.clock)
    second.api = first.api  # the same Telegram, a new bot process
    second.pushed_before = first.api.updates_pushed  # type: ignore[attr-defined]
    await second.start()
    try:
        tap(second, sleep, "pick", "good")  # a button sent before the restart still works
        tap(second, await second.answer("checkin.ask.hours"), "pick", "6")
        await second.answer("checkin.ask.symptoms")
        second.send("/checkin")  # or the patient comes back by command: same question again
        symptoms = await second.answer("checkin.ask.symptoms")
        tap(second, symptoms, "done")
        tap(second, await second.answer("checkin.ask.note"), "skip")
        await second.answer("checkin.reply.thanks")
        (row,) = await stored(second, CheckIn)
        assert (row.mood, row.craving, row.used, row.sleep_quality, row.sleep_hours) == (5, 8, True, 2, 6)
        assert row.completed_at is not None
        (slip,) = await stored(second, Slip)
        assert (slip.source, slip.detail, slip.local_date) == ("checkin", "a bump at a party", row.local_date)
    finally:
        await second.stop()


# -- stale, forged and typed input ---------------------------------------------------------------------
async def test_a_stale_button_is_refused_and_the_current_question_shown(harness):
    h = harness
    await h.onboard()
    mood = await open_checkin(h)
    tap(h, mood, "pick", "5")
    await h.answer("checkin.ask.craving")
    tap(h, mood, "pick", "0")  # the mood message again, after it was answered
    await h.answer("checkin.ask.craving")
    answers = [r for r in h.api.sent if r.method == "answerCallbackQuery"]
    assert h.matches(answers[-1].params.get("text", ""), "common.stale_button")
    (row,) = await stored(h, CheckIn)
    assert row.mood == 5


async def test_forged_values_are_refused_without_storing(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    mood = await open_checkin(h)
    version = (await flow_state(h)).version
    for data in (f"fl:{version}:pick:11", f"fl:{version}:pick:-1", f"fl:{version}:tog:anxiety"):
        h.press_data(mood.message_id, data)
        mood = await h.answer("checkin.ask.mood")
        version = (await flow_state(h)).version
    assert await stored(h, CheckIn) == []
    h.send("/cancel")
    await h.answer("common.cancelled")
    symptoms = await answer_until_symptoms(h)
    version = (await flow_state(h)).version
    h.press_data(symptoms.message_id, f"fl:{version}:tog:ketamine")
    again = await h.answer("checkin.ask.symptoms")
    assert not [t for t, _ in h.buttons(again) if t.startswith("✅")]
    h.press_data(symptoms.message_id, "ci:forged")
    await h.settle()
    answers = [r for r in h.api.sent if r.method == "answerCallbackQuery"]
    assert h.matches(answers[-1].params.get("text", ""), "common.unknown_button")


async def test_typed_text_where_buttons_are_expected_gets_a_hint(harness):
    h = harness
    await h.onboard()
    await open_checkin(h)
    h.send("pretty good")
    await h.answer("checkin.hint_number", low=0, high=10)
    await h.answer("checkin.ask.mood")
    h.send("11")
    await h.answer("checkin.hint_number", low=0, high=10)
    await h.answer("checkin.ask.mood")
    h.send("7")  # a number is fine typed too
    await h.answer("checkin.ask.craving")
    h.send("2")
    use = await h.answer("checkin.ask.use")
    h.send("nope")
    await h.answer("checkin.hint_buttons")
    await h.answer("checkin.ask.use")
    tap(h, use, "pick", "no")
    await h.answer("checkin.ask.sleep")
    h.send("badly")
    await h.answer("checkin.hint_buttons")
    await h.answer("checkin.ask.sleep")
    (row,) = await stored(h, CheckIn)
    assert (row.mood, row.craving, row.used, row.sleep_quality) == (7, 2, False, None)


async def test_a_crisis_typed_as_the_note_is_answered_as_a_crisis(harness):
    h = harness
    await h.onboard()
    symptoms = await answer_until_symptoms(h)
    tap(h, symptoms, "done")
    note = await h.answer("checkin.ask.note")
    h.send(CRISIS)
    reply = await h.reply()
    assert h.matches(reply.text, "crisis.crisis_body") and "112" in reply.text
    (flag,) = await stored(h, Flag)
    assert flag.source == "screener" and flag.priority == Priority.CRISIS
    (row,) = await stored(h, CheckIn)
    assert row.note == CRISIS and row.completed_at is None  # kept as the note; the check-in waits
    assert (await flow_state(h)).step == "note"
    kept = await h.replies_until("crisis.answer_kept")
    assert [d for _, d in h.buttons(kept)] == ["sf:resume"]
    tap(h, note, "skip")
    await h.replies_until("checkin.reply.thanks")


# -- who may check in ---------------------------------------------------------------------------------
async def test_checkin_needs_consent_and_a_finished_setup(sqlite_harness):
    h = sqlite_harness
    h.send("/checkin")
    await h.answer("onboarding.consent_needed")
    h.press_data(1, "ci:start")
    await h.answer("onboarding.consent_needed")
    h.send("/start")
    await h.answer("onboarding.welcome")
    h.press(await h.answer("onboarding.privacy_notice"), "I agree")
    await h.reply()
    h.send("/checkin")
    await h.answer("checkin.not_ready")
    assert await stored(h, CheckIn) == []


async def test_help_lists_checkin_and_pause(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    h.send("/help")
    reply = await h.answer("help.intro")
    assert h.matches(reply.text, "checkin.lines.checkin") and h.matches(reply.text, "checkin.lines.pause")


# -- /export ---------------------------------------------------------------------------------------------
async def test_export_has_every_checkin_with_notes_decrypted(harness):
    h = harness
    await h.onboard()
    await checkin(h, used=True, detail="two lines", note="Hard evening", symptoms=("headache",))
    tap(h, await open_checkin(h), "pick", "3")  # an unfinished one is exported too
    await h.answer("checkin.ask.craving")
    h.send("/cancel")
    await h.answer("common.cancelled")
    h.send("/export")
    record = await h.reply()
    (upload,) = record.files.values()
    exported = json.loads(upload.data)["checkins"]
    assert len(exported) == 2
    done, unfinished = exported
    assert done["note"] == "Hard evening" and done["use_detail"] == "two lines"
    assert done["symptoms"] == ["headache"] and done["local_date"] == "2026-11-21"
    assert unfinished["mood"] == 3 and unfinished["completed_at"] is None
