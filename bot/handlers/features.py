"""Features beyond the core, each a module with ``register(app)``, ``COMMANDS`` and optionally ``FLOWS``.

``COMMANDS`` lists ``(command, help line key, menu description key)`` in the order /help shows them;
``FLOWS`` maps a flow name to its flow module (see bot/flows/base.py) so typed text and buttons reach
it; optional ``on_start(app)`` / ``on_stop(app)`` run when the bot starts and stops; optional
``STARTUP_JOBS`` are ``(what, job(services))`` pairs (planning every patient's next reminders of a
kind, loading a library) that run in the background once the bot answers patients. Adding a feature is
one import and one entry here.
"""

from __future__ import annotations

import logging
import time
from types import ModuleType
from typing import Any

from bot.flows import safety_plan
from bot.handlers import checkin, coping, learn, measures, progress, triggers

FEATURES: tuple[ModuleType, ...] = (checkin, measures, progress, coping, triggers, learn, safety_plan)

log = logging.getLogger(__name__)
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


def startup_jobs() -> list[tuple[str, Any]]:
    """Every feature's start-up jobs, ``(what, job(services))``, planning the check-in reminders first."""
    from bot.checkins.schedule import plan_missing

    own = [("planning the check-in reminders", plan_missing)]
    return own + [entry for feature in FEATURES for entry in getattr(feature, "STARTUP_JOBS", ())]


async def run_startup_jobs(services: Any) -> None:
    """Runs the start-up jobs one after another; a failing one is logged and the others still run (what
    a planner would plan is planned again at the next start and after each change)."""
    started = time.monotonic()
    for what, job in startup_jobs():
        try:
            done = await job(services)
        except Exception:
            log.exception("start-up job failed: %s", what)
            continue
        if done:
            log.info("%s: %d at start-up", what, done)
    log.info("%s in %.1f s", STARTUP_JOBS_DONE, time.monotonic() - started)


STARTUP_JOBS_DONE = "start-up jobs finished"  # logged once they are (bench/throughput.py waits for it)


async def on_stop(app: Any) -> None:
    """Runs each feature's ``on_stop(app)`` before the application stops (e.g. to end its own tasks)."""
    for feature in FEATURES:
        hook = getattr(feature, "on_stop", None)
        if hook is not None:
            await hook(app)
