"""Start-up planning in bulk gives every patient the reminder the per-patient planner would have."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import delete, select, update

from bot.checkins.schedule import next_checkin, plan_missing, plan_next_checkin
from bot.db.models import Patient, Reminder
from bot.reminders import planning
from tests.reminders.conftest import add_patients, enrol, reminders, utc

ZONES = ("Europe/Dublin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "Pacific/Chatham")


async def pending(h) -> dict[int, tuple[str, dt.datetime]]:
    async with h.services.db.transaction() as session:
        rows = await session.scalars(
            select(Reminder).where(Reminder.kind == "checkin", Reminder.status == "pending")
        )
        return {r.patient_id: (r.key, r.due_at) for r in rows}


async def test_bulk_planning_matches_planning_one_patient_at_a_time(bots, monkeypatch):
    monkeypatch.setattr(planning, "CHUNK", 50)  # several chunks
    h = await bots()
    rng = random.Random(7)
    for zone in ZONES:
        times = [f"{rng.randrange(24):02d}:{rng.choice((0, 15, 30, 45)):02d}" for _ in range(4)]
        for n, time in enumerate(times):
            await add_patients(
                h, [8000 + 100 * ZONES.index(zone) + 10 * n + k for k in range(10)], zone, time
            )
    async with h.services.db.transaction() as session:
        patients = list((await session.scalars(select(Patient).order_by(Patient.id))).all())
        for p in patients[::7]:  # paused until a day or two ahead
            p.reminders_paused_until = h.clock.now().date() + dt.timedelta(days=rng.choice((1, 2)))
        # a third had today's (their next) reminder already: it was sent, its key is taken
        await session.execute(
            update(Reminder)
            .where(Reminder.patient_id.in_([p.id for p in patients[::3]]))
            .values(status="sent")
        )
        await session.execute(delete(Reminder).where(Reminder.status == "pending"))
    async with h.services.db.transaction() as session:
        await plan_missing(h.services, session)
    bulk = await pending(h)
    async with h.services.db.transaction() as session:
        await session.execute(delete(Reminder).where(Reminder.status == "pending"))
        for p in (await session.scalars(select(Patient))).all():
            await plan_next_checkin(h.services, session, p)
    one_by_one = await pending(h)
    assert len(bulk) == len(patients) and bulk == one_by_one


async def test_bulk_planning_leaves_out_who_has_one_or_cannot_have_one(bots):
    h = await bots()
    await enrol(h, 6001)  # has a pending reminder already
    await add_patients(h, [6002, 6003, 6004], "Europe/Dublin", "20:00")
    async with h.services.db.transaction() as session:
        await session.execute(delete(Reminder).where(Reminder.patient_id != (await _id(session, 6001))))
        await session.execute(update(Patient).where(Patient.chat_id == 6002).values(active=False))
        await session.execute(update(Patient).where(Patient.chat_id == 6003).values(onboarded_at=None))
    async with h.services.db.transaction() as session:
        same = planning.within(session)
        planned = await planning.plan_missing(same, "checkin", next_checkin, h.clock.now())
        assert planned == 1
    assert [r.key for r in await reminders(h, 6001, "checkin")] == ["checkin:2026-11-21"]
    assert await reminders(h, 6002) == [] and await reminders(h, 6003) == []
    assert [r.key for r in await reminders(h, 6004, "checkin")] == ["checkin:2026-11-21"]
    assert (await reminders(h, 6004, "checkin"))[0].due_at == utc(2026, 11, 21, 20)


async def _id(session, chat: int) -> int:
    return (await session.scalar(select(Patient.id).where(Patient.chat_id == chat))) or 0


# -- start-up jobs run while the bot already answers -----------------------------------------------------
async def test_the_bot_answers_a_crisis_while_start_up_jobs_still_run(db_url, tmp_path, monkeypatch):
    import asyncio

    from bot.handlers import features
    from tests.harness import Harness

    release = asyncio.Event()
    ran: list[str] = []

    async def slow(_services):
        await release.wait()
        ran.append("slow")

    async def broken(_services):
        raise RuntimeError("this planner is broken")

    async def after(_services):
        ran.append("after")

    jobs = [("slow", slow), ("broken", broken), ("after", after), *features.startup_jobs()]
    monkeypatch.setattr(features, "startup_jobs", lambda: jobs)
    h = Harness(db_url, tmp_path)
    starting = asyncio.create_task(h.start())  # the harness waits for the jobs; the bot does not
    try:
        await h.api.wait_polling()
        h.send("I want to kill myself")
        reply = await h.replies_until("crisis.crisis_body")
        assert reply is not None and ran == [] and not starting.done()
        release.set()
        await starting
        assert ran == ["slow", "after"]  # the broken job was logged, and the jobs after it still ran
        h.send("/start")
        await h.answer("onboarding.welcome")
    finally:
        release.set()
        if not starting.done():
            await starting
        await h.stop()
