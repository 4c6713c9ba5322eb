"""``python -m bot``: the command line. Each subcommand is one small function."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable

from bot.config import Config, ConfigError, load_config
from bot.content import ContentError

log = logging.getLogger("bot")


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its lines carry the token in the URL
    logging.getLogger("alembic").setLevel(logging.WARNING)


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    if not config.telegram.token:
        print("BOT_TOKEN is not set: starting the local demo chat instead (Ctrl-D to quit).")
        return cmd_demo(config, args)
    from bot.runtime import run_bot, run_event_loop

    run_event_loop(run_bot(config))
    return 0


def cmd_demo(config: Config, args: argparse.Namespace) -> int:
    from bot.devtools.demo import run_demo

    logging.getLogger().setLevel(logging.WARNING)  # the terminal is the chat: keep it readable

    asyncio.run(run_demo(config))
    return 0


def cmd_migrate(config: Config, args: argparse.Namespace) -> int:
    from bot.db.migrate import upgrade_to_head

    upgrade_to_head(config.database.url)
    print("database migrated to the latest version")
    return 0


def cmd_keygen(config: Config | None, args: argparse.Namespace) -> int:
    from bot.db.crypto import generate_key

    print(generate_key())
    return 0


def cmd_rotate_key(config: Config, args: argparse.Namespace) -> int:
    from bot.services.keys import rotate_all

    count = asyncio.run(rotate_all(config))
    print(f"re-encrypted {count} values with the newest key; older keys can now be removed")
    return 0


def cmd_content_check(config: Config | None, args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.services.content_check import check_all

    root = Path(args.dir) if args.dir else (config.content_dir if config else Path("content"))
    problems = check_all(root, config.clinic.default_language if config else "en")
    for problem in problems:
        print(problem)
    print("content ok" if not problems else f"{len(problems)} problem(s) found")
    return 1 if problems else 0


def cmd_screen(config: Config | None, args: argparse.Namespace) -> int:
    from bot.safety.screen_cli import main as screen_main

    return screen_main(["--lang", args.lang] if args.lang else [])


def cmd_updates(config: Config, args: argparse.Namespace) -> int:
    from bot.services.keys import list_or_requeue_failed

    for line in asyncio.run(list_or_requeue_failed(config, args.requeue)):
        print(line)
    return 0


def cmd_staff(config: Config, args: argparse.Namespace) -> int:
    from bot.services.staff_admin import manage

    if args.action != "list" and args.user_id is None:
        print("staff add/remove needs a numeric Telegram user id", file=sys.stderr)
        return 2
    name = args.name or (str(args.user_id) if args.user_id else "")
    print(asyncio.run(manage(config, args.action, args.user_id, name, args.role, args.on_call)))
    return 0


NEEDS_CONFIG: dict[str, bool] = {"keygen": False, "screen": False, "content": False}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Recovery-support Telegram bot")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the bot (long polling; the local demo chat when BOT_TOKEN is unset)")
    sub.add_parser("demo", help="chat with the bot in this terminal through an in-process Bot API stand-in")
    sub.add_parser("migrate", help="migrate the database to the latest version")
    sub.add_parser("keygen", help="print a new encryption key for ENCRYPTION_KEYS")
    sub.add_parser("rotate-key", help="re-encrypt all stored text with the newest key")
    content = sub.add_parser("content", help="content tools")
    content.add_argument("action", choices=["check"], help="check: report every mistake in content/")
    content.add_argument("--dir", help="content folder (default: from config)")
    screen = sub.add_parser("screen", help="screen messages from stdin for risk, one JSON line each")
    screen.add_argument("--lang", default=None, help="one lexicon only (default: every language)")
    staff = sub.add_parser("staff", help="manage the staff roster (numeric Telegram user ids)")
    staff.add_argument("action", choices=["add", "remove", "list"])
    staff.add_argument("user_id", nargs="?", type=int)
    staff.add_argument("--name", default="")
    staff.add_argument(
        "--role", default="counsellor", choices=["counsellor", "nurse", "doctor", "oncall", "admin"]
    )
    staff.add_argument("--on-call", action="store_true")
    updates = sub.add_parser("updates", help="list updates kept as failed, or put them back in the queue")
    updates.add_argument("--requeue", action="store_true", help="retry every failed update")
    return parser


COMMANDS: dict[str, Callable[..., int]] = {
    "run": cmd_run,
    "demo": cmd_demo,
    "migrate": cmd_migrate,
    "keygen": cmd_keygen,
    "rotate-key": cmd_rotate_key,
    "content": cmd_content_check,
    "screen": cmd_screen,
    "updates": cmd_updates,
    "staff": cmd_staff,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config: Config | None = None
    try:
        config = load_config()
    except ConfigError as exc:
        if NEEDS_CONFIG.get(args.command, True):
            print(exc, file=sys.stderr)
            return 2
    _setup_logging(config.log_level if config else "WARNING")
    try:
        return COMMANDS[args.command](config, args)
    except (ConfigError, ContentError) as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
