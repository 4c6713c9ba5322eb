"""Rules of first contact: the introduction a newcomer sees and the record consent creates."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.db.models import Patient
from bot.repos import patients as patient_repo
from bot.services import geo
from bot.services.container import Services


def introduction(
    services: Services, lang: str, code: str
) -> Iterator[tuple[str, InlineKeyboardMarkup | None]]:
    """The welcome (with the emergency number) and the consent question, before anything is stored."""
    clinic = services.config.clinic
    t = services.content.text
    emergency = services.helplines.for_country(clinic.default_country).emergency
    welcome = t(lang, "onboarding.welcome", clinic=clinic.name, emergency=emergency)
    enrolment = clinic.enrolment_for(code) if code else None
    if enrolment is not None:
        part = (
            t(lang, "onboarding.counsellor_part", counsellor=enrolment.counsellor)
            if enrolment.counsellor
            else ""
        )
        welcome += "\n\n" + t(lang, "onboarding.enrolled", team=enrolment.team, counsellor_part=part)
    yield welcome, None
    consent_data = f"cs:yes:{enrolment.code}" if enrolment else "cs:yes"
    buttons = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t(lang, "onboarding.consent_yes"), callback_data=consent_data)],
            [InlineKeyboardButton(t(lang, "onboarding.consent_no"), callback_data="cs:no")],
        ]
    )
    yield t(lang, "onboarding.privacy_notice", clinic=clinic.name), buttons


async def register(
    session: AsyncSession, services: Services, chat_id: int, language_code: str | None, code: str
) -> Patient:
    """Creates the patient record at the moment of consent, tied to the enrolment code if valid."""
    clinic = services.config.clinic
    now = services.clock.now()
    enrolment = clinic.enrolment_for(code) if code else None
    patient = Patient(
        chat_id=chat_id,
        label=await patient_repo.new_label(session),
        consent_at=now,
        language=services.content.resolve_language(language_code),
        country=geo.region_of(language_code),
        timezone=None,
        checkin_time=services.config.checkin.default_time,
        enrolment_code=enrolment.code if enrolment else None,
        team=enrolment.team if enrolment else None,
        counsellor=enrolment.counsellor if enrolment else None,
        active=True,
        created_at=now,
        updated_at=now,
    )
    await patient_repo.add(session, patient)
    return patient
