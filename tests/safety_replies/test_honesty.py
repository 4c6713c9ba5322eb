"""The crisis path promises nothing that did not happen, loses nothing typed, and copies into a flag
only what the consent text says; every place that answers a crisis uses the one safety service."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sqlalchemy import select

from bot.db.models import Flag, FlagMessage, Patient, SafetyPlan
from bot.runtime import NO_STAFF_GROUP
from bot.safety.escalation import Escalation
from tests.harness import STAFF_CHAT, Harness
from tests.measures.test_measures import HALF, NOT_AT_ALL, SEVERAL, answer_items, open_weekly

CRISIS = "I want to kill myself tonight"
ROOT = Path(__file__).resolve().parents[2]


async def patient_lines(h: Harness) -> list[str]:
    """What the patient wrote, as copied into their flags' threads, in order."""
    await h.settle()
    async with h.services.db.transaction() as session:
        rows = await session.scalars(
            select(FlagMessage).where(FlagMessage.author == "patient").order_by(FlagMessage.id)
        )
        return [m.text for m in rows]


# -- no staff group: no promise of a care team ---------------------------------------------------------
async def test_without_a_staff_group_start_up_warns_and_nothing_promises_a_care_team(
    db_url, tmp_path, caplog
):
    h = Harness(db_url, tmp_path, STAFF_CHAT_ID="0")
    with caplog.at_level(logging.WARNING, logger="bot.runtime"):
        await h.start()
    try:
        assert [r.message for r in caplog.records if r.name == "bot.runtime"] == [NO_STAFF_GROUP]
        await h.onboard(country="Ireland")
        h.send(CRISIS)
        reply = await h.answer("crisis.crisis_body")
        assert h.matches(reply.text, "crisis.not_a_clinician") and "116 123" in reply.text
        h.press(reply, "Talk to a person")
        person = await h.answer("safety.person_no_team")
        assert "116 123" in person.text
        h.send("ok, I will call them")
        await h.settle()
        texts = h.sent_texts()
        for key in ("crisis.care_team_told", "safety.team_asked", "safety.relayed"):
            assert not any(h.matches(t, key) for t in texts), key
        assert not any("care team" in t for t in texts[-4:])
        async with h.services.db.transaction() as session:  # the flag and its trail are still recorded
            assert len((await session.scalars(select(Flag))).all()) == 1
            notes = (await session.scalars(select(FlagMessage).where(FlagMessage.author == "bot"))).all()
            assert any("talk to a person" in n.text for n in notes)
    finally:
        await h.stop()


async def test_with_a_staff_group_the_care_team_is_promised_only_after_the_flag(harness):
    h = harness
    await h.onboard()
    h.send(CRISIS)
    reply = await h.answer("crisis.crisis_body")
    assert not h.matches(reply.text, "crisis.care_team_told"), "the at-once reply promises nothing"
    await h.answer("crisis.care_team_told")
    await h.staff_post("staff.flag")


async def test_without_consent_a_crisis_gets_help_and_no_promise(harness):
    h = harness
    h.send(CRISIS, language_code="en-IE")
    await h.answer("crisis.crisis_body")
    await h.settle()
    assert not any(h.matches(t, "crisis.care_team_told") for t in h.sent_texts())


# -- what staff see while a flag is open ----------------------------------------------------------------
async def test_only_free_text_outside_flows_is_copied_into_an_open_flag(harness):
    h = harness
    await h.onboard()
    h.send(CRISIS)
    reply = await h.answer("crisis.crisis_body")
    await h.answer("crisis.care_team_told")
    h.press(reply, "I'm safe right now")  # a button: its answer is the flag's trail, never the patient's text
    await h.replies_until("safety.safe")
    h.send("/progress")  # a command
    await h.settle()
    h.send("/safetyplan")
    await h.replies_until("safetyplan.prompts.warning_signs")
    h.send("Call my sister Jo")  # a flow answer
    h.press(await h.answer("safetyplan.added"), "Finish for now")
    await h.answer("safetyplan.saved_for_now")
    h.send("thanks, I'm at home now")  # free text outside a flow
    await h.answer("safety.relayed")
    assert await patient_lines(h) == [CRISIS, "thanks, I'm at home now"]
    staff = " ".join(h.sent_texts(STAFF_CHAT))
    assert "Call my sister Jo" not in staff and "/progress" not in staff


async def test_the_consent_text_says_what_staff_see_while_a_flag_is_open(harness):
    expected = {"en": ("outside a step-by-step exercise", "commands"), "es": ("fuera de", "comandos")}
    for lang, words in expected.items():
        notice = harness.services.content.text(lang, "onboarding.privacy_notice", clinic="X")
        assert all(w in notice for w in words), lang


# -- nothing typed is lost --------------------------------------------------------------------------
async def test_dark_words_in_the_safety_plan_are_saved_and_get_a_gentle_check(harness):
    h = harness
    await h.onboard()
    h.send("/safetyplan")
    await h.replies_until("safetyplan.prompts.warning_signs")
    h.send("I feel so hopeless")
    await h.answer("safetyplan.added")  # the flow's own reply first: the answer was taken
    check = await h.answer("crisis.concern")
    assert [d for _, d in h.buttons(check)] == ["sf:ok", "sf:yes", "sf:no", "sf:person"]
    await h.settle()
    async with h.services.db.transaction() as session:
        patient = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        plan = await session.get(SafetyPlan, patient.id)
        assert plan.sections["warning_signs"] == ["I feel so hopeless"]
        assert (await session.scalars(select(Flag))).all() == [], "staff hear when the patient says yes"
    h.press(check, "Yes")
    await h.replies_until("crisis.answered_body")


async def test_a_heavy_check_in_note_is_saved_the_check_in_completed_and_then_a_gentle_check(harness):
    from bot.db.models import CheckIn
    from tests.checkins.helpers import answer_until_symptoms, stored, tap

    h = harness
    await h.onboard()
    tap(h, await answer_until_symptoms(h), "done")
    await h.answer("checkin.ask.note")
    h.send("I feel so hopeless")
    check = await h.replies_until("crisis.concern")  # after the check-in's own reply
    assert any(h.matches(t, "checkin.reply.thanks") for t in h.sent_texts()[:-1])
    assert [d for _, d in h.buttons(check)] == ["sf:ok", "sf:yes", "sf:no", "sf:person"]
    (row,) = await stored(h, CheckIn)
    assert row.note == "I feel so hopeless" and row.completed_at is not None


async def test_dark_words_outside_a_feelings_step_are_still_stopped_by_the_gate(harness):
    h = harness
    await h.onboard()
    await open_weekly(h)
    h.send("I feel so hopeless")
    await h.answer("crisis.concern")
    await h.settle()
    assert not any(h.matches(t, "measures.hint_buttons") for t in h.sent_texts())


# -- one safety service -------------------------------------------------------------------------------
async def test_the_screeners_crisis_reply_goes_out_before_the_commit_and_once(sqlite_harness, monkeypatch):
    h = sqlite_harness
    await h.onboard(country="Ireland")
    last = await answer_items(h, await open_weekly(h), NOT_AT_ALL, SEVERAL, NOT_AT_ALL, NOT_AT_ALL)
    h.press(last, HALF)
    await h.answer("measures.screener_intro")
    intent = await answer_items(h, await h.answer("measures.screener.wish_dead"), "Yes", "Yes", "No")
    await h.settle()
    real, failures = Escalation.raise_flag, []

    async def fails_once(self, *args, **kwargs):
        if not failures:
            failures.append(True)
            raise ConnectionError("the database went away")
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(Escalation, "raise_flag", fails_once)
    h.press(intent, "Yes")
    await h.settle(timeout=10)
    assert failures, "the first attempt failed after answering"
    replies = [t for t in h.sent_texts() if h.matches(t, "crisis.screener_body")]
    assert len(replies) == 1 and "116 123" in replies[0]


def test_only_the_safety_service_builds_crisis_replies():
    """No flow or handler builds or sends a crisis reply of its own: they call bot.safety.in_flow (or the
    gate and the buttons call the responder), so the reply, the country rule and the sending are one."""
    own = re.compile(r"crisis\.(reply|button_reply)\(|crisis\.crisis_body|crisis\.emergency_first")
    allowed = {"bot/safety/crisis.py", "bot/safety/replies.py", "bot/safety/in_flow.py"}
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "bot").rglob("*.py")
        if str(p.relative_to(ROOT)) not in allowed and own.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


async def test_the_care_team_is_announced_once_per_flag_not_after_every_message(harness):
    h = harness
    await h.onboard()
    h.send(CRISIS)
    await h.answer("crisis.crisis_body")
    await h.answer("crisis.care_team_told")
    h.send("I really want to die")
    await h.answer("crisis.crisis_body")
    await h.settle()
    assert len([t for t in h.sent_texts() if h.matches(t, "crisis.care_team_told")]) == 1
    async with h.services.db.transaction() as session:  # the second one is in the open flag's thread
        thread = [m.text for m in (await session.scalars(select(FlagMessage))).all()]
    assert any("I really want to die" in m for m in thread)
