"""Onboarding through the real application: consent, each step, ways out and back, bad answers."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import FlowState, Patient


async def patient(h, chat_id=None) -> Patient | None:
    await h.settle()
    async with h.services.db.transaction() as session:
        return await session.scalar(select(Patient).where(Patient.chat_id == (chat_id or h.chat_id)))


async def test_full_onboarding_stores_answers(harness):
    await harness.onboard()
    p = await patient(harness)
    assert p is not None and p.onboarded_at is not None
    assert (p.country, p.substance, p.checkin_time) == ("IE", "ketamine", "20:00")
    assert p.timezone == "Europe/Dublin"
    assert p.quit_date == harness.clock.now().date()
    assert p.label.startswith("P-")
    async with harness.services.db.transaction() as session:
        assert await session.get(FlowState, p.id) is None


async def test_declining_consent_stores_nothing(harness):
    harness.send("/start")
    await harness.answer("onboarding.welcome")
    consent = await harness.answer("onboarding.privacy_notice")
    harness.press(consent, "Not now")
    await harness.answer("onboarding.declined")
    assert await patient(harness) is None
    harness.send("hello there")
    await harness.answer("common.need_start")
    await harness.settle()
    assert await patient(harness) is None


async def test_welcome_says_what_the_bot_is_not_and_consent_mentions_encryption(harness):
    harness.send("/start")
    welcome = await harness.answer("onboarding.welcome")
    assert "not a clinician" in welcome.text and "emergency" in welcome.text
    consent = await harness.answer("onboarding.privacy_notice")
    assert "not end-to-end encrypted" in consent.text


async def test_enrolment_code_ties_patient_to_team(harness):
    harness.send("/start demo")
    welcome = await harness.answer("onboarding.welcome")
    assert "Outpatient team" in welcome.text and "Alex" in welcome.text
    consent = await harness.answer("onboarding.privacy_notice")
    harness.press(consent, "I agree")
    await harness.settle()
    p = await patient(harness)
    assert (p.enrolment_code, p.team, p.counsellor) == ("demo", "Outpatient team", "Alex")


async def test_unknown_enrolment_code_is_ignored(harness):
    harness.send("/start nosuchcode")
    welcome = await harness.answer("onboarding.welcome")
    assert "Outpatient team" not in welcome.text


async def _to_country_step(h):
    h.send("/start")
    await h.answer("onboarding.welcome")
    consent = await h.answer("onboarding.privacy_notice")
    h.press(consent, "I agree")
    step = await h.reply()
    if h.matches(step.text or "", "onboarding.step_language"):
        h.press(step, "English")
        step = await h.replies_until("onboarding.step_country")
    return step


async def test_text_where_buttons_expected_gets_hint_and_buttons(harness):
    await _to_country_step(harness)
    harness.send("Ireland")
    step = await harness.replies_until("onboarding.step_timezone")
    harness.press(step, "Dublin")
    step = await harness.replies_until("onboarding.step_substance")
    harness.send("whatever")
    await harness.answer("onboarding.hint_buttons")
    again = await harness.answer("onboarding.step_substance")
    assert any("Ketamine" in label for label, _ in harness.buttons(again))


async def test_unknown_country_and_bad_dates_and_times_are_asked_again(harness):
    await _to_country_step(harness)
    harness.send("Atlantis")
    await harness.answer("onboarding.country_unknown")
    harness.send("ie")
    step = await harness.replies_until("onboarding.step_timezone")
    harness.send("Mars/Olympus")
    await harness.answer("onboarding.timezone_unknown")
    harness.send("dublin")
    step = await harness.replies_until("onboarding.step_substance")
    harness.press(step, "Alcohol")
    step = await harness.replies_until("onboarding.step_quit")
    harness.send("31/02/2026")
    await harness.answer("onboarding.quit_unknown")
    harness.send("2099-01-01")
    await harness.answer("onboarding.quit_future")
    harness.send("03/11/2026")
    step = await harness.replies_until("onboarding.step_checkin")
    harness.send("25:99")
    await harness.answer("onboarding.checkin_unknown")
    harness.send("7:30 pm")
    await harness.replies_until("onboarding.summary")
    p = await patient(harness)
    assert p.quit_date.isoformat() == "2026-11-03" and p.checkin_time == "19:30"


async def test_back_button_returns_to_previous_step(harness):
    await _to_country_step(harness)
    harness.send("Ireland")
    step = await harness.replies_until("onboarding.step_timezone")
    harness.press(step, "Back")
    await harness.replies_until("onboarding.step_country")


async def test_cancel_stops_and_start_begins_again_keeping_answers(harness):
    await _to_country_step(harness)
    harness.send("Ireland")
    await harness.replies_until("onboarding.step_timezone")
    harness.send("/cancel")
    await harness.replies_until("onboarding.cancelled_onboarding")
    assert (await patient(harness)).country == "IE"
    harness.send("/start")
    first = await harness.reply()
    assert harness.matches(first.text, "onboarding.step_language") or harness.matches(
        first.text, "onboarding.step_country"
    )
    assert (await patient(harness)).country == "IE"


async def test_stale_and_forged_buttons_are_refused(harness):
    first = await _to_country_step(harness)
    harness.send("Ireland")
    await harness.replies_until("onboarding.step_timezone")
    # The country buttons are from an earlier step: pressing one again shows the current step.
    harness.press(first, "Another country")
    await harness.replies_until("onboarding.step_timezone")
    for forged in ("fl:999:pick:Europe/Paris", "fl:abc", "dl:yes:P-AAAAA", "x" * 64, "cs:yes:../../etc"):
        harness.press_data(first.message_id, forged)
    await harness.settle()
    p = await patient(harness)
    assert p is not None and p.timezone != "Europe/Paris"


async def test_summary_change_returns_to_summary_and_settings_reopen(harness):
    await harness.onboard()
    harness.send("/settings")
    summary = await harness.answer("onboarding.summary")
    harness.press(summary, "Check-in time")
    step = await harness.answer("onboarding.step_checkin")
    harness.press(step, "08:00")
    summary = await harness.answer("onboarding.summary")
    harness.press(summary, "All good")
    await harness.answer("onboarding.settings_saved")
    assert (await patient(harness)).checkin_time == "08:00"


async def test_help_lists_every_command_and_the_menu_is_published(harness):
    harness.send("/help")
    record = await harness.answer("help.intro")
    for command in ("/start", "/sos", "/settings", "/privacy", "/export", "/delete", "/cancel"):
        assert command in record.text
    assert "116 123" in record.text  # the helplines are in /help too
    menu = [c["command"] for commands in harness.api.commands.values() for c in commands]
    assert {"start", "sos", "help", "privacy", "export", "delete", "cancel", "settings"} <= set(menu)
