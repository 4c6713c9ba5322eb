"""The hot path's reads and writes (patients.by_chat, flags.has_open, flows.put/clear) on a real,
migrated database: a change made in the same session is always seen, and a flow step is stored as
written, including changes a handler then makes to the state object directly. (Statements per update
are a figure printed by bench/processing.py, not pinned here.)"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm.exc import StaleDataError

from bot.db.models import Flag, FlowState
from bot.repos import flags, flows, patients

NOW = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)
_TABLE = FlowState.__table__  # a Core statement: as another transaction would, unseen by this session


async def at_mood_step(harness):
    """An onboarded patient at the check-in's first step; onboarding's last transaction has committed."""
    await harness.onboard()
    await harness.settle()
    db = harness.services.db
    async with db.transaction() as session:
        patient = await patients.by_chat(session, harness.chat_id)
        await flows.put(session, patient.id, "checkin", "mood", {}, NOW)
    return db, patient


async def test_the_patient_their_flow_state_and_open_flags_are_read_as_stored(harness):
    await harness.onboard()
    await harness.settle()  # onboarding's last transaction has committed
    db = harness.services.db
    async with db.transaction() as session:
        patient = await patients.by_chat(session, harness.chat_id)
        await flows.put(session, patient.id, "checkin", "mood", {"mood": 3}, NOW)
    async with db.read() as session:
        patient = await patients.by_chat(session, harness.chat_id)
        again = await patients.by_chat(session, harness.chat_id)
        state = await flows.get(session, patient.id)
        flagged = await flags.has_open(session, patient.id)
    assert again is patient  # one object per row and session: SQLAlchemy's identity map
    assert (state.flow, state.step, state.data, flagged) == ("checkin", "mood", {"mood": 3}, False)


async def test_someone_unknown_is_no_patient(harness):
    async with harness.services.db.read() as session:
        assert await patients.by_chat(session, 424242) is None


async def test_a_flag_raised_or_closed_in_the_same_session_is_seen(harness):
    await harness.onboard()
    await harness.settle()  # onboarding's last transaction has committed
    db = harness.services.db
    async with db.transaction() as session:
        patient = await patients.by_chat(session, harness.chat_id)
        assert await flags.has_open(session, patient.id) is False
        flag = await flags.add(
            session,
            Flag(patient_id=patient.id, priority=2, source="test", reason="r", status="new", created_at=NOW),
        )
        assert await flags.has_open(session, patient.id) is True
        flag.status = "resolved"
        assert await flags.has_open(session, patient.id) is False
    async with db.transaction() as session:  # a new session reads it afresh
        patient = await patients.by_chat(session, harness.chat_id)
        assert await flags.has_open(session, patient.id) is False


async def test_flow_steps_written_by_core_statements_match_the_rows(harness):
    await harness.onboard()
    await harness.settle()  # onboarding's last transaction has committed
    db = harness.services.db
    async with db.transaction() as session:
        patient = await patients.by_chat(session, harness.chat_id)
        first = await flows.put(session, patient.id, "checkin", "mood", {"a": 1}, NOW)
        second = await flows.put(session, patient.id, "checkin", "craving", {"a": 2}, NOW)
        assert second is first and (second.step, second.version, second.data) == ("craving", 2, {"a": 2})
        assert not session.dirty  # flushed: the row is what the handler holds
        second.data = {**second.data, "note": "typed by the handler"}  # a handler's own change
    async with db.transaction() as session:
        row = await session.scalar(select(FlowState).where(FlowState.patient_id == patient.id))
        assert (row.flow, row.step, row.version) == ("checkin", "craving", 2)
        assert row.data == {"a": 2, "note": "typed by the handler"}


async def test_a_flow_finished_and_another_started_in_one_session(harness):
    db, patient = await at_mood_step(harness)
    async with db.transaction() as session:
        patient = await patients.by_chat(session, harness.chat_id)
        assert (await flows.get(session, patient.id)).step == "mood"
        await flows.clear(session, patient.id)
        assert await flows.get(session, patient.id) is None
        started = await flows.put(session, patient.id, "coping", "menu", {"x": 1}, NOW)
        assert started.version == 1
    async with db.transaction() as session:
        rows = (await session.scalars(select(FlowState).where(FlowState.patient_id == patient.id))).all()
        assert [(r.flow, r.step, r.version, r.data) for r in rows] == [("coping", "menu", 1, {"x": 1})]
    async with db.transaction() as session:
        patient = await patients.by_chat(session, harness.chat_id)
        await flows.clear(session, patient.id)
    async with db.transaction() as session:
        assert await session.scalar(select(FlowState).where(FlowState.patient_id == patient.id)) is None


async def test_a_step_whose_row_was_removed_meanwhile_fails(harness):
    db, patient = await at_mood_step(harness)
    with pytest.raises(StaleDataError):  # so the update is retried, and reads the state afresh
        async with db.transaction() as session:
            patient = await patients.by_chat(session, harness.chat_id)
            state = await flows.get(session, patient.id)  # the handler holds the step it read
            assert state.step == "mood"
            await session.execute(delete(_TABLE).where(_TABLE.c.patient_id == patient.id))  # "elsewhere"
            await flows.put(session, patient.id, "checkin", "craving", {}, NOW)


async def test_a_failed_update_leaves_the_flow_step_as_it_was(harness):
    db, patient = await at_mood_step(harness)
    try:
        async with db.transaction() as session:
            patient = await patients.by_chat(session, harness.chat_id)
            await flows.put(session, patient.id, "checkin", "craving", {}, NOW)
            raise RuntimeError("the handler failed after moving on")
    except RuntimeError:
        pass
    async with db.transaction() as session:
        patient = await patients.by_chat(session, harness.chat_id)
        state = await flows.get(session, patient.id)
        assert (state.step, state.version) == ("mood", 1)
