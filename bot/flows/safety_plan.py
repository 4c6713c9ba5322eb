"""/safetyplan: the Stanley-Brown safety plan, built step by step in the patient's own words.

Steps: the seven sections of ``bot.safety.safety_plan.SECTIONS`` in order (building), then ``view`` (the
whole plan, with "Edit a section" and "Done"), ``pick`` (which section to edit) and ``edit`` (one
section's entries: remove one, add more). Each typed message is one entry; it is saved to the plan and
to the flow state in the same transaction, so nothing is lost to a restart, a crisis or /cancel. The
safety gate screens every message first; at the building and editing steps (``FEELING_STEPS``) it lets
the text through, so an entry is saved whatever it says, and a crisis is answered after it was saved.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CommandHandler, filters

from bot.flows.base import FlowCtx, Press
from bot.handlers.context import BotContext
from bot.repos import flows as flow_repo
from bot.repos import safety_plans as plan_repo
from bot.safety import in_flow
from bot.safety.helplines import ABUSE_KINDS
from bot.safety.safety_plan import SECTIONS
from bot.sending import send_text
from bot.services.text import clean

FLOW = "safetyplan"
# Steps whose typed answers may hold hard feelings: saved as they are (see bot.safety.in_flow)
FEELING_STEPS = frozenset({*SECTIONS, "edit"})
MAX_ENTRY = 300
MAX_ENTRIES = 10
MAX_MESSAGE = 4000  # Telegram allows 4096 UTF-16 units; a long plan is sent in several messages
Rows = list[list[InlineKeyboardButton]]


# -- entry point: /safetyplan (also usable as a feature of bot.handlers.features) -------------------
COMMANDS = (("safetyplan", "help.lines.safetyplan", "help.commands.safetyplan"),)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("safetyplan", command, filters=private))


async def command(update: Update, ctx: BotContext) -> None:
    """/safetyplan: needs consent first (a patient record), then starts or resumes the flow."""
    chat_id = update.effective_chat.id
    patient = await ctx.patient(chat_id)
    if patient is None:
        text = ctx.services.content.text(ctx.language(None, update), "onboarding.consent_needed")
        await send_text(ctx.bot, chat_id, text)
        return
    await start(FlowCtx(ctx, chat_id, patient, await flow_repo.get(ctx.session, patient.id)))


async def start(fc: FlowCtx) -> None:
    """Resumes a plan in progress, shows a saved plan, or begins building a new one."""
    if fc.state is not None and fc.state.flow == FLOW:
        await ask(fc)
        return
    sections = await _load(fc)
    if any(sections.values()):
        await fc.move(FLOW, "view", {"sections": sections})
    else:
        await fc.say(fc.t("safetyplan.intro", total=len(SECTIONS)))
        await fc.move(FLOW, SECTIONS[0], {"sections": sections})
    await ask(fc)


async def ask(fc: FlowCtx) -> None:
    """Shows the current step again (after a restart, a stale button or a wrong answer)."""
    kind = _kind(fc)
    if kind == "build":
        await ask_section(fc)
    elif kind in ASK:
        await ASK[kind](fc)
    else:  # a step this version does not know: the plan itself is the safe place to land
        await to_view(fc, "")


# -- the plan in the flow data and in its table ------------------------------------------------------
async def _load(fc: FlowCtx) -> dict[str, list[str]]:
    plan = await plan_repo.get(fc.ctx.session, fc.patient.id)
    stored = plan.sections if plan and isinstance(plan.sections, dict) else {}
    return {key: _as_list(stored.get(key)) for key in SECTIONS}


def _as_list(value: object) -> list[str]:
    values = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    return [str(v) for v in values if str(v).strip()]


def _sections(fc: FlowCtx) -> dict[str, list[str]]:
    stored = fc.data.get("sections") or {}
    return {key: _as_list(stored.get(key)) for key in SECTIONS}


def _entries(fc: FlowCtx, section: str) -> list[str]:
    return _sections(fc).get(section, [])


async def _store(fc: FlowCtx, section: str, entries: list[str]) -> None:
    """Saves the changed section to the plan and to the flow state, in this update's transaction."""
    sections = {**_sections(fc), section: entries}
    assert fc.state is not None
    await fc.move(FLOW, fc.state.step, {**fc.data, "sections": sections})
    await plan_repo.save(fc.ctx.session, fc.patient.id, sections, fc.ctx.services.clock.now())


async def _add(fc: FlowCtx, section: str, text: str) -> str:
    """Adds one entry (cleaned, capped); returns what to tell the patient: added, shortened or full."""
    entries = _entries(fc, section)
    if len(entries) >= MAX_ENTRIES:
        key = "safetyplan.section_full" if _kind(fc) == "build" else "safetyplan.section_full_edit"
        return fc.t(key, max=MAX_ENTRIES)
    entry = clean(text)
    await _store(fc, section, [*entries, entry[:MAX_ENTRY].rstrip()])
    if len(entry) > MAX_ENTRY:
        return fc.t("safetyplan.added_shortened", max=MAX_ENTRY)
    return fc.t("safetyplan.added")


def _bullets(fc: FlowCtx, entries: list[str]) -> list[str]:
    return [f"• {e}" for e in entries] or [fc.t("safetyplan.nothing_yet")]


async def _say_long(fc: FlowCtx, lines: list[str], rows: Rows | None = None) -> None:
    """Sends ``lines`` in as few messages as Telegram allows; the buttons go under the last one."""
    chunks: list[str] = []
    for line in lines:
        joined = f"{chunks[-1]}\n{line}" if chunks else line
        if chunks and len(joined.encode("utf-16-le")) // 2 <= MAX_MESSAGE:
            chunks[-1] = joined
        else:
            chunks.append(line)
    chunks = [c.strip() for c in chunks if c.strip()]
    for chunk in chunks[:-1]:
        await fc.say(chunk)
    await fc.say(chunks[-1], rows)


# -- building: one section per step ----------------------------------------------------------------
async def ask_section(fc: FlowCtx, lead: str = "") -> None:
    """Shows a section's prompt with what it holds so far; after an entry, only ``lead``."""
    assert fc.state is not None
    section = fc.state.step
    entries = _entries(fc, section)
    rows = _section_rows(fc, section, entries)
    if lead:  # the patient's entries are right above in the chat: a short reply is enough
        await fc.say(lead, rows)
        return
    number = SECTIONS.index(section) + 1
    progress = fc.t("safetyplan.progress", number=number, total=len(SECTIONS))
    title = fc.t(f"safetyplan.titles.{section}")
    lines = [f"{progress}. {title}", "", fc.t(f"safetyplan.prompts.{section}")]
    if entries:
        lines += ["", fc.t("safetyplan.so_far"), *_bullets(fc, entries)]
    await _say_long(fc, lines, rows)


def _section_rows(fc: FlowCtx, section: str, entries: list[str]) -> Rows:
    forward = "safetyplan.button_next" if entries else "safetyplan.button_skip"
    rows = [[fc.button(fc.t(forward), "next")], *_contact_rows(fc, section, entries)]
    last = [fc.button(fc.t("safetyplan.button_finish"), "finish")]
    if section != SECTIONS[0]:
        last.insert(0, fc.button(fc.t("common.back"), "back"))
    return [*rows, last]


async def text_section(fc: FlowCtx, text: str) -> None:
    """Stores a typed entry in the current section and offers the next one."""
    assert fc.state is not None
    await ask_section(fc, lead=await _add(fc, fc.state.step, text))


async def forward(fc: FlowCtx, _: str) -> bool:
    """Goes on to the next section; after the last one, shows the finished plan."""
    assert fc.state is not None
    index = SECTIONS.index(fc.state.step) + 1
    if index < len(SECTIONS):
        await fc.move(FLOW, SECTIONS[index])
    else:
        await fc.say(fc.t("safetyplan.complete"))
        await fc.move(FLOW, "view")
    await ask(fc)
    return True


async def backward(fc: FlowCtx, _: str) -> bool:
    assert fc.state is not None
    index = SECTIONS.index(fc.state.step)
    await fc.move(FLOW, SECTIONS[max(index - 1, 0)])
    await ask(fc)
    return True


async def finish_for_now(fc: FlowCtx, _: str) -> bool:
    """Leaves the flow; every entry is already saved."""
    await fc.finish()
    await fc.say(fc.t("safetyplan.saved_for_now"))
    return True


# -- professionals: the clinic's line and the country's helplines as one tap -------------------------
def _contacts(fc: FlowCtx) -> dict[str, tuple[str, str]]:
    """Offerable contacts: button value -> (name, the entry it adds)."""
    clinic = fc.ctx.services.config.clinic
    offers: dict[str, tuple[str, str]] = {}
    line = clinic.crisis_line or clinic.contact
    if line:
        offers["clinic"] = (clinic.name, fc.t("safetyplan.helpline_entry", name=clinic.name, contact=line))
    lines = fc.ctx.services.helplines.for_country(fc.patient.country).helplines
    for i, h in enumerate([h for h in lines if h.kind not in ABUSE_KINDS][:4]):
        contact, name = h.phone or h.text or h.url, h.name_in(fc.lang)
        offers[f"h{i}"] = (name, fc.t("safetyplan.helpline_entry", name=name, contact=contact))
    return offers


def _contact_rows(fc: FlowCtx, section: str, entries: list[str]) -> Rows:
    if section != "professionals" or len(entries) >= MAX_ENTRIES:
        return []
    label = "safetyplan.button_add_contact"
    return [
        [fc.button(fc.t(label, name=name), "contact", value)]
        for value, (name, entry) in _contacts(fc).items()
        if entry not in entries
    ]


async def add_contact(fc: FlowCtx, value: str) -> bool:
    """Adds the clinic's line or a helpline to the professionals section (values checked here)."""
    section = _current_section(fc)
    offer = _contacts(fc).get(value)
    if section != "professionals" or offer is None or offer[1] in _entries(fc, section):
        return False
    lead = await _add(fc, section, offer[1])
    await (ask_edit(fc, lead) if _kind(fc) == "edit" else ask_section(fc, lead))
    return True


def _current_section(fc: FlowCtx) -> str:
    step = fc.state.step if fc.state else ""
    return step if step in SECTIONS else str(fc.data.get("section", ""))


# -- the saved plan: view, pick a section, edit it ---------------------------------------------------
async def ask_view(fc: FlowCtx) -> None:
    """Shows the whole plan, every section in the patient's own words."""
    lines = [fc.t("safetyplan.plan_header")]
    for key, entries in _sections(fc).items():
        lines += ["", fc.t(f"safetyplan.titles.{key}"), *_bullets(fc, entries)]
    rows = [
        [fc.button(fc.t("safetyplan.button_edit"), "edit")],
        [fc.button(fc.t("safetyplan.button_done"), "done")],
    ]
    await _say_long(fc, lines, rows)


async def ask_pick(fc: FlowCtx) -> None:
    rows = [[fc.button(fc.t(f"safetyplan.titles.{key}"), "section", key)] for key in SECTIONS]
    rows.append([fc.button(fc.t("safetyplan.button_to_plan"), "back")])
    await fc.say(fc.t("safetyplan.pick_section"), rows)


async def ask_edit(fc: FlowCtx, lead: str = "") -> None:
    """Shows one section's entries, numbered, with a remove button for each."""
    section = _current_section(fc)
    entries = _entries(fc, section)
    lines = [lead, ""] if lead else []
    lines.append(fc.t(f"safetyplan.titles.{section}"))
    lines += [f"{i}. {e}" for i, e in enumerate(entries, 1)]
    lines += ["", fc.t("safetyplan.edit_intro" if entries else "safetyplan.edit_empty")]
    label = "safetyplan.button_remove"
    removes = [fc.button(fc.t(label, number=i + 1), "remove", str(i)) for i in range(len(entries))]
    rows = [removes[i : i + 5] for i in range(0, len(removes), 5)]
    rows += _contact_rows(fc, section, entries)
    rows.append([fc.button(fc.t("safetyplan.button_add"), "add")])
    rows.append([fc.button(fc.t("safetyplan.button_to_plan"), "back")])
    await _say_long(fc, lines, rows)


async def to_pick(fc: FlowCtx, _: str) -> bool:
    await fc.move(FLOW, "pick")
    await ask_pick(fc)
    return True


async def to_view(fc: FlowCtx, _: str) -> bool:
    await fc.move(FLOW, "view", {"sections": _sections(fc)})
    await ask_view(fc)
    return True


async def pick_section(fc: FlowCtx, value: str) -> bool:
    if value not in SECTIONS:
        return False
    await fc.move(FLOW, "edit", {**fc.data, "section": value})
    await ask_edit(fc)
    return True


async def remove(fc: FlowCtx, value: str) -> bool:
    """Removes the entry at the index in ``value`` (checked: digits, in range)."""
    section = _current_section(fc)
    entries = _entries(fc, section)
    if not value.isdigit() or len(value) > 2 or int(value) >= len(entries):
        return False
    index = int(value)
    await _store(fc, section, entries[:index] + entries[index + 1 :])
    await ask_edit(fc, lead=fc.t("safetyplan.removed"))
    return True


async def hint_add(fc: FlowCtx, _: str) -> bool:
    section = _current_section(fc)
    await fc.say(fc.t(f"safetyplan.prompts.{section}") + "\n\n" + fc.t("safetyplan.type_entry"))
    return True


async def text_edit(fc: FlowCtx, text: str) -> None:
    """Adds a typed entry to the section being edited."""
    await ask_edit(fc, lead=await _add(fc, _current_section(fc), text))


async def done(fc: FlowCtx, _: str) -> bool:
    await fc.finish()
    emergency = fc.ctx.services.helplines.for_country(fc.patient.country).emergency
    await fc.say(fc.t("safetyplan.done", emergency=emergency))
    return True


# -- routing ---------------------------------------------------------------------------------------
ASK: dict[str, Callable[[FlowCtx], Awaitable[None]]] = {"view": ask_view, "pick": ask_pick, "edit": ask_edit}
Action = Callable[[FlowCtx, str], Awaitable[bool]]
PRESS: dict[tuple[str, str], Action] = {
    ("build", "next"): forward,
    ("build", "back"): backward,
    ("build", "finish"): finish_for_now,
    ("build", "contact"): add_contact,
    ("view", "edit"): to_pick,
    ("view", "done"): done,
    ("pick", "section"): pick_section,
    ("pick", "back"): to_view,
    ("edit", "remove"): remove,
    ("edit", "add"): hint_add,
    ("edit", "contact"): add_contact,
    ("edit", "back"): to_view,
}


def _kind(fc: FlowCtx) -> str:
    """``build`` for the seven sections, else the step; ``lost`` for an edit without a valid section."""
    step = fc.state.step if fc.state else ""
    if step in SECTIONS:
        return "build"
    return "lost" if step == "edit" and fc.data.get("section") not in SECTIONS else step


async def on_press(fc: FlowCtx, press: Press) -> None:
    """Routes a button of the current step; anything that does not fit shows the step again."""
    action = PRESS.get((_kind(fc), press.action))
    if action is None or not await action(fc, press.value):
        await ask(fc)


async def on_text(fc: FlowCtx, text: str) -> None:
    """Typed text is an entry while building or editing, saved whatever it says (a crisis is then
    answered by the safety service and the plan waits; a concern gets a gentle check after the reply);
    elsewhere a hint and the buttons again."""
    kind = _kind(fc)
    if not clean(text):
        await ask(fc)
    elif kind in ("build", "edit"):
        lead = await _add(fc, _current_section(fc), text)
        risk = await in_flow.after_saved(fc, text)
        if in_flow.is_crisis(risk):
            return
        await (ask_section(fc, lead) if kind == "build" else ask_edit(fc, lead))
        await in_flow.gentle_check(fc, risk)
    elif (risk := in_flow.screening(fc, text)).is_risk:  # not an entry here: the gate's defence in depth
        await in_flow.respond(fc, risk)
    else:
        await fc.say(fc.t("safetyplan.hint_buttons"))
        await ask(fc)


FLOWS = {FLOW: sys.modules[__name__]}  # this module is the flow (see bot.handlers.features)
