"""Everything a handler needs, built once at start-up and shared through ``bot_data``."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Config
from bot.content import Content
from bot.db.engine import Database
from bot.safety.crisis import CrisisResponder
from bot.safety.helplines import HelplineBook


@dataclass
class Services:
    config: Config
    content: Content
    db: Database
    clock: Clock
    helplines: HelplineBook
    crisis: CrisisResponder
