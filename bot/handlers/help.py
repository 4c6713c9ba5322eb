"""/help and /sos: always available, with or without consent."""

from __future__ import annotations

from telegram import Update

from bot.handlers.context import BotContext
from bot.handlers.features import command_menu
from bot.sending import send_text


async def _patient_lang_country(update: Update, ctx: BotContext) -> tuple[object, str, str]:
    patient = await ctx.patient(update.effective_chat.id)
    country = (patient.country if patient else None) or ctx.services.config.clinic.default_country
    return patient, ctx.language(patient, update), country


async def help_command(update: Update, ctx: BotContext) -> None:
    patient, lang, country = await _patient_lang_country(update, ctx)
    s = ctx.services
    lines = [s.content.text(lang, "help.intro"), ""]
    lines += [s.content.text(lang, line) for _, line, _ in command_menu()]
    footer = s.content.text(
        lang,
        "help.footer",
        not_a_clinician=s.content.text(lang, "common.not_a_clinician", clinic=s.config.clinic.name),
        emergency=s.helplines.for_country(country).emergency,
    )
    helplines = "\n".join(s.crisis.helpline_lines(lang, country))
    text = "\n".join(lines) + "\n\n" + footer + "\n" + helplines
    if patient is None:
        text += "\n\n" + s.content.text(lang, "help.no_consent_extra")
    await send_text(ctx.bot, update.effective_chat.id, text)


async def sos(update: Update, ctx: BotContext) -> None:
    _, lang, country = await _patient_lang_country(update, ctx)
    s = ctx.services
    lines = s.crisis.helpline_lines(lang, country)
    text = (
        s.content.text(lang, "sos.intro")
        + "\n\n"
        + "\n".join(lines)
        + "\n\n"
        + s.content.text(lang, "crisis.not_a_clinician_no_consent")
    )
    await send_text(ctx.bot, update.effective_chat.id, text)
