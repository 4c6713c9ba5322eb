"""My reasons: the patient's own reasons for recovery (``PersonalItem`` kind "reason"), read slowly during
a craving; collected on first use (one per message), and editable (add, remove). Also opened on its own by
/reasons. Steps: ``reasons`` (the list) , ``reasons_add``, ``reasons_remove``."""

from __future__ import annotations

from collections.abc import Sequence

from bot.coping import common, service
from bot.coping.common import Step
from bot.db.models import PersonalItem
from bot.flows.base import FlowCtx, Press
from bot.safety import in_flow

TOOL = "reasons"
MANAGE = "reasons"  # the flow's mode when opened by /reasons (no craving rating)


def bullets(items: Sequence[PersonalItem]) -> str:
    return "\n".join(f"• {item.text}" for item in items)


def _managing(fc: FlowCtx) -> bool:
    return fc.data.get("mode") == MANAGE


async def start(fc: FlowCtx) -> None:
    """Shows the reasons, or asks for the first ones."""
    changes = {} if _managing(fc) else await common.begin_use(fc, TOOL)
    items = await service.items(fc.ctx.session, fc.patient, service.REASON)
    await common.goto(fc, "reasons" if items else "reasons_add", **changes)


async def ask_list(fc: FlowCtx) -> None:
    items = await service.items(fc.ctx.session, fc.patient, service.REASON)
    if not items:
        await common.goto(fc, "reasons_add")
        return
    lead = "coping.reasons_manage" if _managing(fc) else "coping.reasons_read"
    text = fc.t("coping.reasons_header") + "\n\n" + bullets(items) + "\n\n" + fc.t(lead)
    rows = [
        [fc.button(fc.t("coping.button_add"), "add"), fc.button(fc.t("coping.button_remove"), "remove")],
        [fc.button(fc.t("coping.button_done"), "done")],
    ]
    await fc.say(text, rows)


async def press_list(fc: FlowCtx, press: Press) -> bool:
    steps = {"add": "reasons_add", "remove": "reasons_remove"}
    if press.action in steps:
        await common.goto(fc, steps[press.action])
    elif press.action == "done":
        await done(fc)
    else:
        return False
    return True


async def ask_add(fc: FlowCtx) -> None:
    count = len(await service.items(fc.ctx.session, fc.patient, service.REASON))
    await fc.say(fc.t("coping.reasons_add" if count else "coping.reasons_first"), [_done_row(fc)])


def _done_row(fc: FlowCtx) -> list:
    return [fc.button(fc.t("coping.button_done"), "done")]


async def press_add(fc: FlowCtx, press: Press) -> bool:
    if press.action != "done":
        return False
    items = await service.items(fc.ctx.session, fc.patient, service.REASON)
    if items:
        await common.goto(fc, "reasons")
    else:
        await done(fc)
    return True


async def text_add(fc: FlowCtx, text: str) -> None:
    """One message is one reason, saved whatever it says; a crisis in it is then answered by the safety
    service (and the tool waits), a concern gets a gentle check after the reply."""
    now = fc.ctx.services.clock.now()
    added = await service.add_item(
        fc.ctx.session, fc.patient, service.REASON, common.shorten(text), None, now
    )
    risk = await in_flow.after_saved(fc, text)
    if in_flow.is_crisis(risk):
        return
    await fc.say(fc.t("coping.reasons_added" if added else "coping.reasons_full"), [_done_row(fc)])
    await in_flow.gentle_check(fc, risk)


async def ask_remove(fc: FlowCtx) -> None:
    items = await service.items(fc.ctx.session, fc.patient, service.REASON)
    lines = [f"{n}. {item.text}" for n, item in enumerate(items, 1)]
    rows = [
        [fc.button(fc.t("coping.button_remove_number", number=n), "del", str(item.id))]
        for n, item in enumerate(items, 1)
    ]
    rows.append([fc.button(fc.t("common.back"), "back")])
    await fc.say(fc.t("coping.reasons_pick_remove") + "\n\n" + "\n".join(lines), rows)


async def press_remove(fc: FlowCtx, press: Press) -> bool:
    if press.action == "back":
        await common.goto(fc, "reasons")
        return True
    if press.action != "del" or not press.value.isdigit():
        return False
    await service.remove_item(fc.ctx.session, fc.patient, service.REASON, int(press.value))
    await fc.say(fc.t("coping.removed"))
    await common.goto(fc, "reasons")
    return True


async def done(fc: FlowCtx) -> None:
    """Leaves the reasons: /reasons ends here; during a craving (or after the tape) the craving is rated."""
    if _managing(fc):
        await fc.finish()
        await fc.say(fc.t("coping.reasons_saved"))
        return
    has_any = bool(await service.items(fc.ctx.session, fc.patient, service.REASON))
    await common.tool_done(fc, finished=has_any)


STEPS = {
    "reasons": Step(ask_list, press_list),
    "reasons_add": Step(ask_add, press_add, text_add),
    "reasons_remove": Step(ask_remove, press_remove),
}
