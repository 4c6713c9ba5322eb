"""Composition root: builds the services and the Telegram application, registers every feature.

Two handler groups run for each update: the safety gate first (group -10), then group 0, where the
first matching handler wins: the features in order, then the fallbacks for whatever none claimed.
"""

from __future__ import annotations

import logging

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.bot_api_http import AiohttpRequest
from bot.checkins import schedule as _checkin_schedule  # noqa: F401  (registers reminder kinds)
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.content import Content
from bot.db.crypto import Keyring, install_keyring
from bot.db.engine import Database, make_engine
from bot.handlers import errors, fallback, help, privacy, safety_buttons, safety_gate, setup, staff
from bot.handlers.context import BotApplication, BotContext
from bot.handlers.features import FEATURES, command_menu
from bot.safety import exports  # noqa: F401  (registers the safety sections of /export)
from bot.safety.crisis import SAFETY_BUTTON, CrisisResponder
from bot.safety.helplines import HelplineBook
from bot.sending import ReplyOrderBot
from bot.services.container import Services

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE


def build_services(config: Config, keys: list[str], clock: Clock | None = None) -> Services:
    """Loads content and helplines into memory, installs the keyring, opens the database engine."""
    install_keyring(Keyring(keys))
    content = Content.load(config.content_dir, config.clinic.default_language)
    helplines = HelplineBook.load(config.content_dir / "helplines.toml")
    db = Database(make_engine(config.database.url, config.database.busy_timeout_ms))
    return Services(
        config=config,
        content=content,
        db=db,
        clock=clock or SystemClock(),
        helplines=helplines,
        crisis=CrisisResponder(content, helplines, config.clinic),
    )


def build_application(
    services: Services, request: BaseRequest | None = None, updates_request: BaseRequest | None = None
) -> BotApplication:
    cfg = services.config.telegram
    if request is None:  # aiohttp rather than python-telegram-bot's default httpx: see bot/bot_api_http.py
        request, updates_request = AiohttpRequest(), AiohttpRequest(connection_pool_size=1)
    bot = ReplyOrderBot(  # replies queued until the update commits keep their order: see bot/sending.py
        token=cfg.token or "0:demo-token-for-the-local-chat-demo",
        base_url=cfg.api_url,
        request=request,
        get_updates_request=updates_request or request,
    )
    builder = ApplicationBuilder().bot(bot).context_types(ContextTypes(context=BotContext)).updater(None)
    app: BotApplication = builder.build()  # type: ignore[assignment]  # ReplyOrderBot is an ExtBot
    app.bot_data["services"] = services
    register_handlers(app)
    return app


def register_handlers(app: Application) -> None:
    app.add_handler(TypeHandler(Update, safety_gate.screen_update), group=-10)
    register_staff_handlers(app)

    commands = {
        "start": setup.start,
        "settings": setup.settings,
        "cancel": setup.cancel,
        "help": help.help_command,
        "sos": help.sos,
        "privacy": privacy.show,
        "export": privacy.export,
        "delete": privacy.ask_delete,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=PRIVATE & filters.UpdateType.MESSAGE))
    app.add_handler(CallbackQueryHandler(setup.consent, pattern=r"^cs:(yes|no)(:[A-Za-z0-9_-]{1,32})?$"))
    app.add_handler(CallbackQueryHandler(privacy.confirm_delete, pattern=r"^dl:(yes:P-[A-Z0-9]{5}|no)$"))
    app.add_handler(CallbackQueryHandler(setup.flow_button, pattern=r"^fl:"))
    for feature in FEATURES:
        feature.register(app)
    app.add_handler(CallbackQueryHandler(safety_buttons.answer, pattern=SAFETY_BUTTON))

    private_message = PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(private_message & filters.COMMAND, fallback.unknown_command))
    app.add_handler(MessageHandler(private_message & filters.TEXT & ~filters.COMMAND, fallback.text))
    media = {
        filters.PHOTO: "common.photo",
        filters.Sticker.ALL: "common.sticker",
        filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE: "common.voice",
        filters.Document.ALL: "common.document",
        filters.LOCATION | filters.VENUE: "common.location",
    }
    for media_filter, key in media.items():
        app.add_handler(MessageHandler(private_message & media_filter, fallback.media_reply(key)))
    app.add_handler(
        MessageHandler(
            private_message
            & ~filters.TEXT
            & ~filters.COMMAND
            & ~filters.PHOTO
            & ~filters.Sticker.ALL
            & ~filters.VOICE
            & ~filters.AUDIO
            & ~filters.VIDEO_NOTE
            & ~filters.Document.ALL
            & ~filters.LOCATION
            & ~filters.VENUE
            & ~filters.StatusUpdate.ALL,
            fallback.media_reply("common.other_media"),
        ),
    )
    app.add_handler(MessageHandler(filters.ChatType.GROUPS, fallback.group_message))
    app.add_handler(CallbackQueryHandler(fallback.unknown_button))
    app.add_error_handler(errors.on_error)


def register_staff_handlers(app: Application) -> None:
    """Staff commands and buttons; each handler re-checks the roster, so the filters only route."""
    app.add_handler(CallbackQueryHandler(staff.flag_button, pattern=r"^fg:"))
    app.add_handler(CommandHandler("reply", staff.reply_command, filters=filters.UpdateType.MESSAGE))
    app.add_handler(CommandHandler("queue", staff.queue_command, filters=filters.UpdateType.MESSAGE))
    app.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & filters.REPLY & filters.TEXT & ~filters.COMMAND,
            staff.staff_reply_message,
        )
    )


async def publish_commands(app: Application, services: Services) -> None:
    """Sets the command menu for every language the content has."""
    content = services.content
    for lang in content.languages:
        commands = [BotCommand(name, content.text(lang, menu)) for name, _, menu in command_menu()]
        code = None if lang == content.default_language else lang
        await app.bot.set_my_commands(commands, language_code=code)
