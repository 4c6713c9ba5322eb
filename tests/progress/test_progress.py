"""/progress, /slip, milestones and the weekly summary, through the real application."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from bot.config import ConfigError, ProgressConfig, load_config
from bot.db.models import CheckIn, Flag, FlowState, Milestone, Patient, Reminder, Slip
from bot.progress import summary
from tests.harness import Harness

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 21)  # the harness clock starts on Saturday 2026-11-21, 10:00 UTC


# -- helpers -----------------------------------------------------------------------------------------
async def patient(h: Harness) -> Patient:
    await h.settle()
    async with h.services.db.transaction() as session:
        found = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        assert found is not None
        return found


async def set_quit_date(h: Harness, day: dt.date | None) -> None:
    await h.settle()
    async with h.services.db.transaction() as session:
        found = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        found.quit_date = day


async def add_checkins(h: Harness, *rows: tuple[int, int, int]) -> None:
    """Completed check-ins as (days ago, mood, craving), as the check-in flow stores them."""
    p = await patient(h)
    now = h.clock.now()
    async with h.services.db.transaction() as session:
        for days_ago, mood, craving in rows:
            day = TODAY - dt.timedelta(days=days_ago)
            at = dt.datetime.combine(day, dt.time(20, 5), tzinfo=dt.UTC)
            session.add(
                CheckIn(
                    patient_id=p.id,
                    local_date=day,
                    started_at=min(at, now),
                    completed_at=min(at, now),
                    source="command",
                    mood=mood,
                    craving=craving,
                )
            )


async def rows(h: Harness, model) -> list:
    await h.settle()
    async with h.services.db.transaction() as session:
        return list((await session.scalars(select(model))).all())


async def progress_messages(h: Harness) -> list:
    """Sends /progress and returns what came back, up to the chart (or the note that there is none)."""
    h.send("/progress")
    out = []
    for _ in range(5):
        record = await h.reply()
        out.append(record)
        if record.method == "sendPhoto" or any(
            h.matches(record.text or "", k)
            for k in ("progress.report.no_chart", "progress.report.chart_failed")
        ):
            return out
    raise AssertionError([r.text for r in out])


def figures(h: Harness, messages: list) -> str:
    (text,) = [r.text for r in messages if h.matches(r.text or "", "progress.report.title")]
    return text


async def open_slip(h: Harness):
    h.send("/slip")
    return await h.answer("progress.slip.ask_when")


def days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


# -- /progress ---------------------------------------------------------------------------------------
async def test_progress_sends_figures_and_a_chart_photo(harness):
    h = harness
    await h.onboard()  # quit date: today
    await set_quit_date(h, TODAY - dt.timedelta(days=10))
    await add_checkins(h, (3, 4, 7), (2, 5, 6), (1, 6, 5), (0, 7, 3))
    messages = await progress_messages(h)
    text = figures(h, messages)
    assert h.matches(text, "progress.report.since_quit", day=11, days=days(10), date="11 Nov 2026")
    assert h.matches(text, "progress.report.current", days=days(10))
    assert h.matches(text, "progress.report.longest", days=days(10))
    assert h.matches(text, "progress.report.without_use", days=days(10))
    assert h.matches(text, "progress.report.checkins", count=4, streak=days(4))
    assert h.matches(text, "progress.report.counting")
    assert not h.matches(text, "progress.report.after_slip")
    photo = messages[-1]
    assert photo.method == "sendPhoto" and h.matches(photo.text, "progress.report.chart_caption")
    (upload,) = photo.files.values()
    assert upload.data[:8] == b"\x89PNG\r\n\x1a\n" and upload.size > 10_000
    assert photo.result["photo"][-1]["width"] == 1080 and photo.result["photo"][-1]["height"] == 1350
    # The milestones reached (1, 3, 7 days) were celebrated once, the highest in words.
    assert h.matches(messages[0].text, "progress.milestones.d7")


async def test_a_slip_resets_only_the_current_streak_and_is_marked_on_the_chart(harness):
    h = harness
    await h.onboard()
    await set_quit_date(h, TODAY - dt.timedelta(days=10))
    await add_checkins(h, (2, 5, 6), (0, 6, 4))
    record = await open_slip(h)
    h.press(record, "Yesterday")
    h.press(await h.answer("progress.slip.ask_detail", date="20 Nov 2026"), "Skip")
    h.press(await h.answer("progress.slip.ask_note"), "Skip")
    done = await h.answer("progress.slip.done")
    assert h.matches(done.text, "progress.slip.history", without_use=days(9), longest=days(9))
    assert h.matches(done.text, "progress.slip.streak_since", date="21 Nov 2026")
    messages = await progress_messages(h)
    text = figures(h, messages)
    assert h.matches(text, "progress.report.since_quit", day=11, days=days(10), date="11 Nov 2026")
    assert h.matches(text, "progress.report.current", days=days(0))
    assert h.matches(text, "progress.report.longest", days=days(9))
    assert h.matches(text, "progress.report.without_use", days=days(9))
    assert h.matches(text, "progress.report.after_slip")
    assert h.matches(messages[-1].text, "progress.report.chart_caption_slips")


async def test_progress_without_a_quit_date_is_kind_and_shows_checkins(harness):
    h = harness
    await h.onboard()
    await set_quit_date(h, None)
    await add_checkins(h, (1, 5, 5), (0, 6, 4))
    messages = await progress_messages(h)
    text = figures(h, messages)
    assert h.matches(text, "progress.report.not_set")
    assert not h.matches(text, "progress.report.current")
    assert h.matches(text, "progress.report.checkins", count=2, streak=days(2))
    assert messages[-1].method == "sendPhoto"
    assert await rows(h, Milestone) == []


async def test_progress_with_a_quit_date_ahead_and_no_checkins(harness):
    h = harness
    await h.onboard()
    await set_quit_date(h, TODAY + dt.timedelta(days=3))
    messages = await progress_messages(h)
    text = figures(h, messages)
    assert h.matches(text, "progress.report.upcoming", date="24 Nov 2026", days=days(3))
    assert h.matches(text, "progress.report.no_checkins")
    assert h.matches(messages[-1].text, "progress.report.no_chart")
    assert not [r for r in messages if r.method == "sendPhoto"]


async def test_progress_on_the_quit_date(harness):
    h = harness
    await h.onboard()
    text = figures(h, await progress_messages(h))
    assert h.matches(text, "progress.report.quit_today", date="21 Nov 2026")
    assert h.matches(text, "progress.report.current", days=days(0))


async def test_progress_needs_consent(harness):
    harness.send("/progress")
    await harness.answer("onboarding.consent_needed")
    harness.send("/slip")
    await harness.answer("onboarding.consent_needed")


async def test_chart_failure_still_gives_the_figures(harness, monkeypatch):
    h = harness
    await h.onboard()
    await add_checkins(h, (0, 5, 5))

    def broken(*_args, **_kw):
        raise RuntimeError("no fonts on this machine")

    monkeypatch.setattr("bot.progress.chart.render_png", broken)
    messages = await progress_messages(h)
    figures(h, messages)
    assert h.matches(messages[-1].text, "progress.report.chart_failed")


# -- milestones --------------------------------------------------------------------------------------
async def test_each_milestone_is_celebrated_once(harness):
    h = harness
    await h.onboard()  # quit today: nothing to celebrate yet
    messages = await progress_messages(h)
    assert not any(h.matches(r.text or "", f"progress.milestones.d{d}") for r in messages for d in (1, 3))
    h.clock.advance(days=1)
    messages = await progress_messages(h)
    assert h.matches(messages[0].text, "progress.milestones.d1")
    messages = await progress_messages(h)
    assert not any(h.matches(r.text or "", "progress.milestones.d1") for r in messages)
    h.clock.advance(days=2)
    assert h.matches((await progress_messages(h))[0].text, "progress.milestones.d3")
    assert sorted(m.days for m in await rows(h, Milestone)) == [1, 3]


async def test_a_slip_does_not_take_a_milestone_away_and_old_ones_are_not_repeated(harness):
    h = harness
    await h.onboard()
    await set_quit_date(h, TODAY - dt.timedelta(days=95))
    messages = await progress_messages(h)
    assert h.matches(messages[0].text, "progress.milestones.d90")
    assert sorted(m.days for m in await rows(h, Milestone)) == [1, 3, 7, 14, 30, 60, 90]
    record = await open_slip(h)
    h.press(record, "Today")
    h.press(await h.answer("progress.slip.ask_detail"), "Skip")
    h.press(await h.answer("progress.slip.ask_note"), "Skip")
    await h.answer("progress.slip.done")
    messages = await progress_messages(h)
    assert not any(h.matches(r.text or "", "progress.milestones.d90") for r in messages)
    assert len(await rows(h, Milestone)) == 7


async def test_celebrate_due_is_idempotent_in_one_transaction(harness):
    from bot.progress.milestones import celebrate_due

    h = harness
    await h.onboard()
    await set_quit_date(h, TODAY - dt.timedelta(days=7))
    async with h.services.db.transaction() as session:
        p = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        first = await celebrate_due(h.services, session, p)
        second = await celebrate_due(h.services, session, p)
    assert h.matches(first, "progress.milestones.d7") and second is None


# -- /slip -------------------------------------------------------------------------------------------
async def test_slip_records_what_and_a_note_flags_staff_and_offers_support(harness):
    h = harness
    await h.onboard(country="Ireland")
    record = await open_slip(h)
    labels = [label for label, _ in h.buttons(record)]
    assert labels == ["Today", "Yesterday", "Another day", "Not now"]
    h.press(record, "Today")
    await h.answer("progress.slip.ask_detail", date="21 Nov 2026")
    h.send("some ket, about half a gram")
    await h.answer("progress.slip.ask_note")
    h.send("a party with old friends")
    done = await h.answer("progress.slip.done")
    assert h.matches(done.text, "progress.slip.streak_tomorrow")
    assert h.matches(done.text, "progress.slip.team_told")
    assert h.matches(done.text, "progress.slip.support", emergency="112")
    assert "/safetyplan" in done.text and "/sos" in done.text
    (slip,) = await rows(h, Slip)
    assert (slip.local_date, slip.source) == (TODAY, "slip")
    assert (slip.detail, slip.note) == ("some ket, about half a gram", "a party with old friends")
    (flag,) = await rows(h, Flag)
    assert (flag.priority, flag.source, flag.status) == (0, "slip", "new")
    assert "2026-11-21" in flag.reason and flag.excerpt is None
    post = await h.staff_post("staff.flag")
    assert "ROUTINE" in post.text and "slip reported" in post.text
    assert await rows(h, FlowState) == []


async def test_slip_on_a_typed_date_with_bad_dates_first(harness):
    h = harness
    await h.onboard()
    record = await open_slip(h)
    h.press(record, "Another day")
    hint = await h.answer("progress.slip.type_date")
    assert [label for label, _ in h.buttons(hint)] == ["Today", "Yesterday", "Not now"]
    for typed, key in (
        ("last weekend", "progress.slip.date_unknown"),
        ("31/02/2026", "progress.slip.date_unknown"),
        ("25/11/2026", "progress.slip.date_future"),
        ("2025-11-01", "progress.slip.date_too_old"),
    ):
        h.send(typed)
        problem = await h.answer(key)
        assert [label for label, _ in h.buttons(problem)] == ["Today", "Yesterday", "Not now"]
    assert await rows(h, Slip) == []
    h.send("18/11/2026")
    await h.answer("progress.slip.ask_detail", date="18 Nov 2026")
    (slip,) = await rows(h, Slip)
    assert slip.local_date == dt.date(2026, 11, 18)


async def test_a_wrong_date_can_still_be_left_with_not_now(harness):
    h = harness
    await h.onboard()
    h.press(await open_slip(h), "Another day")
    await h.answer("progress.slip.type_date")
    h.send("someday")
    h.press(await h.answer("progress.slip.date_unknown"), "Not now")
    await h.answer("progress.slip.cancelled")
    assert await rows(h, Slip) == [] and await rows(h, FlowState) == []


async def test_slip_not_now_records_nothing(harness):
    h = harness
    await h.onboard()
    h.press(await open_slip(h), "Not now")
    await h.answer("progress.slip.cancelled")
    assert await rows(h, Slip) == [] and await rows(h, Flag) == []
    assert await rows(h, FlowState) == []


async def test_slip_stays_recorded_after_cancel_half_way(harness):
    h = harness
    await h.onboard()
    h.press(await open_slip(h), "Yesterday")
    await h.answer("progress.slip.ask_detail")
    h.send("/cancel")
    await h.answer("common.cancelled")
    (slip,) = await rows(h, Slip)
    assert slip.local_date == TODAY - dt.timedelta(days=1) and slip.detail is None
    assert len(await rows(h, Flag)) == 1


async def test_slip_without_staff_flags_when_the_clinic_turns_them_off(harness):
    h = harness
    h.services.config = dataclasses.replace(h.services.config, progress=ProgressConfig(slip_flags=False))
    await h.onboard()
    h.press(await open_slip(h), "Today")
    h.press(await h.answer("progress.slip.ask_detail"), "Skip")
    h.press(await h.answer("progress.slip.ask_note"), "Skip")
    done = await h.answer("progress.slip.done")
    assert not h.matches(done.text, "progress.slip.team_told")
    assert len(await rows(h, Slip)) == 1 and await rows(h, Flag) == []


async def test_stale_and_forged_slip_buttons_record_nothing_twice(harness):
    h = harness
    await h.onboard()
    record = await open_slip(h)
    h.press(record, "Today")
    await h.answer("progress.slip.ask_detail")
    h.press(record, "Today")  # the same, older message again
    await h.replies_until("progress.slip.ask_detail")
    state = (await rows(h, FlowState))[0]
    h.press_data(record.message_id, f"fl:{state.version}:pick:tomorrow")
    await h.replies_until("progress.slip.ask_detail")
    h.press_data(record.message_id, f"fl:{state.version}:skip:x';DROP")
    await h.settle()
    assert len(await rows(h, Slip)) == 1


async def test_a_crisis_typed_in_the_slip_flow_gets_the_crisis_reply_and_is_not_stored_as_detail(harness):
    h = harness
    await h.onboard()
    h.press(await open_slip(h), "Today")
    await h.answer("progress.slip.ask_detail")
    h.send("I took 30 pills an hour ago")
    reply = await h.reply()
    assert "112" in reply.text.splitlines()[0]  # the emergency number first
    (slip,) = await rows(h, Slip)
    assert slip.detail is None
    assert max(f.priority for f in await rows(h, Flag)) == 3
    h.send("ket")
    await h.replies_until("progress.slip.ask_note")


async def test_slip_during_onboarding_does_not_overwrite_setup(harness):
    h = harness
    h.send("/start")
    await h.answer("onboarding.welcome")
    h.press(await h.answer("onboarding.privacy_notice"), "I agree")
    await h.settle()
    h.send("/slip")
    await h.replies_until("progress.slip.needs_setup")
    (state,) = await rows(h, FlowState)
    assert state.flow == "setup"


async def test_slip_longer_than_the_limit_is_kept_shortened(harness):
    h = harness
    await h.onboard()
    h.press(await open_slip(h), "Today")
    await h.answer("progress.slip.ask_detail")
    h.send("word " * 500)  # 2,500 characters: a long message, within Telegram's limit
    await h.answer("progress.slip.ask_note")
    (slip,) = await rows(h, Slip)
    assert len(slip.detail) == 1000


# -- /export -----------------------------------------------------------------------------------------
async def test_export_has_slips_from_every_source_and_milestones(harness):
    h = harness
    await h.onboard()
    await set_quit_date(h, TODAY - dt.timedelta(days=3))
    h.press(await open_slip(h), "Yesterday")
    await h.answer("progress.slip.ask_detail")
    h.send("a little")
    h.press(await h.answer("progress.slip.ask_note"), "Skip")
    await h.answer("progress.slip.done")
    p = await patient(h)
    async with h.services.db.transaction() as session:
        session.add(Slip(patient_id=p.id, local_date=TODAY, recorded_at=h.clock.now(), source="checkin"))
    await progress_messages(h)
    h.send("/export")
    record = await _document(h)
    document = json.loads(record.files["document"].data)
    assert [(s["local_date"], s["source"], s["detail"]) for s in document["slips"]] == [
        ("2026-11-20", "slip", "a little"),
        ("2026-11-21", "checkin", None),
    ]
    assert [m["days"] for m in document["milestones"]] == [1, 3]


async def _document(h: Harness):
    for _ in range(5):
        record = await h.reply()
        if record.method == "sendDocument":
            return record
    raise AssertionError("no export document")


# -- weekly summary ----------------------------------------------------------------------------------
async def test_weekly_summary_is_planned_once_sent_and_the_next_week_planned(harness):
    h = harness
    await h.onboard(country="Ireland")  # Europe/Dublin (UTC+0 in November), check-in at 20:00
    await set_quit_date(h, TODAY - dt.timedelta(days=12))
    await add_checkins(h, (1, 6, 3), (0, 4, 5))
    async with h.services.db.transaction() as session:
        await summary.plan_missing_summaries(h.services, session)
        await summary.plan_missing_summaries(h.services, session)  # twice: still one
    (planned,) = [r for r in await rows(h, Reminder) if r.kind == "summary"]
    # Sunday 2026-11-22 (the clinic's weekly day), an hour after the 20:00 check-in time.
    assert planned.key == "summary:2026-11-22"
    assert planned.due_at == dt.datetime(2026, 11, 22, 21, 0, tzinfo=dt.UTC)
    h.clock.advance(days=1, hours=11, minutes=1)
    await h.bot.dispatcher.run_once()
    message = await h.replies_until("progress.weekly.title")
    assert h.matches(message.text, "progress.weekly.checkins", count=2)
    assert h.matches(message.text, "progress.weekly.averages", mood="5.0", craving="4.0")
    assert h.matches(message.text, "progress.report.since_quit", day=14, days=days(13), date="9 Nov 2026")
    summaries = sorted((r.key, r.status) for r in await rows(h, Reminder) if r.kind == "summary")
    assert summaries == [("summary:2026-11-22", "sent"), ("summary:2026-11-29", "pending")]


async def test_weekly_summary_without_checkins_and_replanned_after_a_change_of_time(harness):
    h = harness
    await h.onboard(country="Ireland")
    await h.settle()  # onboarding's transaction has committed
    async with h.services.db.transaction() as session:
        p = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        await summary.plan_next_summary(h.services, session, p)
        p.checkin_time, p.timezone = "08:00", "America/New_York"
        await summary.replan_summary(h.services, session, p)
    (planned,) = [r for r in await rows(h, Reminder) if r.kind == "summary"]
    # 09:00 in New York (UTC-5) on Sunday 22 November.
    assert planned.due_at == dt.datetime(2026, 11, 22, 14, 0, tzinfo=dt.UTC)
    h.clock.advance(days=1, hours=4)
    await h.bot.dispatcher.run_once()
    message = await h.replies_until("progress.weekly.title")
    assert h.matches(message.text, "progress.weekly.no_checkins")


async def test_next_summary_day_wraps_past_midnight_and_skips_a_passed_one(harness):
    services = harness.services
    p = Patient(checkin_time="23:30", timezone="Europe/Dublin")
    # Sunday 23:30 + 1 hour = Monday 00:30; on Monday 00:10 that one is still ahead.
    day, due = summary.next_summary_day(services, p, dt.datetime(2026, 11, 23, 0, 10, tzinfo=dt.UTC))
    assert (day, due) == (dt.date(2026, 11, 22), dt.datetime(2026, 11, 23, 0, 30, tzinfo=dt.UTC))
    day, due = summary.next_summary_day(services, p, dt.datetime(2026, 11, 23, 0, 31, tzinfo=dt.UTC))
    assert day == dt.date(2026, 11, 29)


# -- configuration -----------------------------------------------------------------------------------
def test_slip_flags_setting_is_typed(tmp_path: Path):
    assert load_config(ROOT / "config.toml", env={}).progress.slip_flags is True
    text = (ROOT / "config.toml").read_text()
    bad = tmp_path / "config.toml"
    bad.write_text(text.replace("slip_flags = true", 'slip_flags = "yes"'))
    with pytest.raises(ConfigError, match="progress.slip_flags"):
        load_config(bad, env={})
    off = tmp_path / "off.toml"
    off.write_text(text.replace("slip_flags = true", "slip_flags = false"))
    assert load_config(off, env={}).progress.slip_flags is False


async def test_weekly_chart_can_be_drawn_after_the_transaction_closed(harness):
    h = harness
    await h.onboard()
    await add_checkins(h, (1, 6, 3), (0, 4, 5))
    async with h.services.db.transaction() as session:
        p = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        job = summary.photo_job(h.services, await summary.load(h.services, session, p))
        await session.execute(delete(CheckIn))
        empty = summary.photo_job(h.services, await summary.load(h.services, session, p))
    assert empty is None and job is not None
    png = await job()  # as the dispatcher would, once the rows are recorded and the session is gone
    assert png is not None and png[:4] == b"\x89PNG"


async def test_no_weekly_summary_while_reminders_are_paused_and_the_next_one_is_still_planned(harness):
    h = harness
    await h.onboard(country="Ireland")
    await h.settle()
    async with h.services.db.transaction() as session:
        p = await session.scalar(select(Patient).where(Patient.chat_id == h.chat_id))
        p.reminders_paused_until = TODAY + dt.timedelta(days=3)  # onboarding planned the summary already
    h.clock.advance(days=1, hours=11, minutes=1)
    await h.bot.dispatcher.run_once()
    await h.settle()
    assert not [t for t in h.sent_texts() if h.matches(t, "progress.weekly.title")]
    summaries = sorted((r.key, r.status) for r in await rows(h, Reminder) if r.kind == "summary")
    assert summaries == [("summary:2026-11-22", "skipped"), ("summary:2026-11-29", "pending")]


async def test_start_up_plans_a_summary_for_every_patient_without_one(harness):
    from bot.handlers.features import run_startup_jobs

    h = harness
    await h.onboard()
    await h.onboard(chat_id=5002)
    await h.settle()
    async with h.services.db.transaction() as session:  # as if planned by neither set-up nor a start
        await session.execute(delete(Reminder).where(Reminder.kind == "summary"))
    await run_startup_jobs(h.services)
    await run_startup_jobs(h.services)  # a second start plans nothing more
    summaries = [(r.patient_id, r.key) for r in await rows(h, Reminder) if r.kind == "summary"]
    assert sorted(key for _, key in summaries) == ["summary:2026-11-22", "summary:2026-11-22"]
    assert len({patient_id for patient_id, _ in summaries}) == 2
