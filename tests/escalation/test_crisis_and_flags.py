"""Crisis replies, flags in the staff group, the review trail, re-alerts, relay and follow-ups."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from bot.db.models import AuditEntry, Flag, StaffPost
from bot.safety.review import Action, Priority, Status, TransitionRefused, transition
from tests.harness import ON_CALL, STAFF_CHAT

STAFF = 9001
CRISIS = "I want to kill myself tonight"
EMERGENCY = "I took 30 pills an hour ago"


async def flags(h) -> list[Flag]:
    await h.settle()
    async with h.services.db.transaction() as session:
        return list((await session.scalars(select(Flag).order_by(Flag.id))).all())


async def test_crisis_reply_has_helplines_of_the_patients_country_and_buttons(harness):
    await harness.onboard(country="Ireland")
    harness.send(CRISIS)
    reply = await harness.reply()
    assert harness.matches(reply.text, "crisis.crisis_body")
    assert "112" in reply.text.splitlines()[2] or "112" in reply.text  # Ireland's emergency number
    assert "116 123" in reply.text  # Samaritans Ireland
    labels = [label for label, _ in harness.buttons(reply)]
    assert labels == ["I'm safe right now", "I'm not safe", "Talk to a person"]
    post = await harness.staff_post("staff.flag")
    assert "P-" in post.text and "CRISIS" in post.text
    assert [d for _, d in harness.buttons(post)][:2] == [
        f"fg:ack:{(await flags(harness))[0].id}",
        f"fg:res:{(await flags(harness))[0].id}",
    ]


async def test_emergency_reply_puts_the_emergency_number_in_the_first_line(harness):
    await harness.onboard(country="United Kingdom")
    harness.send(EMERGENCY)
    reply = await harness.reply()
    assert "999" in reply.text.splitlines()[0]
    (flag,) = await flags(harness)
    assert flag.priority == 3 and flag.source == "screener"


async def test_a_patient_who_chose_spanish_is_screened_in_spanish_whatever_telegram_says(harness):
    """The gate screens in Telegram's language before reading the patient, then again in theirs."""
    from bot.db.models import Patient

    await harness.onboard()
    await harness.settle()
    async with harness.services.db.transaction() as session:
        patient = await session.scalar(select(Patient).where(Patient.chat_id == harness.chat_id))
        patient.language = "es"
    harness.send("me voy a matar esta noche")  # Telegram says "en": the English lexicon sees nothing
    reply = await harness.reply()
    assert harness.matches(reply.text, "crisis.crisis_body", lang="es")
    (flag,) = await flags(harness)
    assert flag.priority >= 2


async def test_crisis_without_consent_still_gets_help_and_nothing_is_stored(harness):
    harness.send(CRISIS, language_code="en-GB")
    reply = await harness.reply()
    assert harness.matches(reply.text, "crisis.crisis_body") and "116 123" in reply.text
    assert await flags(harness) == []


@contextmanager
def database_down(h):
    """Every transaction fails until the block ends (the poller then answers from memory)."""
    real = h.services.db.transaction

    def broken():
        raise ConnectionError("database is down")

    h.services.db.transaction = broken
    try:
        yield
    finally:
        h.services.db.transaction = real


async def test_crisis_reply_when_the_database_is_down(sqlite_harness):
    h = sqlite_harness
    with database_down(h):
        h.send(CRISIS, language_code="en-IE")
        reply = await h.reply()
        assert h.matches(reply.text, "crisis.crisis_body") and "116 123" in reply.text
    await h.settle(timeout=10)
    crisis_replies = [t for t in h.sent_texts() if h.matches(t, "crisis.crisis_body")]
    assert len(crisis_replies) == 1, "the crisis reply must not be sent twice once the database is back"


async def test_im_not_safe_is_answered_when_the_database_is_down_and_flagged_once_it_is_back(sqlite_harness):
    h = sqlite_harness
    await h.onboard(country="Ireland")
    with database_down(h):
        h.send(CRISIS, language_code="en-IE")
        reply = await h.reply()
        assert h.matches(reply.text, "crisis.crisis_body")
        (data,) = [d for label, d in h.buttons(reply) if label == "I'm not safe"]
        h.api.push_callback(h.chat_id, reply.message_id, data, user={"language_code": "en-IE"})
        unsafe = await h.reply()  # from Telegram's data: the patient's country cannot be read
        assert h.matches(unsafe.text, "safety.unsafe", number="112") and "116 123" in unsafe.text
    await h.settle(timeout=15)
    assert len([t for t in h.sent_texts() if h.matches(t, "safety.unsafe", number="112")]) == 1
    assert any(f.priority == Priority.EMERGENCY and f.source == "safety_button" for f in await flags(h))


async def test_im_not_safe_is_answered_before_the_update_commits(sqlite_harness, monkeypatch):
    """The emergency number goes out at once, not after the commit: an attempt that fails after it
    (here raising the flag) has still answered, and its retry neither loses nor repeats the answer."""
    from bot.safety.escalation import Escalation

    h = sqlite_harness
    await h.onboard(country="Ireland")
    h.send(CRISIS)
    reply = await h.reply()
    await h.settle()  # the crisis message's own flag is raised before the failure is armed
    real, failures = Escalation.raise_flag, []

    async def fails_once(self, *args, **kwargs):
        if not failures:
            failures.append(True)
            raise ConnectionError("the database went away")
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(Escalation, "raise_flag", fails_once)
    h.press(reply, "I'm not safe")
    await h.settle(timeout=10)
    assert failures, "the first attempt failed after answering"
    assert len([t for t in h.sent_texts() if h.matches(t, "safety.unsafe", number="112")]) == 1
    assert any(f.priority == Priority.EMERGENCY and f.source == "safety_button" for f in await flags(h))


async def test_crisis_reply_when_the_staff_group_is_down_and_the_post_arrives_later(harness):
    await harness.onboard()
    harness.api.blocked_chats.add(STAFF_CHAT)
    harness.send(CRISIS)
    reply = await harness.reply()
    assert harness.matches(reply.text, "crisis.crisis_body")
    await harness.settle()
    await harness.bot.sweeper.run_once()
    async with harness.services.db.transaction() as session:
        post = await session.scalar(select(StaffPost).where(StaffPost.kind == "flag"))
        assert post.sent_at is None and post.attempts >= 1 and "Forbidden" in post.last_error
    harness.api.blocked_chats.discard(STAFF_CHAT)
    harness.clock.advance(minutes=6)
    await harness.bot.sweeper.run_once()
    late = await harness.api.wait_for(
        lambda r: r.chat_id == STAFF_CHAT and "could not be posted" in (r.text or "")
    )
    assert "flag #" in late.text


async def test_crisis_reply_when_the_scheduler_is_down(harness):
    """Scheduled work is the reminder dispatcher and the escalation sweeper (no JobQueue): both stopped."""
    await harness.onboard()
    for task in harness.bot._tasks:
        if task.get_name() in ("sweeper", "reminders"):
            task.cancel()
    harness.send(CRISIS)
    reply = await harness.reply()
    assert harness.matches(reply.text, "crisis.crisis_body")


def test_review_state_machine_refuses_nonsense():
    flag = Flag(id=1, status="new", priority=2)
    now = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    assert transition(flag, Action.ACKNOWLEDGE, 1, now) is Status.ACKNOWLEDGED
    with pytest.raises(TransitionRefused):
        transition(flag, Action.ACKNOWLEDGE, 1, now)
    with pytest.raises(TransitionRefused):
        transition(flag, Action.RESOLVE, 1, now, note="  ")
    assert transition(flag, Action.RESOLVE, 2, now, note="called, safe") is Status.RESOLVED
    assert (flag.acknowledged_by, flag.resolved_by, flag.resolution_note) == (1, 2, "called, safe")
    with pytest.raises(TransitionRefused):
        transition(flag, Action.RESOLVE, 2, now, note="again")
    fresh = Flag(id=2, status="new", priority=1)
    transition(fresh, Action.RESOLVE, 3, now, note="duplicate")
    assert fresh.acknowledged_by == 3 and fresh.status == "resolved"


async def test_unacknowledged_crisis_is_raised_again_to_group_and_on_call(harness):
    await harness.onboard()
    await harness.add_staff(STAFF)
    harness.send(CRISIS)
    await harness.staff_post("staff.flag")
    harness.clock.advance(minutes=10)
    await harness.bot.sweeper.run_once()
    assert not [r for r in harness.api.sent if "NOT ACKNOWLEDGED" in (r.text or "")]
    harness.clock.advance(minutes=6)
    await harness.bot.sweeper.run_once()
    await harness.staff_post("staff.realert")
    direct = await harness.api.wait_for(
        lambda r: r.chat_id == ON_CALL and "NOT ACKNOWLEDGED" in (r.text or "")
    )
    (flag,) = await flags(harness)
    harness.api.push_callback(STAFF_CHAT, direct.message_id, f"fg:ack:{flag.id}", user={"id": STAFF})
    await harness.staff_post("staff.acknowledged")
    harness.clock.advance(minutes=60)
    await harness.bot.sweeper.run_once()
    await harness.settle()
    realerts = [
        r for r in harness.api.sent if r.chat_id == STAFF_CHAT and "NOT ACKNOWLEDGED" in (r.text or "")
    ]
    assert len(realerts) == 1


async def test_staff_authorisation(harness):
    await harness.onboard()
    await harness.add_staff(STAFF)
    await harness.add_staff(9002, name="Gone", active=False)
    harness.send(CRISIS)
    post = await harness.staff_post("staff.flag")
    (flag,) = await flags(harness)
    for user_id, data in (
        (12345, f"fg:ack:{flag.id}"),
        (9002, f"fg:ack:{flag.id}"),
        (STAFF, "fg:ack:99999"),
        (STAFF, "fg:ack:1;DROP"),
        (STAFF, "fg:zzz:1"),
    ):
        harness.api.push_callback(STAFF_CHAT, post.message_id, data, user={"id": user_id})
    await harness.settle()
    (flag,) = await flags(harness)
    assert flag.status == "new"
    # Staff pressing in a group that is not the staff group is refused too.
    harness.api.push_callback(-999, post.message_id, f"fg:ack:{flag.id}", user={"id": STAFF})
    await harness.settle()
    assert (await flags(harness))[0].status == "new"
    async with harness.services.db.transaction() as session:
        refused = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "refused_not_staff"))
        ).all()
    assert len(refused) >= 3


async def test_staff_are_told_when_their_reply_does_not_reach_the_patient(sqlite_harness):
    h = sqlite_harness
    await h.onboard()
    await h.add_staff(STAFF)
    h.send(CRISIS)
    await h.staff_post("staff.flag")
    (flag,) = await flags(h)
    h.api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    h.send(f"/reply {flag.id} Are you OK?", chat_id=STAFF_CHAT, chat_type="supergroup", user={"id": STAFF})
    refused = await h.api.wait_for(lambda r: r.chat_id == STAFF_CHAT and "blocked" in (r.text or ""))
    assert h.matches(refused.text, "staff.refused", why="Forbidden: bot was blocked by the user")
    await h.settle()
    assert not any(h.matches(t, "staff.reply_sent", label="") for t in h.sent_texts(STAFF_CHAT))


async def test_relay_both_ways_resolution_note_and_72_hour_follow_up(harness):
    await harness.onboard()
    await harness.add_staff(STAFF)
    harness.send(CRISIS)
    await harness.reply()
    await harness.answer("crisis.care_team_told")  # after the flag was recorded: a staff group exists
    post = await harness.staff_post("staff.flag")
    (flag,) = await flags(harness)
    # Staff reply to the flag message reaches the patient, marked as from the care team.
    harness.send(
        "Hi, this is Sam from the clinic. Can I call you now?",
        chat_id=STAFF_CHAT,
        chat_type="supergroup",
        user={"id": STAFF},
        reply_to_message_id=post.message_id,
    )
    relayed = await harness.answer("safety.staff_reply")
    assert "Can I call you now?" in relayed.text
    # The patient's next message is shown in the flag's thread.
    harness.send("yes please call me")
    shown = await harness.api.wait_for(
        lambda r: r.chat_id == STAFF_CHAT and "yes please call me" in (r.text or "")
    )
    assert shown.params.get("reply_parameters") or shown.params.get("reply_to_message_id")
    await harness.answer("safety.relayed")
    # /reply works too.
    harness.send(
        f"/reply {flag.id} Calling you in 2 minutes.",
        chat_id=STAFF_CHAT,
        chat_type="supergroup",
        user={"id": STAFF},
    )
    await harness.answer("safety.staff_reply")
    # Resolve asks for a note; the reply to the prompt resolves.
    harness.api.push_callback(STAFF_CHAT, post.message_id, f"fg:res:{flag.id}", user={"id": STAFF})
    prompt = await harness.api.wait_for(
        lambda r: r.chat_id == STAFF_CHAT and "resolution note" in (r.text or "")
    )
    harness.send(
        "Spoke on the phone, safe, seeing counsellor tomorrow",
        chat_id=STAFF_CHAT,
        chat_type="supergroup",
        user={"id": STAFF},
        reply_to_message_id=prompt.message_id,
    )
    await harness.api.wait_for(lambda r: r.chat_id == STAFF_CHAT and "resolved by Sam" in (r.text or ""))
    (flag,) = await flags(harness)
    assert flag.status == "resolved" and flag.resolution_note.startswith("Spoke on the phone")
    harness.clock.advance(hours=72, minutes=1)
    await harness.bot.sweeper.run_once()
    await harness.answer("safety.followup")
    async with harness.services.db.transaction() as session:
        actions = [
            a.action for a in (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
        ]
    assert {"flag_raised", "reply", "resolve", "followup"} <= set(actions)


async def test_patient_buttons_raise_flags(harness):
    await harness.onboard()
    harness.send(CRISIS)
    reply = await harness.reply()
    harness.press(reply, "I'm not safe")
    unsafe = await harness.replies_until("safety.unsafe")
    assert "112" in unsafe.text
    await harness.settle()
    priorities = sorted(f.priority for f in await flags(harness))
    assert priorities == [2, 3]
