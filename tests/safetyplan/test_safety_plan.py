"""/safetyplan: built step by step in the patient's words, shown, edited, used in a crisis, exported,
erased."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.db.models import FlowState, Patient, SafetyPlan
from bot.safety.safety_plan import SECTIONS
from tests.harness import Harness

CRISIS = "I want to kill myself"


# -- helpers -----------------------------------------------------------------------------------------
async def stored(h: Harness) -> tuple[dict[str, Any] | None, FlowState | None]:
    """The patient's saved plan sections and flow state, once every handled update is committed."""
    for _ in range(250):
        if await h.pending() == 0:
            break
        await asyncio.sleep(0.02)
    async with h.services.db.transaction() as session:
        patient = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        assert patient is not None
        plan = await session.get(SafetyPlan, patient.id)
        state = await session.get(FlowState, patient.id)
        return (plan.sections if plan else None), state


async def type_entries(h: Harness, *entries: str) -> Any:
    """Types each entry as its own message; returns the last acknowledgement."""
    record = None
    for entry in entries:
        h.send(entry)
        record = await h.answer("safetyplan.added")
    return record


async def open_plan(h: Harness) -> Any:
    """/safetyplan for a patient without a plan: the introduction, then step 1."""
    h.send("/safetyplan")
    await h.answer("safetyplan.intro", total=len(SECTIONS))
    return await h.answer("safetyplan.prompts.warning_signs")


async def quick_plan(h: Harness) -> None:
    """A plan with entries in the first two sections, left with "Finish for now"."""
    await open_plan(h)
    h.press(await type_entries(h, "Not sleeping", "Friday nights alone"), "Next")
    await h.answer("safetyplan.prompts.coping")
    last = await type_entries(h, "Hot shower")
    h.press(last, "Finish for now")
    await h.answer("safetyplan.saved_for_now")


def labels(h: Harness, record: Any) -> list[str]:
    return [label for label, _ in h.buttons(record)]


# -- building and showing ----------------------------------------------------------------------------
async def test_build_a_plan_step_by_step_then_see_it(harness):
    h = harness
    await h.onboard(country="Ireland")
    first = await open_plan(h)
    assert labels(h, first) == ["Skip this step", "Finish for now"]
    last = await type_entries(h, "Not sleeping", "Friday nights alone")
    assert labels(h, last) == ["Next ➡️", "Finish for now"]
    h.press(last, "Next")
    await h.answer("safetyplan.prompts.coping")
    last = await type_entries(h, "Hot shower")
    h.press(last, "Next")
    step = await h.answer("safetyplan.prompts.distraction")
    h.press(step, "Back")
    step = await h.answer("safetyplan.prompts.coping")
    assert "• Hot shower" in step.text
    h.press(step, "Next")
    h.press(await h.answer("safetyplan.prompts.distraction"), "Skip this step")
    await h.answer("safetyplan.prompts.people")
    last = await type_entries(h, "Jo, my sister: call her mobile")
    h.press(last, "Next")
    step = await h.answer("safetyplan.prompts.professionals")
    h.press(step, "Samaritans")  # one tap adds the country's helpline
    last = await h.answer("safetyplan.added")
    assert not any("Samaritans" in label for label in labels(h, last))
    h.press(last, "Next")
    await h.answer("safetyplan.prompts.environment")
    h.press(await type_entries(h, "Go to my mum's"), "Next")
    await h.answer("safetyplan.prompts.reasons")
    h.press(await type_entries(h, "My daughter"), "Next")
    await h.answer("safetyplan.complete")
    plan = await h.answer("safetyplan.plan_header")
    for title in ("My warning signs", "People I can ask for help", "My reasons for living and for recovery"):
        assert title in plan.text
    for entry in ("Not sleeping", "Hot shower", "Samaritans: 116 123", "Go to my mum's", "My daughter"):
        assert f"• {entry}" in plan.text
    assert labels(h, plan) == ["✏️ Edit a section", "Done"]

    sections, _ = await stored(h)
    assert sections == {
        "warning_signs": ["Not sleeping", "Friday nights alone"],
        "coping": ["Hot shower"],
        "distraction": [],
        "people": ["Jo, my sister: call her mobile"],
        "professionals": ["Samaritans: 116 123"],
        "environment": ["Go to my mum's"],
        "reasons": ["My daughter"],
    }
    h.press(plan, "Done")
    await h.answer("safetyplan.done", emergency="112")
    _, state = await stored(h)
    assert state is None
    h.send("/safetyplan")
    shown = await h.answer("safetyplan.plan_header")
    assert "• Friday nights alone" in shown.text


async def test_each_answer_is_saved_with_the_step_in_the_same_transaction(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await open_plan(h)
    added = await type_entries(h, "Not sleeping")
    sections, state = await stored(h)
    assert sections is not None and sections["warning_signs"] == ["Not sleeping"]
    assert state.flow == "safetyplan" and state.step == "warning_signs"
    assert state.data["sections"]["warning_signs"] == ["Not sleeping"]
    h.press(added, "Next")
    await h.answer("safetyplan.prompts.coping")
    _, state = await stored(h)
    assert state.step == "coping" and state.data["sections"]["warning_signs"] == ["Not sleeping"]


async def test_finish_for_now_keeps_the_entries_and_cancel_too(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await quick_plan(h)
    sections, state = await stored(h)
    assert state is None
    assert sections["warning_signs"] == ["Not sleeping", "Friday nights alone"]
    assert sections["coping"] == ["Hot shower"]
    h.send("/safetyplan")
    h.press(await h.answer("safetyplan.plan_header"), "Edit a section")
    h.press(await h.answer("safetyplan.pick_section"), "Things I can do on my own")
    await h.answer("safetyplan.edit_intro")
    h.send("Call Jo")
    await h.answer("safetyplan.added")
    h.send("/cancel")
    await h.answer("common.cancelled")
    sections, state = await stored(h)
    assert state is None and sections["coping"] == ["Hot shower", "Call Jo"]


# -- editing -----------------------------------------------------------------------------------------
async def test_edit_a_section_remove_one_and_add_one(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await quick_plan(h)
    h.send("/safetyplan")
    h.press(await h.answer("safetyplan.plan_header"), "Edit a section")
    pick = await h.answer("safetyplan.pick_section")
    assert labels(h, pick)[: len(SECTIONS)][0] == "My warning signs"
    h.press(pick, "My warning signs")
    edit = await h.answer("safetyplan.edit_intro")
    assert "1. Not sleeping" in edit.text and "2. Friday nights alone" in edit.text
    assert labels(h, edit)[:2] == ["🗑 1", "🗑 2"]
    h.press(edit, "🗑 1")
    edit = await h.answer("safetyplan.removed")
    assert "Not sleeping" not in edit.text and "1. Friday nights alone" in edit.text
    h.press(edit, "Add more")
    await h.answer("safetyplan.prompts.warning_signs")
    h.send("Skipping meals")
    edit = await h.answer("safetyplan.added")
    assert "2. Skipping meals" in edit.text
    h.press(edit, "Back to my plan")
    plan = await h.answer("safetyplan.plan_header")
    assert "• Skipping meals" in plan.text and "Not sleeping" not in plan.text
    sections, _ = await stored(h)
    assert sections["warning_signs"] == ["Friday nights alone", "Skipping meals"]
    assert sections["coping"] == ["Hot shower"]


async def test_forged_values_are_refused_and_nothing_changes(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await quick_plan(h)
    h.send("/safetyplan")
    h.press(await h.answer("safetyplan.plan_header"), "Edit a section")
    pick = await h.answer("safetyplan.pick_section")
    version = h.buttons(pick)[0][1].split(":")[1]
    h.press_data(pick.message_id, f"fl:{version}:section:passwords")
    pick = await h.answer("safetyplan.pick_section")
    h.press(pick, "My warning signs")
    edit = await h.answer("safetyplan.edit_intro")
    version = h.buttons(edit)[0][1].split(":")[1]
    for value in ("2", "9", "-1", "1.0", "99999"):
        h.press_data(edit.message_id, f"fl:{version}:remove:{value}")
        edit = await h.answer("safetyplan.edit_intro")
    h.press_data(edit.message_id, f"fl:{version}:contact:h0")  # not the professionals section
    await h.answer("safetyplan.edit_intro")
    h.press_data(edit.message_id, f"fl:{version}:done")  # "done" does not belong to this step
    await h.answer("safetyplan.edit_intro")
    sections, _ = await stored(h)
    assert sections["warning_signs"] == ["Not sleeping", "Friday nights alone"]
    old = f"fl:{int(version) - 1}:remove:0"
    h.press_data(edit.message_id, old)  # stale: the framework shows the step again
    await h.answer("safetyplan.edit_intro")
    sections, _ = await stored(h)
    assert sections["warning_signs"] == ["Not sleeping", "Friday nights alone"]


async def test_typing_on_a_button_step_gives_a_hint(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await quick_plan(h)
    h.send("/safetyplan")
    await h.answer("safetyplan.plan_header")
    h.send("hello")
    await h.answer("safetyplan.hint_buttons")
    await h.answer("safetyplan.plan_header")


# -- limits ------------------------------------------------------------------------------------------
async def test_long_entries_are_shortened_and_a_section_holds_ten(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await open_plan(h)
    h.send("  " + "a" * 350 + "\u200b ")
    await h.answer("safetyplan.added_shortened", max=300)
    await type_entries(h, *(f"sign {i}" for i in range(2, 11)))
    h.send("one more")
    full = await h.answer("safetyplan.section_full", max=10)
    assert labels(h, full)[0] == "Next ➡️"
    sections, _ = await stored(h)
    entries = sections["warning_signs"]
    assert len(entries) == 10 and entries[0] == "a" * 300 and "one more" not in entries


async def test_a_very_long_plan_is_shown_in_several_messages(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await open_plan(h)
    for number, section in enumerate(SECTIONS, 1):
        h.press(await type_entries(h, *(f"{section} {i} " + "🙂" * 280 for i in range(10))), "Next")
        if number < len(SECTIONS):
            await h.replies_until(f"safetyplan.prompts.{SECTIONS[number]}")
    await h.answer("safetyplan.complete")
    parts = [await h.answer("safetyplan.plan_header")]
    while not h.buttons(parts[-1]):
        parts.append(await h.reply())
    shown = "\n".join(p.text for p in parts)
    assert len(parts) > 1 and all(f"• {s} {i} " in shown for s in SECTIONS for i in range(10))
    assert labels(h, parts[-1]) == ["✏️ Edit a section", "Done"]


# -- safety ------------------------------------------------------------------------------------------
async def test_crisis_typed_into_the_plan_gets_the_crisis_reply_and_the_plan_resumes(sqlite_harness):
    h = sqlite_harness
    await h.onboard(country="Ireland")
    h.press(await open_plan(h), "Skip this step")
    await h.answer("safetyplan.prompts.coping")
    await type_entries(h, "Hot shower")
    h.send(CRISIS)
    reply = await h.answer("crisis.crisis_body")
    assert "116 123" in reply.text
    assert h.matches(reply.text, "crisis.safety_plan_intro") and "• Hot shower" in reply.text
    assert [d for _, d in h.buttons(reply)] == ["sf:safe", "sf:unsafe", "sf:person"]
    await h.answer("crisis.care_team_told")
    kept = await h.answer("crisis.answer_kept")  # once the entry is committed, with a way back
    assert [d for _, d in h.buttons(kept)] == ["sf:resume"]
    sections, state = await stored(h)
    assert sections["coping"] == ["Hot shower", CRISIS]  # what was typed is kept as the answer it is
    assert state.flow == "safetyplan" and state.step == "coping"
    assert not any(h.matches(t, "safetyplan.added") for t in h.sent_texts()[-2:])
    h.press(kept, "Carry on where I was")
    step = await h.answer("safetyplan.prompts.coping")
    assert "• Hot shower" in step.text
    await type_entries(h, "Walk the dog")
    sections, _ = await stored(h)
    assert sections["coping"] == ["Hot shower", CRISIS, "Walk the dog"]


async def test_the_plan_is_in_the_crisis_reply_when_not_in_the_flow(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    step = await open_plan(h)
    for section in SECTIONS[1:4]:
        h.press(step, "Skip this step")
        step = await h.answer(f"safetyplan.prompts.{section}")
    h.press(await type_entries(h, "Jo, my sister: call her mobile"), "Finish for now")
    await h.answer("safetyplan.saved_for_now")
    h.send(CRISIS + " tonight")
    reply = await h.answer("crisis.crisis_body")
    assert "Your safety plan, in your own words" in reply.text
    assert "• Jo, my sister: call her mobile" in reply.text


async def long_people_section(h: Harness) -> Any:
    """A plan whose "people" section is ten long entries; returns the professionals step."""
    step = await open_plan(h)
    for section in SECTIONS[1:4]:
        h.press(step, "Skip this step")
        step = await h.answer(f"safetyplan.prompts.{section}")
    h.press(await type_entries(h, *(f"person {i} " + "🙂" * 280 for i in range(10))), "Next")
    return await h.answer("safetyplan.prompts.professionals")


async def test_a_crisis_typed_at_a_later_section_is_kept_there_and_answered(sqlite_harness):
    h = sqlite_harness
    await h.onboard(country="Ireland")
    await long_people_section(h)
    h.send(CRISIS)
    reply = await h.reply(timeout=10)
    assert h.matches(reply.text, "crisis.crisis_body") and "116 123" in reply.text
    sections, state = await stored(h)
    assert sections["professionals"] == [CRISIS] and state.step == "professionals"


async def test_a_long_plan_still_fits_in_the_crisis_reply(sqlite_harness):
    h = sqlite_harness
    await h.onboard(country="Ireland")
    await long_people_section(h)
    h.send(CRISIS)
    reply = await h.reply(timeout=10)
    assert h.matches(reply.text, "crisis.safety_plan_intro") and "person 0" in reply.text


async def test_without_consent_the_plan_asks_for_it(sqlite_harness):
    h = sqlite_harness
    h.send("/safetyplan")
    await h.answer("onboarding.consent_needed")


async def test_help_names_the_safety_plan(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    h.send("/help")
    assert "/safetyplan" in (await h.reply()).text


# -- privacy -----------------------------------------------------------------------------------------
async def test_the_plan_is_exported_and_erased_with_delete(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await quick_plan(h)
    h.send("/export")
    record = await h.reply()
    (upload,) = record.files.values()
    document = json.loads(upload.data)
    assert document["safety_plan"]["warning_signs"] == ["Not sleeping", "Friday nights alone"]
    assert document["safety_plan"]["coping"] == ["Hot shower"]
    h.send("/delete")
    h.press(await h.answer("privacy.delete_confirm"), "Yes, erase")
    await h.answer("privacy.deleted")
    await h.settle()
    async with h.services.db.transaction() as session:
        assert (await session.scalars(select(SafetyPlan))).all() == []


# -- restart -----------------------------------------------------------------------------------------
async def test_a_restart_mid_plan_continues_where_it_stopped(sqlite_url: str, tmp_path: Path):
    first = Harness(sqlite_url, tmp_path)
    await first.start()
    try:
        await first.onboard()
        await open_plan(first)
        first.press(await type_entries(first, "Not sleeping"), "Next")
        await first.answer("safetyplan.prompts.coping")
        await first.settle()
    finally:
        await first.stop()
    second = Harness(sqlite_url, tmp_path, clock=first.clock)
    second.api = first.api  # the same Telegram, a new bot process
    await second.start()
    try:
        second.send("Hot shower")
        added = await second.answer("safetyplan.added")
        second.press(added, "Back")
        step = await second.answer("safetyplan.prompts.warning_signs")
        assert "• Not sleeping" in step.text
        sections, state = await stored(second)
        assert sections["coping"] == ["Hot shower"] and state.step == "warning_signs"
    finally:
        await second.stop()


async def test_a_step_this_version_does_not_know_lands_on_the_plan(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await quick_plan(h)
    h.send("/safetyplan")
    await h.answer("safetyplan.plan_header")
    _, state = await stored(h)
    async with h.services.db.transaction() as session:
        row = await session.get(FlowState, state.patient_id)
        row.step, row.data = "edit", {**row.data, "section": "passwords"}
    h.send("/safetyplan")
    plan = await h.answer("safetyplan.plan_header")
    assert "• Hot shower" in plan.text
