"""/privacy, /export and /delete: what is stored, all of it exported, all of it erased."""

from __future__ import annotations

import json

from sqlalchemy import inspect, select, text

from bot.db.models import Patient


async def test_privacy_shows_stored_settings(harness):
    await harness.onboard()
    harness.send("/privacy")
    record = await harness.answer("privacy.summary")
    assert "Ireland" in record.text and "Europe/Dublin" in record.text
    assert harness.matches(record.text, "privacy.no_records")


async def test_privacy_counts_the_records_kept(sqlite_harness):
    from tests.checkins.helpers import checkin

    h = sqlite_harness
    await h.onboard()
    await checkin(h)
    h.send("/privacy")
    record = await h.answer("privacy.summary")
    assert "check-ins: 1" in record.text and "slips" not in record.text


async def test_privacy_without_consent_says_nothing_is_stored(harness):
    harness.send("/privacy")
    await harness.answer("privacy.nothing_stored")


async def test_export_sends_all_data_as_json(harness):
    await harness.onboard()
    harness.send("/export")
    record = await harness.reply()
    assert record.method == "sendDocument"
    (upload,) = record.files.values()
    document = json.loads(upload.data)
    assert document["patient"]["country"] == "IE"
    assert document["patient"]["checkin_time"] == "20:00"
    assert "exported_at" in document


async def test_delete_erases_everything_after_confirmation(harness):
    await harness.onboard()
    harness.send("/delete")
    confirm = await harness.answer("privacy.delete_confirm")
    harness.press(confirm, "No, keep it")
    await harness.answer("privacy.delete_kept")
    harness.send("/delete")
    confirm = await harness.answer("privacy.delete_confirm")
    harness.press(confirm, "Yes, erase")
    await harness.answer("privacy.deleted")
    await harness.settle()
    async with harness.services.db.transaction() as session:
        assert await session.scalar(select(Patient).where(Patient.chat_id == harness.chat_id)) is None
        tables = await session.run_sync(lambda s: inspect(s.connection()).get_table_names())
        for name in tables:
            if name in ("alembic_version", "bot_state"):
                continue
            rows = (await session.execute(text(f"SELECT * FROM {name}"))).all()
            assert rows == [], f"{name} still holds rows after /delete: {rows}"


async def test_delete_button_for_another_patient_is_refused(harness):
    await harness.onboard()
    harness.send("/delete")
    confirm = await harness.answer("privacy.delete_confirm")
    harness.press_data(confirm.message_id, "dl:yes:P-ZZZZZ")
    await harness.answer("privacy.delete_kept")
    await harness.settle()
    async with harness.services.db.transaction() as session:
        assert await session.scalar(select(Patient).where(Patient.chat_id == harness.chat_id)) is not None
