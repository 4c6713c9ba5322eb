"""Features beyond the core, each a module with ``register(app)``, ``COMMANDS`` and optionally ``FLOWS``.

``COMMANDS`` lists ``(command, help line key, menu description key)`` in the order /help shows them;
``FLOWS`` maps a flow name to its flow module (see bot/flows/base.py) so typed text and buttons reach
it; optional ``on_start(app)`` / ``on_stop(app)`` run when the bot starts and stops. Adding a feature is
one import and one entry here.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from bot.flows import safety_plan
from bot.handlers import checkin, coping, learn, measures, progress, triggers

FEATURES: tuple[ModuleType, ...] = (checkin, measures, progress, coping, triggers, learn, safety_plan)

CORE_COMMANDS = ("start", "sos", "settings", "privacy", "export", "delete", "cancel", "help")


def command_menu() -> list[tuple[str, str, str]]:
    """Every patient command as (name, help line key, menu description key), in /help order."""
    core = [(c, f"help.lines.{c}", f"help.commands.{c}") for c in CORE_COMMANDS]
    extra = [entry for feature in FEATURES for entry in getattr(feature, "COMMANDS", ())]
    return core[:2] + extra + core[2:]


async def on_start(app: Any) -> None:
    """Runs each feature's ``on_start(app)`` once the application has started (e.g. to resume work)."""
    for feature in FEATURES:
        hook = getattr(feature, "on_start", None)
        if hook is not None:
            await hook(app)


async def on_stop(app: Any) -> None:
    """Runs each feature's ``on_stop(app)`` before the application stops (e.g. to end its own tasks)."""
    for feature in FEATURES:
        hook = getattr(feature, "on_stop", None)
        if hook is not None:
            await hook(app)
