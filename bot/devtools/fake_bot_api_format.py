"""Telegram-style message formatting for the fake Bot API.

Turns ``text`` + ``parse_mode`` into what Telegram actually stores: the plain text the user sees
and a list of ``MessageEntity`` dicts (offsets and lengths in UTF-16 code units).  Malformed
markup raises :class:`FormatError` with a description in Telegram's wording, e.g.
``Bad Request: can't parse entities: Unsupported start tag "foo" at byte offset 3`` — so a bot
that forgets to escape user input fails in tests the way it would fail in production.

The parsers are deliberately small: they cover the documented tags/markers, not every quirk of
Telegram's real parser.
"""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["FormatError", "command_entities", "render", "utf16_len"]

_PARSE_ERR = "Bad Request: can't parse entities: "

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_MD_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "code": "Code",
    "pre": "Pre",
}
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


class FormatError(ValueError):
    """Invalid markup; ``str(exc)`` is the full Bot API error description."""


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def _byte_offset(text: str, i: int) -> int:
    return len(text[:i].encode("utf-8"))


def command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities for every ``/command`` token, as Telegram adds to user messages."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
        for m in _COMMAND_RE.finditer(text)
    ]


def render(
    text: str, parse_mode: str | None = None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Return ``(plain_text, entities)`` the way Telegram would store the message."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _parse_html(text)
    if mode in ("markdownv2", "markdown"):
        return _parse_markdown(text, v2=mode == "markdownv2")
    return text, list(entities or [])


class _Out:
    """Accumulates plain text and tracks the UTF-16 position of the end."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, s: str) -> None:
        self.parts.append(s)
        self.pos += utf16_len(s)

    def close(self, start: int, etype: str, *, end: int | None = None, **extra: Any) -> None:
        end = self.pos if end is None else end
        if end > start:
            self.entities.append({"type": etype, "offset": start, "length": end - start, **extra})

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Out()
    stack: list[tuple[str, int, dict[str, Any]]] = []  # (tag, start, extra)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "&":
            m = re.match(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);", text[i:])
            out.add(html.unescape(m.group()) if m else "&")
            i += len(m.group()) if m else 1
            continue
        if c != "<":
            j = i
            while j < n and text[j] not in "<&":
                j += 1
            out.add(text[i:j])
            i = j
            continue
        at = _byte_offset(text, i)
        m = re.match(r"</?([^\s>]*)", text[i:])
        name = m.group(1).lower() if m else ""
        end = text.find(">", i + len(m.group()) if m else i)
        is_end = text.startswith("</", i)
        if not is_end and i + len(m.group() if m else "<") < n and name not in _HTML_TAGS:
            raise FormatError(f'{_PARSE_ERR}Unsupported start tag "{name}" at byte offset {at}')
        if i + (len(m.group()) if m else 1) >= n or end < 0:
            raise FormatError(f"{_PARSE_ERR}Unclosed {'end' if is_end else 'start'} tag at byte offset {at}")
        body = text[i + 1 : end]
        i = end + 1
        if is_end:
            if not stack:
                raise FormatError(f"{_PARSE_ERR}Unexpected end tag at byte offset {at}")
            tag, start, opened = stack.pop()
            if name != tag:
                raise FormatError(
                    f'{_PARSE_ERR}Unmatched end tag at byte offset {at}, expected "</{tag}>", '
                    f'found "</{name}>"'
                )
            etype = _HTML_TAGS[tag]
            if tag == "code" and stack and stack[-1][0] == "pre":  # <pre><code class=...>
                stack[-1][2].update(opened)
                continue
            if tag == "blockquote" and opened.pop("expandable", False):
                etype = "expandable_blockquote"
            out.close(start, etype, **opened)
            continue
        attrs = {
            a.group(1).lower(): next((g for g in a.groups()[1:] if g is not None), "")
            for a in _ATTR_RE.finditer(body[len(name) :])
        }
        extra: dict[str, Any] = {}
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise FormatError(f'{_PARSE_ERR}Tag "span" must have class "tg-spoiler" at byte offset {at}')
        if name == "a":
            href = html.unescape(attrs.get("href", ""))
            if href.startswith("tg://user?id="):
                extra = {"user": {"id": int(href.split("=", 1)[1] or 0), "is_bot": False, "first_name": ""}}
            else:
                extra = {"url": href}
        elif name == "code" and attrs.get("class", "").startswith("language-"):
            extra = {"language": attrs["class"][len("language-") :]}
        elif name == "tg-emoji":
            extra = {"custom_emoji_id": attrs.get("emoji-id", "")}
        elif name == "blockquote" and "expandable" in attrs:
            extra = {"expandable": True}
        stack.append((name, out.pos, extra))
    if stack:
        raise FormatError(f'{_PARSE_ERR}Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _parse_markdown(text: str, *, v2: bool) -> tuple[str, list[dict[str, Any]]]:
    out = _Out()
    open_: dict[str, tuple[int, int]] = {}  # type -> (utf16 start, byte offset of marker)
    i, n = 0, len(text)
    line_start = True
    quote_start: int | None = None

    def toggle(etype: str, width: int) -> None:
        nonlocal i
        if etype in open_:
            start, _ = open_.pop(etype)
            out.close(start, etype)
        else:
            open_[etype] = (out.pos, _byte_offset(text, i))
        i += width

    while i < n:
        c = text[i]
        if line_start and v2:
            if c == ">":
                quote_start = out.pos if quote_start is None else quote_start
                i += 1
                line_start = False
                continue
            if quote_start is not None:
                out.close(quote_start, "blockquote", end=out.pos - 1)  # without the newline
                quote_start = None
        line_start = False
        if c == "\\" and i + 1 < n and (v2 or text[i + 1] in "_*`["):
            out.add(text[i + 1])
            i += 2
            continue
        if c == "`":
            fence = text.startswith("```", i)
            at, i = _byte_offset(text, i), i + (3 if fence else 1)
            close = text.find("```" if fence else "`", i)
            while v2 and close > 0 and text[close - 1] == "\\":
                close = text.find("```" if fence else "`", close + 1)
            if close < 0:
                what = "Pre" if fence else "Code"
                raise FormatError(
                    f"{_PARSE_ERR}Can't find end of {what} entity at byte offset {at}"
                    if v2
                    else f"{_PARSE_ERR}Can't find end of the entity starting at byte offset {at}"
                )
            body = text[i:close]
            if v2:
                body = re.sub(r"\\([`\\])", r"\1", body)
            extra: dict[str, Any] = {}
            if fence and "\n" in body:
                lang, rest = body.split("\n", 1)
                if lang.strip() and " " not in lang.strip():
                    extra, body = {"language": lang.strip()}, rest
            start = out.pos
            out.add(body)
            out.close(start, "pre" if fence else "code", **extra)
            i = close + (3 if fence else 1)
            continue
        if c == "*":
            toggle("bold", 1)
        elif c == "_":
            if v2 and text.startswith("__", i):
                toggle("underline", 2)
            else:
                toggle("italic", 1)
        elif v2 and c == "~":
            toggle("strikethrough", 1)
        elif v2 and c == "|" and text.startswith("||", i):
            toggle("spoiler", 2)
        elif c == "[":
            toggle("text_link_open", 1)
        elif c == "]" and "text_link_open" in open_:
            start, at = open_.pop("text_link_open")
            m = re.match(r"\]\(((?:\\.|[^)\\])*)\)", text[i:])
            if not m:
                raise FormatError(f"{_PARSE_ERR}Can't find end of TextUrl entity at byte offset {at}")
            out.close(start, "text_link", url=re.sub(r"\\(.)", r"\1", m.group(1)))
            i += len(m.group())
        elif v2 and c in _MDV2_RESERVED:
            raise FormatError(
                f"{_PARSE_ERR}Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            out.add(c)
            line_start = c == "\n"
            i += 1
    if quote_start is not None:
        out.close(quote_start, "blockquote")
    if open_:
        etype, (_, at) = min(open_.items(), key=lambda kv: kv[1][1])
        name = _MD_NAMES.get(etype.removesuffix("_open"), "TextUrl")
        raise FormatError(
            f"{_PARSE_ERR}Can't find end of {name} entity at byte offset {at}"
            if v2
            else f"{_PARSE_ERR}Can't find end of the entity starting at byte offset {at}"
        )
    return out.result()
