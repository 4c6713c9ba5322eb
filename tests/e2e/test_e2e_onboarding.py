"""The real bot process walks a patient from /start through consent and every set-up step."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Patient, buttons

pytestmark = pytest.mark.e2e


async def test_onboarding_from_start_to_all_set(api, bot, content):
    await bot.start()
    me = Patient(api, content, chat_id=7001)

    me.send("/start demo")
    welcome = await me.answer("onboarding.welcome")
    assert "Outpatient team" in welcome.text and "not a clinician" in welcome.text
    consent = await me.answer("onboarding.privacy_notice")
    me.press(consent, "I agree")

    step = await me.past_language_step()
    assert me.matches(step.text or "", "onboarding.step_country")
    assert api.call_counts["answerCallbackQuery"] >= 1
    assert any(r.method == "editMessageReplyMarkup" for r in api.sent_to(me.chat_id))
    me.send("Ireland")

    step = await me.answer("onboarding.step_timezone")
    me.press(step, "Dublin")

    step = await me.answer("onboarding.step_substance")
    assert any("Ketamine" in label for label, _ in buttons(step))
    me.press(step, "Ketamine")

    step = await me.answer("onboarding.step_quit")
    me.press(step, "Another date")  # the "type a date" button: a hint, then typed text
    await me.answer("onboarding.quit_type")
    me.send("03/11/2025")

    step = await me.answer("onboarding.step_checkin")
    me.send("7:30 pm")

    summary = await me.answer("onboarding.summary")
    assert "Ireland" in summary.text and "Europe/Dublin" in summary.text and "19:30" in summary.text
    me.press(summary, "All good")

    done = await me.answer("onboarding.finished", checkin="19:30")
    assert "You're all set" in done.text and "19:30" in done.text

    await bot.wait_store_empty()
    rows = bot.query(
        "SELECT country, timezone, substance, quit_date, checkin_time, enrolment_code, "
        "onboarded_at IS NOT NULL FROM patients WHERE chat_id = ?",
        me.chat_id,
    )
    assert rows == [("IE", "Europe/Dublin", "ketamine", "2025-11-03", "19:30", "demo", 1)]
    assert bot.query("SELECT count(*) FROM flow_states") == [(0,)]
    assert bot.pending_update_ids() == []
    assert api.updates == []  # every update was confirmed to the Bot API
