"""Reach out: the patient's support people (names and how to reach them, kept by the patient as
``PersonalItem`` kind "supporter"), the clinic's contact, and one tap to ask the care team to get in touch
(a flag for staff). Steps: ``reach`` (the list) , ``reach_name`` -> ``reach_contact``, ``reach_remove``."""

from __future__ import annotations

from bot.coping import common, service
from bot.coping.common import Step
from bot.flows.base import FlowCtx, Press
from bot.ingest.unit import after_commit
from bot.safety import promises

TOOL = "reach_out"
MAX_NAME = 80


async def start(fc: FlowCtx) -> None:
    changes = await common.begin_use(fc, TOOL)
    await common.goto(fc, "reach", **changes, asked=False)


def _emergency(fc: FlowCtx) -> str:
    country = fc.patient.country or fc.ctx.services.config.clinic.default_country
    return fc.ctx.services.helplines.for_country(country).emergency


async def ask_list(fc: FlowCtx) -> None:
    people = await service.items(fc.ctx.session, fc.patient, service.SUPPORTER)
    lines = [fc.t("coping.reach_header") if people else fc.t("coping.reach_none")]
    for person in people:
        key = "coping.reach_person" if person.contact else "coping.reach_person_no_contact"
        lines.append(fc.t(key, name=person.text, contact=person.contact or ""))
    contact = fc.ctx.services.config.clinic.contact
    if contact:
        lines += ["", fc.t("coping.reach_clinic", clinic=fc.ctx.services.config.clinic.name, contact=contact)]
    if fc.data.get("asked"):
        lines += ["", fc.t("coping.team_already_asked")]
    lines += ["", fc.t("coping.reach_sos", emergency=_emergency(fc))]
    rows = [[fc.button(fc.t("coping.button_add_person"), "add")]]
    if people:
        rows[0].append(fc.button(fc.t("coping.button_remove"), "remove"))
    if not fc.data.get("asked"):
        rows.append([fc.button(fc.t("coping.button_ask_team"), "team")])
    rows.append([fc.button(fc.t("coping.button_done"), "done")])
    await fc.say("\n".join(lines), rows)


async def press_list(fc: FlowCtx, press: Press) -> bool:
    if press.action == "add":
        await common.goto(fc, "reach_name")
    elif press.action == "remove":
        await common.goto(fc, "reach_remove")
    elif press.action == "team":
        await ask_team(fc)
    elif press.action == "done":
        await common.tool_done(fc, finished=True)
    else:
        return False
    return True


async def ask_team(fc: FlowCtx) -> None:
    """One tap: staff get a flag asking them to contact the patient; the patient is told what to expect."""
    services = fc.ctx.services
    await service.ask_care_team(services, fc.ctx.session, fc.patient, common.current_craving(fc))
    wake = fc.ctx.application.bot_data.get("sweeper_wake")
    if wake is not None:
        after_commit(wake)
    key = "coping.team_asked" if promises.staff_channel(fc.ctx) else "coping.team_unreachable"
    await fc.say(fc.t(key, emergency=_emergency(fc)))
    await common.goto(fc, "reach", asked=True)


async def ask_name(fc: FlowCtx) -> None:
    await fc.say(fc.t("coping.reach_name"), [[fc.button(fc.t("common.back"), "back")]])


async def press_back(fc: FlowCtx, press: Press) -> bool:
    if press.action != "back":
        return False
    await common.goto(fc, "reach")
    return True


async def text_name(fc: FlowCtx, text: str) -> None:
    if await common.risky(fc, text):
        return
    await common.goto(fc, "reach_contact", draft=text[:MAX_NAME])


async def ask_contact(fc: FlowCtx) -> None:
    rows = [[fc.button(fc.t("coping.button_skip"), "skip"), fc.button(fc.t("common.back"), "back")]]
    await fc.say(fc.t("coping.reach_contact", name=fc.data.get("draft", "")), rows)


async def press_contact(fc: FlowCtx, press: Press) -> bool:
    if press.action == "skip":
        await _save(fc, None)
        return True
    return await press_back(fc, press)


async def text_contact(fc: FlowCtx, text: str) -> None:
    if await common.risky(fc, text):
        return
    await _save(fc, common.shorten(text))


async def _save(fc: FlowCtx, contact: str | None) -> None:
    name = str(fc.data.get("draft") or "").strip()
    now = fc.ctx.services.clock.now()
    saved = bool(name) and await service.add_item(
        fc.ctx.session, fc.patient, service.SUPPORTER, name, contact, now
    )
    await fc.say(fc.t("coping.reach_saved" if saved else "coping.reach_full", name=name))
    await common.goto(fc, "reach", draft=None)


async def ask_remove(fc: FlowCtx) -> None:
    people = await service.items(fc.ctx.session, fc.patient, service.SUPPORTER)
    rows = [
        [fc.button(fc.t("coping.button_remove_person", name=p.text[:40]), "del", str(p.id))] for p in people
    ]
    rows.append([fc.button(fc.t("common.back"), "back")])
    await fc.say(fc.t("coping.reach_pick_remove"), rows)


async def press_remove(fc: FlowCtx, press: Press) -> bool:
    if press.action == "del" and press.value.isdigit():
        await service.remove_item(fc.ctx.session, fc.patient, service.SUPPORTER, int(press.value))
        await fc.say(fc.t("coping.removed"))
        await common.goto(fc, "reach")
        return True
    return await press_back(fc, press)


STEPS = {
    "reach": Step(ask_list, press_list),
    "reach_name": Step(ask_name, press_back, text_name),
    "reach_contact": Step(ask_contact, press_contact, text_contact),
    "reach_remove": Step(ask_remove, press_remove),
}
