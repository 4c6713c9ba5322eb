"""Every sentence a user sees comes from ``content/<language>/*.toml`` through this module."""

from bot.content.store import Content, ContentError

__all__ = ["Content", "ContentError"]
