"""Typed settings, loaded once from ``config.toml`` and overridden by environment variables.

A wrong or missing setting raises :class:`ConfigError` whose message is one line naming the setting.
Secrets (the bot token, encryption keys) are never part of ``repr`` and never logged.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_CONFIG_PATH = Path("config.toml")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it in one line."""


@dataclass(frozen=True)
class Enrolment:
    code: str
    team: str
    counsellor: str


@dataclass(frozen=True)
class ClinicConfig:
    name: str
    crisis_line: str
    contact: str
    default_language: str
    default_country: str
    default_timezone: str
    substances: tuple[str, ...]
    enrolment: tuple[Enrolment, ...]

    def enrolment_for(self, code: str) -> Enrolment | None:
        return next((e for e in self.enrolment if e.code == code), None)


@dataclass(frozen=True)
class TelegramConfig:
    token: str = field(repr=False)
    api_url: str
    staff_chat_id: int
    poll_timeout_seconds: int


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = field(repr=False)
    busy_timeout_ms: int


@dataclass(frozen=True)
class SecurityConfig:
    encryption_keys: tuple[str, ...] = field(repr=False)
    key_file: Path


@dataclass(frozen=True)
class CheckinConfig:
    default_time: str
    time_choices: tuple[str, ...]
    craving_threshold: int = 7  # a craving at or above it gets an offer of help (0-10)
    mood_flag_threshold: int = 2  # a mood at or below it is flagged for staff (0-10)


@dataclass(frozen=True)
class ProcessingConfig:
    concurrency: int
    max_attempts: int


PRIORITY_NAMES = ("routine", "concern", "crisis", "emergency")


@dataclass(frozen=True)
class EscalationConfig:
    ack_minutes: dict[str, int]
    realert_priorities: tuple[str, ...]
    on_call: tuple[int, ...]
    followup_hours: int
    sweep_seconds: float


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class RemindersConfig:
    late_window_minutes: int
    nudge_after_hours: int
    missed_days_flag: int
    bulk_rate_per_second: float
    per_chat_interval_seconds: float
    weekly_day: int  # 0 = Monday


@dataclass(frozen=True)
class CopingConfig:
    still_high: int = 6  # a craving (0-10) still at or above this after a tool gets more help offered
    edit_interval_seconds: float = 1.0  # a paced exercise edits its message at most this often


@dataclass(frozen=True)
class ProgressConfig:
    slip_flags: bool = True  # a slip recorded with /slip raises a routine flag for the care team


@dataclass(frozen=True)
class TriggersConfig:
    lead_minutes: int = 60  # a risky-time reminder comes this long ahead unless the patient chose
    lead_choices: tuple[int, ...] = (30, 60, 120)  # lead times offered as buttons (minutes)
    outcome_after_hours: int = 3  # "how did it go?" this long after the risky time


@dataclass(frozen=True)
class RecoveryConfig:
    peak_support_time: str = "13:00"  # default local time of the extra message on days 2-4


@dataclass(frozen=True)
class Config:
    clinic: ClinicConfig
    telegram: TelegramConfig
    database: DatabaseConfig
    security: SecurityConfig
    checkin: CheckinConfig
    processing: ProcessingConfig
    escalation: EscalationConfig
    reminders: RemindersConfig
    log_level: str
    content_dir: Path
    coping: CopingConfig = field(default_factory=CopingConfig)
    progress: ProgressConfig = field(default_factory=ProgressConfig)
    triggers: TriggersConfig = field(default_factory=TriggersConfig)
    recovery: RecoveryConfig = field(default_factory=RecoveryConfig)


class _Reader:
    """Reads typed values out of the TOML tree, naming the setting in every error."""

    def __init__(self, data: Mapping[str, Any], env: Mapping[str, str]) -> None:
        self.data = data
        self.env = env

    def raw(self, dotted: str, env: str | None, default: Any) -> Any:
        if env and self.env.get(env, "") != "":
            return self.env[env]
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is _REQUIRED:
                    raise ConfigError(f"config: setting '{dotted}' is missing")
                return default
            node = node[part]
        return node

    def text(self, dotted: str, env: str | None = None, default: Any = "") -> str:
        value = self.raw(dotted, env, default)
        if not isinstance(value, str):
            raise ConfigError(f"config: '{dotted}' must be text, got {type(value).__name__}")
        return value.strip()

    def integer(self, dotted: str, env: str | None = None, default: Any = 0, minimum=None) -> int:
        value = self.raw(dotted, env, default)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"config: '{dotted}' must be a whole number, got {value!r}") from None
        if isinstance(value, bool) or (minimum is not None and number < minimum):
            raise ConfigError(f"config: '{dotted}' must be a whole number >= {minimum}")
        return number

    def text_list(self, dotted: str, env: str | None = None, default: Any = ()) -> tuple[str, ...]:
        value = self.raw(dotted, env, default)
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"config: '{dotted}' must be a list of text")
        return tuple(v.strip() for v in value)


_REQUIRED = object()


def _check_time(dotted: str, value: str) -> str:
    if not _TIME_RE.match(value):
        raise ConfigError(f"config: '{dotted}' must be a time HH:MM, got {value!r}")
    return value


def _check_timezone(dotted: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"config: '{dotted}' is not a known time zone: {value!r}") from None
    return value


def _clinic(r: _Reader) -> ClinicConfig:
    enrol = r.raw("clinic.enrolment", None, [])
    if not isinstance(enrol, list):
        raise ConfigError("config: 'clinic.enrolment' must be a list of tables")
    codes = []
    for i, e in enumerate(enrol):
        if not isinstance(e, Mapping) or not str(e.get("code", "")).strip():
            raise ConfigError(f"config: 'clinic.enrolment[{i}].code' is missing")
        codes.append(Enrolment(str(e["code"]), str(e.get("team", "")), str(e.get("counsellor", ""))))
    substances = r.text_list("clinic.substances", default=["ketamine"])
    if not substances:
        raise ConfigError("config: 'clinic.substances' must name at least one substance")
    country = r.text("clinic.default_country", "DEFAULT_COUNTRY", "GB").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise ConfigError(f"config: 'clinic.default_country' must be a 2-letter code, got {country!r}")
    return ClinicConfig(
        name=r.text("clinic.name", "CLINIC_NAME", _REQUIRED),
        crisis_line=r.text("clinic.crisis_line"),
        contact=r.text("clinic.contact"),
        default_language=r.text("clinic.default_language", "DEFAULT_LANGUAGE", "en"),
        default_country=country,
        default_timezone=_check_timezone(
            "clinic.default_timezone", r.text("clinic.default_timezone", default="UTC")
        ),
        substances=substances,
        enrolment=tuple(codes),
    )


def _telegram(r: _Reader) -> TelegramConfig:
    api_url = r.text("telegram.api_url", "BOT_API_URL", "https://api.telegram.org/bot")
    if not api_url.startswith(("http://", "https://")):
        raise ConfigError(f"config: 'telegram.api_url' (BOT_API_URL) must be an http(s) URL: {api_url!r}")
    token = r.text("telegram.token", "BOT_TOKEN", "")
    if token and not re.fullmatch(r"\d+:[A-Za-z0-9_-]{20,}", token):
        raise ConfigError("config: BOT_TOKEN does not look like a bot token (digits:letters)")
    return TelegramConfig(
        token=token,
        api_url=api_url,
        staff_chat_id=r.integer("telegram.staff_chat_id", "STAFF_CHAT_ID", 0),
        poll_timeout_seconds=r.integer("telegram.poll_timeout_seconds", None, 30, minimum=0),
    )


def _database(r: _Reader) -> DatabaseConfig:
    url = r.text("database.url", "DATABASE_URL", "sqlite+aiosqlite:///data/recovery.db")
    if not url.startswith(("sqlite", "postgresql")):
        raise ConfigError("config: 'database.url' (DATABASE_URL) must be a sqlite or postgresql URL")
    return DatabaseConfig(
        url=url, busy_timeout_ms=r.integer("database.busy_timeout_ms", None, 5000, minimum=0)
    )


def _relative_to(config_path: Path, value: Path) -> Path:
    """A relative folder in the config means relative to the config file, not to the working dir."""
    return value if value.is_absolute() else (config_path.resolve().parent / value)


def _escalation(r: _Reader) -> EscalationConfig:
    minutes = r.raw("escalation.ack_minutes", None, {})
    if not isinstance(minutes, Mapping):
        raise ConfigError("config: 'escalation.ack_minutes' must be a table of priority = minutes")
    defaults = {"emergency": 5, "crisis": 15, "concern": 240, "routine": 1440}
    ack = {}
    for name in PRIORITY_NAMES:
        ack[name] = r.integer(f"escalation.ack_minutes.{name}", None, defaults[name], minimum=1)
    realert = r.text_list("escalation.realert_priorities", default=["emergency", "crisis"])
    for name in realert:
        if name not in PRIORITY_NAMES:
            raise ConfigError(f"config: 'escalation.realert_priorities' has an unknown priority {name!r}")
    on_call = r.raw("escalation.on_call", "ON_CALL", [])
    if isinstance(on_call, str):
        on_call = [v for v in on_call.split(",") if v.strip()]
    try:
        ids = tuple(int(v) for v in on_call)
    except (TypeError, ValueError):
        raise ConfigError(
            "config: 'escalation.on_call' must be a list of numeric Telegram user ids"
        ) from None
    return EscalationConfig(
        ack_minutes=ack,
        realert_priorities=realert,
        on_call=ids,
        followup_hours=r.integer("escalation.followup_hours", None, 72, minimum=1),
        sweep_seconds=float(r.integer("escalation.sweep_seconds", None, 5, minimum=1)),
    )


def _number(r: _Reader, dotted: str, default: float) -> float:
    value = r.raw(dotted, None, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"config: '{dotted}' must be a positive number, got {value!r}")
    return float(value)


def _score(r: _Reader, dotted: str, default: int) -> int:
    value = r.integer(dotted, None, default, minimum=0)
    if value > 10:
        raise ConfigError(f"config: '{dotted}' must be a score from 0 to 10, got {value}")
    return value


def _reminders(r: _Reader) -> RemindersConfig:
    day = r.text("reminders.weekly_day", default="sunday").lower()
    if day not in WEEKDAYS:
        raise ConfigError(f"config: 'reminders.weekly_day' must be a weekday name, got {day!r}")
    return RemindersConfig(
        late_window_minutes=r.integer("reminders.late_window_minutes", None, 120, minimum=0),
        nudge_after_hours=r.integer("reminders.nudge_after_hours", None, 3, minimum=1),
        missed_days_flag=r.integer("reminders.missed_days_flag", None, 3, minimum=1),
        bulk_rate_per_second=_number(r, "reminders.bulk_rate_per_second", 29),
        per_chat_interval_seconds=_number(r, "reminders.per_chat_interval_seconds", 1.0),
        weekly_day=WEEKDAYS.index(day),
    )


def _coping(r: _Reader) -> CopingConfig:
    still_high = r.integer("coping.still_high", None, 6, minimum=0)
    if still_high > 10:
        raise ConfigError(f"config: 'coping.still_high' must be a score from 0 to 10, got {still_high}")
    interval = _number(r, "coping.edit_interval_seconds", 1.0)
    if interval < 0.5:
        raise ConfigError("config: 'coping.edit_interval_seconds' must be at least 0.5 (Telegram's limits)")
    return CopingConfig(still_high=still_high, edit_interval_seconds=interval)


def _progress(r: _Reader) -> ProgressConfig:
    value = r.raw("progress.slip_flags", None, True)
    if not isinstance(value, bool):
        raise ConfigError(f"config: 'progress.slip_flags' must be true or false, got {value!r}")
    return ProgressConfig(slip_flags=value)


def _triggers(r: _Reader) -> TriggersConfig:
    lead = r.integer("triggers.lead_minutes", None, 60, minimum=0)
    raw = r.raw("triggers.lead_choices", None, [30, 60, 120])
    if not isinstance(raw, list) or not raw or not all(type(v) is int and 0 <= v <= 1440 for v in raw):
        raise ConfigError("config: 'triggers.lead_choices' must be a list of minutes from 0 to 1440")
    if lead > 1440:
        raise ConfigError(f"config: 'triggers.lead_minutes' must be at most 1440, got {lead}")
    return TriggersConfig(
        lead_minutes=lead,
        lead_choices=tuple(raw),
        outcome_after_hours=r.integer("triggers.outcome_after_hours", None, 3, minimum=1),
    )


def _recovery(r: _Reader) -> RecoveryConfig:
    time = r.text("recovery.peak_support_time", default="13:00")
    return RecoveryConfig(peak_support_time=_check_time("recovery.peak_support_time", time))


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Loads and validates ``config.toml`` (or ``CONFIG_FILE``) with environment overrides."""
    env = os.environ if env is None else env
    path = path or Path(env.get("CONFIG_FILE", DEFAULT_CONFIG_PATH))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"config: file {path} not found (set CONFIG_FILE or run from the project folder)"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {path} is not valid TOML: {exc}") from None
    r = _Reader(data, env)
    checkin_time = _check_time("checkin.default_time", r.text("checkin.default_time", default="20:00"))
    choices = tuple(_check_time("checkin.time_choices", t) for t in r.text_list("checkin.time_choices"))
    return Config(
        clinic=_clinic(r),
        telegram=_telegram(r),
        database=_database(r),
        security=SecurityConfig(
            encryption_keys=r.text_list("security.encryption_keys", "ENCRYPTION_KEYS"),
            key_file=Path(r.text("security.key_file", "ENCRYPTION_KEY_FILE", "data/encryption.key")),
        ),
        checkin=CheckinConfig(
            default_time=checkin_time,
            time_choices=choices or (checkin_time,),
            craving_threshold=_score(r, "checkin.craving_threshold", 7),
            mood_flag_threshold=_score(r, "checkin.mood_flag_threshold", 2),
        ),
        processing=ProcessingConfig(
            concurrency=r.integer("processing.concurrency", None, 16, minimum=1),
            max_attempts=r.integer("processing.max_attempts", None, 3, minimum=1),
        ),
        escalation=_escalation(r),
        reminders=_reminders(r),
        log_level=r.text("logging.level", "LOG_LEVEL", "INFO").upper(),
        content_dir=_relative_to(path, Path(r.text("content.dir", "CONTENT_DIR", "content"))),
        coping=_coping(r),
        progress=_progress(r),
        triggers=_triggers(r),
        recovery=_recovery(r),
    )
