"""The command line: screen, content check, staff roster, failed updates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.harness import ROOT, TEST_KEY


@pytest.fixture
def cli_env(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("CONFIG_FILE", str(ROOT / "config.toml"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ENCRYPTION_KEYS", TEST_KEY)
    monkeypatch.setenv("BOT_TOKEN", "")


def test_screen_reads_lines_and_writes_json(cli_env, monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("I want to end it all\nthis traffic is killing me\n"))
    assert main(["screen", "--lang", "en"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert [entry["level"] for entry in lines] == ["crisis", "none"]


def test_content_check_passes_on_shipped_content_and_reports_mistakes(cli_env, tmp_path: Path, capsys):
    assert main(["content", "check"]) == 0
    assert "content ok" in capsys.readouterr().out
    broken = tmp_path / "content"
    (broken / "en").mkdir(parents=True)
    (broken / "en" / "common.toml").write_text('greeting = "Hello {name}"\nempty = ""\n')
    (broken / "es").mkdir()
    (broken / "es" / "common.toml").write_text('greeting = "Hola {nombre}"\n')
    assert main(["content", "check", "--dir", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "en/common.toml: common.empty" in out
    assert "common.greeting: placeholders" in out
    assert "helplines.toml" in out


def test_staff_roster_add_list_remove(cli_env, capsys):
    assert main(["staff", "add", "123456789", "--name", "Sam", "--role", "nurse", "--on-call"]) == 0
    assert main(["staff", "list"]) == 0
    assert "123456789\tSam\tnurse\ton call" in capsys.readouterr().out
    assert main(["staff", "remove", "123456789"]) == 0
    assert main(["staff", "list"]) == 0
    assert "removed" in capsys.readouterr().out
    assert main(["staff", "add"]) == 2


def test_updates_lists_failed(cli_env, capsys):
    assert main(["migrate"]) == 0
    assert main(["updates"]) == 0
    assert "no failed updates" in capsys.readouterr().out


def test_updates_tells_how_many_replies_wait_for_telegram(cli_env, tmp_path, capsys):
    import sqlite3

    assert main(["migrate"]) == 0
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        for minute in (5, 1):
            conn.execute(
                "INSERT INTO outbox (source_chat_id, chat_id, body, created_at) VALUES (1, 1, x'00', ?)",
                (f"2026-11-21 10:0{minute}:00.000000",),
            )
    assert main(["updates"]) == 0
    out = capsys.readouterr().out
    assert "2 replies waiting for Telegram, the oldest since 2026-11-21 10:01:00+00:00" in out


def test_the_bot_runs_on_uvloop_where_it_is_installed():
    import asyncio

    import pytest

    from bot.runtime import run_event_loop

    uvloop = pytest.importorskip("uvloop", reason="uvloop is not installed on this platform")
    seen = []

    async def main() -> None:
        seen.append(type(asyncio.get_running_loop()))

    run_event_loop(main())
    assert seen == [uvloop.Loop]
