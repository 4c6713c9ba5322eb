"""Configuration: typed, validated, overridable; one clear line naming a bad setting; no secrets shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345"


def _load(**env: str):
    return load_config(ROOT / "config.toml", env=env)


def test_environment_overrides_the_file():
    cfg = _load(
        BOT_TOKEN=TOKEN,
        DATABASE_URL="sqlite:///x.db",
        BOT_API_URL="http://127.0.0.1:9/bot",
        STAFF_CHAT_ID="-10042",
    )
    assert cfg.telegram.token == TOKEN
    assert cfg.database.url == "sqlite:///x.db"
    assert cfg.telegram.api_url == "http://127.0.0.1:9/bot"
    assert cfg.telegram.staff_chat_id == -10042


def test_secrets_never_appear_in_repr():
    cfg = _load(BOT_TOKEN=TOKEN, ENCRYPTION_KEYS="secret-key-value")
    assert TOKEN not in repr(cfg) and "secret-key-value" not in repr(cfg)


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN"),
        ({"BOT_API_URL": "ftp://example"}, "telegram.api_url"),
        ({"DATABASE_URL": "mysql://x"}, "database.url"),
        ({"STAFF_CHAT_ID": "abc"}, "telegram.staff_chat_id"),
        ({"DEFAULT_COUNTRY": "Ireland"}, "clinic.default_country"),
    ],
)
def test_wrong_setting_names_itself_in_one_line(env, setting):
    with pytest.raises(ConfigError) as info:
        _load(**env)
    message = str(info.value)
    assert setting in message and "\n" not in message
    assert TOKEN not in message


def test_bad_toml_and_bad_values_in_file(tmp_path: Path):
    bad = tmp_path / "config.toml"
    bad.write_text('[clinic]\nname = "X"\ndefault_timezone = "Mars/Base"\n')
    with pytest.raises(ConfigError, match="clinic.default_timezone"):
        load_config(bad, env={})
    bad.write_text('[clinic\nname = "X"')
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad, env={})
    bad.write_text('[checkin]\ndefault_time = "25:00"\n[clinic]\nname = "X"\n')
    with pytest.raises(ConfigError, match="checkin.default_time"):
        load_config(bad, env={})


def test_missing_clinic_name(tmp_path: Path):
    bad = tmp_path / "config.toml"
    bad.write_text("[clinic]\n")
    with pytest.raises(ConfigError, match="clinic.name"):
        load_config(bad, env={})


def test_cli_prints_one_line_and_exits_2_on_bad_config(monkeypatch, capsys):
    monkeypatch.setenv("BOT_TOKEN", "oops")
    monkeypatch.setenv("CONFIG_FILE", str(ROOT / "config.toml"))
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "BOT_TOKEN" in err


def test_cli_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("run", "demo", "migrate", "screen", "content", "rotate-key", "updates"):
        assert command in out
