"""Set-up: the onboarding steps after consent, and ``/settings`` reopening any of them.

Steps, in order (see ``setup.mmd`` beside this file): language -> country -> timezone -> substance ->
quit (-> quit_date) -> checkin -> summary. Each step has an ``ask_*`` that shows it, and accepts a
button press and, where it makes sense, typed text. In settings mode (and after "change X" on the
summary) a step returns to the summary instead of going on.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.checkins.schedule import replan
from bot.flows.base import FlowCtx, Press
from bot.measures.schedule import replan_weekly
from bot.progress.summary import replan_summary
from bot.recovery import peak
from bot.services import geo
from bot.triggers import service as triggers

FLOW = "setup"
ORDER = ("language", "country", "timezone", "substance", "quit", "checkin", "summary")
CHANGEABLE = ("language", "country", "timezone", "substance", "quit", "checkin")


# -- starting, moving, finishing -------------------------------------------------------------------
async def start(fc: FlowCtx, mode: str) -> None:
    """Opens set-up: onboarding begins at the first step, settings at the summary."""
    first = "summary" if mode == "settings" else _first_step(fc)
    await fc.move(FLOW, first, {"mode": mode, "history": []})
    await ask(fc)


def _first_step(fc: FlowCtx) -> str:
    return "language" if len(fc.ctx.services.content.languages) > 1 else "country"


async def goto(fc: FlowCtx, step: str) -> None:
    history = [*fc.data.get("history", []), fc.state.step] if fc.state else []
    await fc.move(FLOW, step, {**fc.data, "history": history[-20:]})
    await ask(fc)


async def advance(fc: FlowCtx) -> None:
    """Goes to the next step, or back to the summary when the patient came from there."""
    current = fc.state.step if fc.state else ORDER[0]
    if fc.data.get("mode") == "settings" or fc.data.get("from_summary"):
        await goto(fc, "summary")
        return
    index = ORDER.index(current) if current in ORDER else ORDER.index("quit")
    await goto(fc, ORDER[index + 1])


async def back(fc: FlowCtx) -> None:
    history = list(fc.data.get("history", []))
    if not history:
        await ask(fc)
        return
    previous = history.pop()
    await fc.move(FLOW, previous, {**fc.data, "history": history})
    await ask(fc)


async def ask(fc: FlowCtx) -> None:
    """Shows the current step again (after a restart, a stale button or a wrong answer)."""
    assert fc.state is not None
    await ASK[fc.state.step](fc)


def _with_back(fc: FlowCtx, rows: list) -> list:
    if fc.data.get("history"):
        rows.append([fc.button(fc.t("common.back"), "back")])
    return rows


# -- steps -----------------------------------------------------------------------------------------
async def ask_language(fc: FlowCtx) -> None:
    langs = fc.ctx.services.content.languages
    rows = [[fc.button(fc.t(f"onboarding.languages.{code}"), "pick", code)] for code in langs]
    await fc.say(fc.t("onboarding.step_language"), _with_back(fc, rows))


async def pick_language(fc: FlowCtx, value: str) -> bool:
    if value not in fc.ctx.services.content.languages:
        return False
    fc.patient.language = value
    return True


async def ask_country(fc: FlowCtx) -> None:
    cfg = fc.ctx.services.config.clinic
    suggestions = [c for c in (fc.patient.country, cfg.default_country) if c]
    book = fc.ctx.services.helplines
    rows = [
        [fc.button(geo.display_name(c, book.for_country(c).name), "pick", c)]
        for c in dict.fromkeys(suggestions)
        if c in geo.country_names()
    ]
    rows.append([fc.button(fc.t("onboarding.country_other"), "type")])
    await fc.say(fc.t("onboarding.step_country"), _with_back(fc, rows))


async def pick_country(fc: FlowCtx, value: str) -> bool:
    if value not in geo.country_names():
        return False
    if value != fc.patient.country:
        fc.patient.country = value
        zones = geo.zones_for(value)
        if fc.patient.timezone not in zones and len(zones) == 1:
            fc.patient.timezone = zones[0]
    return True


async def text_country(fc: FlowCtx, text: str) -> bool:
    code = geo.find_country(text)
    return code is not None and await pick_country(fc, code)


async def ask_timezone(fc: FlowCtx) -> None:
    zones = geo.zones_for(fc.patient.country)[:8] or [fc.ctx.services.config.clinic.default_timezone]
    rows = [[fc.button(z.replace("_", " "), "pick", z)] for z in zones]
    await fc.say(
        fc.t("onboarding.step_timezone") + "\n" + fc.t("onboarding.timezone_type"), _with_back(fc, rows)
    )


async def pick_timezone(fc: FlowCtx, value: str) -> bool:
    zone = _valid_zone(value)
    if zone is None:
        return False
    fc.patient.timezone = zone
    return True


_ZONE_NAMES: dict[str, str] = {}  # casefolded -> name; read once (available_timezones() takes ~9 ms)
_ZONE_CITIES: dict[str, list[str]] = {}  # casefolded city of an "Area/City" zone -> those zones


def _valid_zone(value: str) -> str | None:
    value = value.strip().replace(" ", "_").casefold()
    if not _ZONE_NAMES:
        for zone in sorted(available_timezones()):
            _ZONE_NAMES[zone.casefold()] = zone
            if zone.count("/") == 1:
                _ZONE_CITIES.setdefault(zone.casefold().split("/")[1], []).append(zone)
    name = _ZONE_NAMES.get(value)
    if name is None and "/" not in value:  # a city alone: "Dublin" -> Europe/Dublin
        cities = _ZONE_CITIES.get(value, [])
        name = cities[0] if len(cities) == 1 else None
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


async def ask_substance(fc: FlowCtx) -> None:
    options = fc.ctx.services.config.clinic.substances
    rows = [[fc.button(_substance_label(fc, s), "pick", s)] for s in options]
    await fc.say(fc.t("onboarding.step_substance"), _with_back(fc, rows))


def _substance_label(fc: FlowCtx, substance: str) -> str:
    key = f"onboarding.substances.{substance}"
    return fc.t(key) if fc.ctx.services.content.has(key) else substance.capitalize()


async def pick_substance(fc: FlowCtx, value: str) -> bool:
    if value not in fc.ctx.services.config.clinic.substances:
        return False
    fc.patient.substance = value
    return True


async def ask_quit(fc: FlowCtx) -> None:
    rows = [
        [
            fc.button(fc.t("onboarding.quit_today"), "pick", "today"),
            fc.button(fc.t("onboarding.quit_yesterday"), "pick", "yesterday"),
        ],
        [
            fc.button(fc.t("onboarding.quit_other"), "type"),
            fc.button(fc.t("onboarding.quit_not_yet"), "pick", "not_yet"),
        ],
    ]
    await fc.say(fc.t("onboarding.step_quit"), _with_back(fc, rows))


async def pick_quit(fc: FlowCtx, value: str) -> bool:
    today = _local_today(fc)
    choices = {"today": today, "yesterday": today - dt.timedelta(days=1), "not_yet": None}
    if value not in choices:
        return False
    fc.patient.quit_date = choices[value]
    return True


async def text_quit(fc: FlowCtx, text: str) -> bool | str:
    day = parse_date(text)
    if day is None:
        return "onboarding.quit_unknown"
    today = _local_today(fc)
    if day > today + dt.timedelta(days=366):
        return "onboarding.quit_future"
    if day < today - dt.timedelta(days=366 * 20):
        return "onboarding.quit_past"
    fc.patient.quit_date = day
    return True


def _local_today(fc: FlowCtx) -> dt.date:
    zone = ZoneInfo(fc.patient.timezone or fc.ctx.services.config.clinic.default_timezone)
    return fc.ctx.services.clock.now().astimezone(zone).date()


def parse_date(text: str) -> dt.date | None:
    """Reads 2026-11-03, 03/11/2026, 3.11.2026 or 3-11-26 (day before month outside ISO)."""
    text = text.strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        y, m, d = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})", text)
        if not match:
            return None
        d, m, y = (int(g) for g in match.groups())
        y = y + 2000 if y < 100 else y
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


async def ask_checkin(fc: FlowCtx) -> None:
    times = fc.ctx.services.config.checkin.time_choices
    rows = [[fc.button(t, "pick", t) for t in times[i : i + 3]] for i in range(0, len(times), 3)]
    await fc.say(fc.t("onboarding.step_checkin"), _with_back(fc, rows))


async def pick_checkin(fc: FlowCtx, value: str) -> bool:
    parsed = parse_time(value)
    if parsed is None:
        return False
    fc.patient.checkin_time = parsed
    return True


def parse_time(text: str) -> str | None:
    """Reads 19:30, 7:30, 19.30, 19, 7pm or 7:30 am as HH:MM."""
    match = re.fullmatch(r"\s*(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*", text.casefold())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


async def ask_summary(fc: FlowCtx) -> None:
    p = fc.patient
    not_set = fc.t("onboarding.summary_not_set")
    text = fc.t(
        "onboarding.summary",
        language=fc.t(f"onboarding.languages.{fc.lang}"),
        country=_country(fc, p.country) or not_set,
        timezone=p.timezone or not_set,
        substance=_substance_label(fc, p.substance) if p.substance else not_set,
        quit=p.quit_date.isoformat() if p.quit_date else fc.t("onboarding.summary_not_yet"),
        checkin=p.checkin_time or not_set,
    )
    steps = [s for s in CHANGEABLE if s != "language" or len(fc.ctx.services.content.languages) > 1]
    rows = [
        [fc.button(fc.t(f"onboarding.change_{s}"), "change", s) for s in steps[i : i + 2]]
        for i in range(0, len(steps), 2)
    ]
    rows.append([fc.button(fc.t("onboarding.summary_done"), "done")])
    await fc.say(text, rows)


def _country(fc: FlowCtx, code: str | None) -> str:
    return geo.display_name(code, fc.ctx.services.helplines.for_country(code).name) if code else ""


async def complete(fc: FlowCtx) -> None:
    """Ends set-up: onboarding is marked done, or the changed settings are confirmed."""
    settings_mode = fc.data.get("mode") == "settings"
    if fc.patient.onboarded_at is None:
        fc.patient.onboarded_at = fc.ctx.services.clock.now()
        # The extra message on days 2-4 is on unless the patient turns it off (/learn).
        fc.patient.peak_support_time = fc.ctx.services.config.recovery.peak_support_time
    fc.patient.updated_at = fc.ctx.services.clock.now()
    await fc.finish()
    services, session = fc.ctx.services, fc.ctx.session
    await replan(services, session, fc.patient)
    await replan_weekly(services, session, fc.patient)
    await replan_summary(services, session, fc.patient)
    await peak.replan(services, session, fc.patient)
    await triggers.replan_all(services, session, fc.patient)
    if settings_mode:
        await fc.say(fc.t("onboarding.settings_saved"))
    else:
        await fc.say(fc.t("onboarding.finished", checkin=fc.patient.checkin_time))


# -- routing ---------------------------------------------------------------------------------------
ASK: dict[str, Callable[[FlowCtx], Awaitable[None]]] = {
    "language": ask_language,
    "country": ask_country,
    "timezone": ask_timezone,
    "substance": ask_substance,
    "quit": ask_quit,
    "checkin": ask_checkin,
    "summary": ask_summary,
}
PICK: dict[str, Callable[[FlowCtx, str], Awaitable[bool]]] = {
    "language": pick_language,
    "country": pick_country,
    "timezone": pick_timezone,
    "substance": pick_substance,
    "quit": pick_quit,
    "checkin": pick_checkin,
}
TEXT: dict[str, Callable[[FlowCtx, str], Awaitable[bool | str]]] = {
    "country": text_country,
    "timezone": pick_timezone,
    "quit": text_quit,
    "checkin": pick_checkin,
}
TYPE_HINT = {
    "country": "onboarding.country_type",
    "quit": "onboarding.quit_type",
    "timezone": "onboarding.timezone_type",
}
UNKNOWN = {
    "country": "onboarding.country_unknown",
    "timezone": "onboarding.timezone_unknown",
    "checkin": "onboarding.checkin_unknown",
    "quit": "onboarding.quit_unknown",
}


async def on_press(fc: FlowCtx, press: Press) -> None:
    """Routes a button of the current step; anything that does not fit shows the step again."""
    assert fc.state is not None
    step = fc.state.step
    if press.action == "back":
        await back(fc)
    elif press.action == "type" and step in TYPE_HINT:
        await fc.say(fc.t(TYPE_HINT[step]))
    elif press.action == "pick" and step in PICK and await PICK[step](fc, press.value):
        await advance(fc)
    elif press.action == "change" and step == "summary" and press.value in CHANGEABLE:
        await fc.move(FLOW, press.value, {**fc.data, "from_summary": True, "history": ["summary"]})
        await ask(fc)
    elif press.action == "done" and step == "summary":
        await complete(fc)
    else:
        await ask(fc)


async def on_text(fc: FlowCtx, text: str) -> None:
    """Typed text: accepted where the step reads text, else a short hint and the buttons again."""
    assert fc.state is not None
    step = fc.state.step
    if step not in TEXT:
        await fc.say(fc.t("onboarding.hint_buttons"))
        await ask(fc)
        return
    result = await TEXT[step](fc, text)
    if result is True:
        await advance(fc)
    else:
        await fc.say(fc.t(result if isinstance(result, str) else UNKNOWN[step]))
