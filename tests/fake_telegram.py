"""An in-process fake of the Telegram Bot API for end-to-end tests.

The real bot (aiogram ``Bot`` with its real ``AiohttpSession`` and ``Dispatcher.start_polling``)
talks HTTP to an aiohttp server on 127.0.0.1 that behaves like api.telegram.org closely enough
for a user's script to be replayed:

    async with FakeTelegram() as tg:
        bob = tg.user(1001, "Bob", username="bob")
        async with tg.polling(dp, tg.make_bot()):
            reply = await bob.say("/start")
            reply = await bob.press("Yes")

What is modelled: long polling with ``offset``/``limit``/``timeout``/``allowed_updates`` and the
409 conflict of two concurrent pollers; a webhook instead (``setWebhook`` with ``secret_token``,
``allowed_updates`` and ``max_connections``: each update POSTed to the bot's URL with the secret
header, one at a time per chat, again after a pause until it is answered 2xx; getUpdates answers
409 while a webhook is set); per-chat message ids; HTML parse mode (the text is parsed
into plain text + entities, and malformed HTML answers 400 "can't parse entities", as Telegram
does); "message is not modified" on edits; inline keyboard validation (callback_data 1-64
bytes); "chat not found" for chats nobody created (``strict_chats``); uploads; callback answers;
injected failures and optional flood limits. Nothing here ever touches the network beyond
127.0.0.1.
"""

# ruff: noqa: ASYNC109  (user-facing waits take a timeout argument, like asyncio.wait_for)

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import math
import mimetypes
import re
import ssl
import struct
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web

__all__ = [
    "BotMessage",
    "CallbackAnswer",
    "FakeGroup",
    "FakeTelegram",
    "FakeUser",
    "Request",
    "parse_html",
]

T = TypeVar("T")
JsonDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

# Update types Telegram delivers when a bot never asked for specific ones.
_ALL_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_DEFAULT_UPDATE_TYPES = _ALL_UPDATE_TYPES - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}

_INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "from_chat_id",
        "message_thread_id",
        "reply_to_message_id",
        "cache_time",
        "user_id",
        "until_date",
        "max_connections",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
        "drop_pending_updates",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
        "show_caption_above_media",
        "allow_paid_broadcast",
    }
)
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "reaction",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "scope",
        "media",
        "menu_button",
        "message_ids",
    }
)
_INT_RE = re.compile(r"-?\d+")
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_CONFLICT = _DEFAULT_DESCRIPTIONS[409]
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _u16len(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


# How long POSTs in flight may take to end once the webhook is deleted.
POSTS_GRACE_SECONDS = 10.0


def _default_description(status: int, retry_after: int | None, chat_id: int | None = None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    if status == 403 and chat_id is not None and chat_id < 0:
        return "Forbidden: bot was kicked from the supergroup chat"
    return _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")


class ApiError(Exception):
    """An error answer of the fake Bot API."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


# --------------------------------------------------------------------------------------------
# HTML parse mode
# --------------------------------------------------------------------------------------------

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
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,10}|[a-zA-Z]{2,6});")
_MARKUP_RE = re.compile(r"[&<]")  # where plain text stops
_TAG_NAME_RE = re.compile(r"[a-zA-Z0-9-]*")
_ATTR_NAME_RE = re.compile(r"[^\s=>/]+")


def _decode_entity(match: re.Match[str]) -> str | None:
    name = match.group(1)
    if name.startswith("#"):
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code)
        return None
    return _NAMED_ENTITIES.get(name)


def _unescape(text: str) -> str:
    return _ENTITY_RE.sub(lambda m: _decode_entity(m) or m.group(0), text)


def parse_html(text: str) -> tuple[str, list[JsonDict]]:
    """Parse Telegram's HTML parse mode into (plain text, entities), like the real Bot API.

    Raises ApiError(400, "Bad Request: can't parse entities: ...") for markup Telegram rejects:
    unsupported tags (an unescaped "<" included), unclosed or mismatched tags.
    """

    def fail(reason: str) -> ApiError:
        return _bad_request(f"can't parse entities: {reason}")

    def byte_offset(index: int) -> int:
        return len(text[:index].encode("utf-8"))

    out: list[str] = []
    pos16 = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[JsonDict] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            match = _ENTITY_RE.match(text, i)
            decoded = _decode_entity(match) if match else None
            if match and decoded is not None:
                out.append(decoded)
                pos16 += _u16len(decoded)
                i = match.end()
            else:
                out.append("&")
                pos16 += 1
                i += 1
            continue
        if ch != "<":
            markup = _MARKUP_RE.search(text, i)
            end = markup.start() if markup else n
            out.append(text[i:end])
            pos16 += _u16len(text[i:end])
            i = end
            continue
        start = i
        if text.startswith("</", i):
            end = text.find(">", i)
            if end == -1:
                raise fail(f"Can't find end tag at byte offset {byte_offset(start)}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {byte_offset(start)}")
            open_name, open_pos, attrs = stack.pop()
            if name != open_name:
                raise fail(
                    f"Unmatched end tag at byte offset {byte_offset(start)}, "
                    f'expected "</{open_name}>", found "</{name}>"'
                )
            i = end + 1
            length = pos16 - open_pos
            entity: JsonDict = {"type": _HTML_TAGS[open_name], "offset": open_pos, "length": length}
            if open_name == "a":
                if not attrs.get("href"):
                    continue
                entity["url"] = attrs["href"]
            elif open_name == "tg-emoji":
                entity["custom_emoji_id"] = attrs.get("emoji-id", "")
            elif open_name == "blockquote" and "expandable" in attrs:
                entity["type"] = "expandable_blockquote"
            elif open_name == "code":
                language = attrs.get("class", "")
                if stack and stack[-1][0] == "pre" and language.startswith("language-"):
                    stack[-1][2]["language"] = language.removeprefix("language-")
                    continue
            elif open_name == "pre" and attrs.get("language"):
                entity["language"] = attrs["language"]
            if length > 0:
                entities.append(entity)
            continue
        name_match = _TAG_NAME_RE.match(text, i + 1)
        name = name_match.group(0).lower() if name_match else ""
        if name not in _HTML_TAGS:
            raise fail(f'Unsupported start tag "{name}" at byte offset {byte_offset(start)}')
        j = i + 1 + len(name)
        attrs = {}
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise fail(f"Unclosed start tag at byte offset {byte_offset(start)}")
            if text[j] == ">":
                break
            if text[j] == "/" and text.startswith("/>", j):
                raise fail(f'Unsupported start tag "{name}/" at byte offset {byte_offset(start)}')
            attr_match = _ATTR_NAME_RE.match(text, j)
            if not attr_match:
                raise fail(f"Unclosed start tag at byte offset {byte_offset(start)}")
            attr_name = attr_match.group(0).lower()
            j = attr_match.end()
            while j < n and text[j].isspace():
                j += 1
            value = ""
            if j < n and text[j] == "=":
                j += 1
                while j < n and text[j].isspace():
                    j += 1
                if j < n and text[j] in "\"'":
                    close = text.find(text[j], j + 1)
                    if close == -1:
                        raise fail(f"Unclosed start tag at byte offset {byte_offset(start)}")
                    value = text[j + 1 : close]
                    j = close + 1
                else:
                    value_start = j
                    while j < n and not text[j].isspace() and text[j] != ">":
                        j += 1
                    value = text[value_start:j]
            attrs[attr_name] = _unescape(value)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise fail('Tag "span" must have class "tg-spoiler"')
        stack.append((name, pos16, attrs))
        i = j + 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass
class Request:
    """One HTTP call the bot made, successful or not."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]]
    time: float  # time.monotonic()
    status: int = 0  # HTTP status; 0 while pending (a long poll), 499 if the client left
    response: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def description(self) -> str | None:
        return None if self.response is None else self.response.get("description")


@dataclass
class BotMessage:
    """A message the bot sent (``edited=False``) or a new state of one it edited."""

    chat_id: int
    message_id: int
    text: str | None  # as sent (HTML markup included); caption for media
    reply_markup: dict[str, Any] | None
    method: str
    photo: bytes | None = None
    document: tuple[str, bytes] | None = None
    parse_mode: str | None = None
    edited: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # the Bot API Message object
    time: float = 0.0  # time.monotonic()
    seq: int = 0  # global order of records

    @property
    def plain(self) -> str | None:
        """The text (or caption) as the user sees it: markup parsed away, entities unescaped."""
        value = self.raw.get("text", self.raw.get("caption"))
        return value if value is not None else self.text

    @property
    def entities(self) -> list[dict[str, Any]]:
        return list(self.raw.get("entities") or self.raw.get("caption_entities") or [])

    def buttons(self) -> list[list[str]]:
        """Texts of the inline keyboard, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[button.get("text", "") for button in row] for row in rows]

    def reply_buttons(self) -> list[list[str]]:
        """Texts of a reply keyboard (ReplyKeyboardMarkup), row by row."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]

    def find_button(self, text: str, *, exact: bool | None = None) -> dict[str, Any] | None:
        """The inline button whose text equals ``text`` (or, failing that, contains it)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        flat = [button for row in rows for button in row]
        if exact is not False:
            for button in flat:
                if button.get("text") == text:
                    return button
        if exact is not True:
            for button in flat:
                if text in button.get("text", ""):
                    return button
        return None

    def callback_data(self, text: str) -> str:
        button = self.find_button(text)
        if button is None or "callback_data" not in button:
            raise AssertionError(
                f"no inline button {text!r} with callback_data on message {self.message_id} "
                f"in chat {self.chat_id}; buttons: {self.buttons()}"
            )
        return str(button["callback_data"])

    def describe(self) -> str:
        kind = "edit" if self.edited else "send"
        body = self.text if self.text is not None else ""
        if len(body) > 160:
            body = body[:157] + "..."
        extra = f" buttons={self.buttons()}" if self.buttons() else ""
        if self.photo is not None:
            extra += f" photo={len(self.photo)}B"
        if self.document is not None:
            extra += f" document={self.document[0]!r}"
        return (
            f"#{self.seq} {kind} chat={self.chat_id} msg={self.message_id} {self.method} "
            f"{body!r}{extra}"
        )


@dataclass
class CallbackAnswer:
    """An answerCallbackQuery call, with the query it answered."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    data: str | None  # callback_data of the pressed button
    user_id: int | None
    chat_id: int | None
    time: float


@dataclass
class WebhookPost:
    """One POST of an update to the bot's webhook and how the bot answered it."""

    update_id: int
    attempt: int  # 1 for the first delivery of this queued copy
    status: int  # HTTP status; 0 when the connection failed
    time: float  # time.monotonic() when answered


@dataclass
class _Queued:
    update: JsonDict
    forced: bool  # queued with push_raw: delivered once even below the confirmed offset
    delivered: bool = False
    posting: bool = False  # a webhook POST of it is in flight
    attempts: int = 0  # webhook POSTs so far
    retry_at: float = 0.0  # loop time before which it is not posted again

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        return next((key for key in self.update if key != "update_id"), "")

    @property
    def chat_key(self) -> int:
        """Telegram keeps each chat's updates in order: the chat (or sender) they belong to."""
        body = self.update.get(self.kind)
        if isinstance(body, dict):
            for holder in (body, body.get("message")):
                if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
                    return int(holder["chat"]["id"])
            if isinstance(body.get("from"), dict):
                return int(body["from"]["id"])
        return -self.update_id


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    description: str | None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    filename: str
    data: bytes
    mime_type: str


@dataclass
class _Chat:
    obj: JsonDict
    next_message_id: int = 1
    user_message_ids: set[int] = field(default_factory=set)
    live: dict[int, BotMessage] = field(default_factory=dict)  # current state of bot messages
    records: list[BotMessage] = field(default_factory=list)  # every send and edit, in order

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


# --------------------------------------------------------------------------------------------
# Participants
# --------------------------------------------------------------------------------------------


class FakeUser:
    """A Telegram user talking to the bot in a private chat (chat id == user id)."""

    def __init__(
        self,
        tg: FakeTelegram,
        user_id: int,
        first_name: str,
        *,
        username: str | None = None,
        language_code: str | None = "en",
        last_name: str | None = None,
    ) -> None:
        self.tg = tg
        self.id = user_id
        self.first_name = first_name
        self.username = username
        self.language_code = language_code
        self.last_name = last_name

    def __repr__(self) -> str:
        return f"FakeUser({self.id}, {self.first_name!r})"

    @property
    def chat_id(self) -> int:
        return self.id

    @property
    def obj(self) -> JsonDict:
        """The Bot API User object."""
        user: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def chat_obj(self) -> JsonDict:
        chat: JsonDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    @property
    def messages(self) -> list[BotMessage]:
        """Every bot message sent or edited in this chat, in order."""
        return self.tg.chat_messages(self.id)

    @property
    def last(self) -> BotMessage | None:
        messages = self.messages
        return messages[-1] if messages else None

    def send(self, text: str) -> int:
        """Queue a text message from this user; returns the update_id."""
        return self.tg.send_text(self.chat_obj, self, text)

    def send_document(
        self, filename: str, data: bytes, caption: str | None = None, mime_type: str | None = None
    ) -> int:
        """Queue a document from this user (the bot can getFile and download it)."""
        return self.tg.send_document_update(self.chat_obj, self, filename, data, caption, mime_type)

    async def say(self, text: str, timeout: float = 5.0) -> BotMessage:
        """Send ``text`` and wait for the next bot message sent or edited in this chat."""
        mark = self.tg.mark()
        self.send(text)
        return await self.tg.next_in_chat(self.id, mark, timeout, f"{self} said {text!r}")

    async def say_all(self, text: str, count: int, timeout: float = 5.0) -> list[BotMessage]:
        """Send ``text`` and wait for ``count`` bot messages (sent or edited) in this chat."""
        mark = self.tg.mark()
        self.send(text)
        return await self.tg.next_n_in_chat(self.id, mark, count, timeout, f"{self} said {text!r}")

    async def press(self, button_text: str, timeout: float = 5.0) -> BotMessage:
        """Press an inline button; wait for the next bot message sent or edited in this chat."""
        mark = self.tg.mark()
        self.press_nowait(button_text)
        return await self.tg.next_in_chat(self.id, mark, timeout, f"{self} pressed {button_text!r}")

    def press_nowait(self, button_text: str) -> str:
        """Queue the callback_query of pressing a button; returns the callback query id."""
        return self.tg.press_button(self.id, self, button_text)

    async def receive(self, timeout: float = 5.0) -> BotMessage:
        """The oldest not yet consumed bot message in this chat (waiting for one if needed)."""
        return await self.tg.wait_for(lambda m: True, timeout, chat_id=self.id)

    def block(self, status: int = 403) -> None:
        """The user blocks the bot: every call to this chat answers 403 until unblock()."""
        self.tg.fail_chat(self.id, status)

    def unblock(self) -> None:
        self.tg.unfail_chat(self.id)


class FakeGroup:
    """A supergroup the bot is in."""

    def __init__(self, tg: FakeTelegram, chat_id: int, title: str) -> None:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        self.tg = tg
        self.id = chat_id
        self.title = title

    def __repr__(self) -> str:
        return f"FakeGroup({self.id}, {self.title!r})"

    @property
    def chat_id(self) -> int:
        return self.id

    @property
    def chat_obj(self) -> JsonDict:
        return {"id": self.id, "type": "supergroup", "title": self.title}

    @property
    def messages(self) -> list[BotMessage]:
        return self.tg.chat_messages(self.id)

    @property
    def last(self) -> BotMessage | None:
        messages = self.messages
        return messages[-1] if messages else None

    def send(self, from_user: FakeUser, text: str) -> int:
        return self.tg.send_text(self.chat_obj, from_user, text)

    async def say(self, from_user: FakeUser, text: str, timeout: float = 5.0) -> BotMessage:
        mark = self.tg.mark()
        self.send(from_user, text)
        return await self.tg.next_in_chat(
            self.id, mark, timeout, f"{from_user} said {text!r} in {self}"
        )

    async def press(
        self, from_user: FakeUser, button_text: str, timeout: float = 5.0
    ) -> BotMessage:
        mark = self.tg.mark()
        self.tg.press_button(self.id, from_user, button_text)
        return await self.tg.next_in_chat(
            self.id, mark, timeout, f"{from_user} pressed {button_text!r} in {self}"
        )

    async def receive(self, timeout: float = 5.0) -> BotMessage:
        return await self.tg.wait_for(lambda m: True, timeout, chat_id=self.id)


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeTelegram:
    """A fake Bot API server on 127.0.0.1 plus a scriptable set of users and chats."""

    def __init__(
        self,
        *,
        bot_id: int = 123456789,
        bot_username: str = "kpi_test_bot",
        bot_first_name: str = "KPI Test Bot",
        enforce_limits: bool = False,
        global_per_second: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int = 20,
        strict_chats: bool = True,
        webhook_retry_delay: float = 0.05,
    ) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        secret = "AAH" + hashlib.sha256(f"fake-telegram-{bot_id}".encode()).hexdigest()
        self.token = f"{bot_id}:{secret[:35]}"
        self.enforce_limits = enforce_limits
        self.global_per_second = global_per_second
        self.per_chat_per_second = per_chat_per_second
        self.per_group_per_minute = per_group_per_minute
        self.strict_chats = strict_chats
        # Telegram waits longer before it delivers a refused update again; tests need not.
        self.webhook_retry_delay = webhook_retry_delay
        # How webhook POSTs check an https URL's certificate (Telegram accepts a self-signed
        # one uploaded with setWebhook): None, the system's trust.
        self.webhook_tls: ssl.SSLContext | None = None

        self.base_url = ""
        self.requests: list[Request] = []
        self.messages: list[BotMessage] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.deleted: list[tuple[int, int]] = []  # (chat_id, message_id) the bot deleted
        # (chat_id, message_id) -> the emoji the bot's reaction shows now (a bot sets one)
        self.reactions: dict[tuple[int, int], str] = {}
        self.filtered_updates: list[JsonDict] = []  # dropped: type not in allowed_updates
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}  # (scope json, lang) -> cmds
        self.stats: Counter[str] = Counter()
        self.allowed_updates: frozenset[str] = _DEFAULT_UPDATE_TYPES
        self.webhook: JsonDict | None = None  # the setWebhook parameters in force
        self.webhook_posts: list[WebhookPost] = []
        self._delivery: asyncio.Task[None] | None = None

        self._runner: web.AppRunner | None = None
        self._closing = False
        self._changed = asyncio.Event()
        self._queue: list[_Queued] = []
        self._updates: dict[int, JsonDict] = {}  # every update queued, by id
        self._next_update_id = 100_000
        self._seq = 0
        self._consumed: set[int] = set()
        self._chats: dict[int, _Chat] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._failed_chats: dict[int, int] = {}
        self._callbacks: dict[str, tuple[str | None, int, int | None]] = {}
        self._callback_ids = itertools.count(4_300_000_000_000_000_001)
        self._files: dict[str, _StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._poll_generation = 0
        self._pollers = 0
        self._global_window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = {}
        self._group_windows: dict[int, deque[float]] = {}
        self._handlers: dict[str, Callable[[JsonDict, dict[str, tuple[str, bytes]]], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._true,
            "setMyShortDescription": self._true,
            "setMyName": self._true,
            "setChatMenuButton": self._true,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "deleteMessage": self._delete_message,
            "setMessageReaction": self._set_message_reaction,
            "getFile": self._get_file,
        }
        self._canonical = {name.lower(): name for name in self._handlers}

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._closing = False
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._delivery is not None:
            await self._delivery
            self._delivery = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---- conveniences for wiring the real bot ---------------------------------------------

    @property
    def bot_user(self) -> JsonDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def make_bot(self, *, token: str | None = None, parse_mode: str | None = "HTML") -> Bot:
        """A real aiogram Bot whose real AiohttpSession points at this server."""
        session = AiohttpSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(
            token or self.token,
            session=session,
            default=DefaultBotProperties(parse_mode=parse_mode),
        )

    @contextlib.asynccontextmanager
    async def polling(
        self, dp: Dispatcher, bot: Bot, **kwargs: Any
    ) -> AsyncIterator[asyncio.Task[None]]:
        """Run ``dp.start_polling(bot)`` for the block; stop it and close the session after.

        Waits until the bot's first getUpdates arrives, so updates pushed inside the block are
        seen. Extra keyword arguments go to start_polling (handle_signals=False and
        polling_timeout=1 by default).
        """
        kwargs.setdefault("handle_signals", False)
        kwargs.setdefault("polling_timeout", 1)
        mark = len(self.requests)
        task = asyncio.create_task(dp.start_polling(bot, **kwargs))
        try:
            started = await self._wait_until(
                lambda: (
                    True
                    if task.done() or any(r.method == "getUpdates" for r in self.requests[mark:])
                    else None
                ),
                5.0,
            )
            if task.done():
                task.result()
                raise AssertionError("polling ended before its first getUpdates")
            if started is None:
                raise AssertionError(f"the bot did not start polling in 5 s\n{self.dump()}")
            yield task
        finally:
            if not task.done():
                with contextlib.suppress(RuntimeError):  # "Polling is not started" yet
                    await dp.stop_polling()
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await bot.session.close()

    # ---- chats and participants -----------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        language_code: str | None = "en",
        last_name: str | None = None,
    ) -> FakeUser:
        user = FakeUser(
            self,
            user_id,
            first_name,
            username=username,
            language_code=language_code,
            last_name=last_name,
        )
        self._chat(user.chat_obj)
        return user

    def group(self, chat_id: int, title: str) -> FakeGroup:
        group = FakeGroup(self, chat_id, title)
        self._chat(group.chat_obj)
        return group

    def add_bot_to_group(self, group: FakeGroup, by_user: FakeUser) -> int:
        """Queue the my_chat_member update of ``by_user`` adding the bot to ``group``."""
        now = int(time.time())
        return self.push_update(
            {
                "my_chat_member": {
                    "chat": group.chat_obj,
                    "from": by_user.obj,
                    "date": now,
                    "old_chat_member": {"user": self.bot_user, "status": "left"},
                    "new_chat_member": {"user": self.bot_user, "status": "member"},
                }
            }
        )

    def chat_messages(self, chat_id: int) -> list[BotMessage]:
        chat = self._chats.get(chat_id)
        return list(chat.records) if chat else []

    def current_message(self, chat_id: int, message_id: int) -> BotMessage | None:
        """The latest state of a bot message that has not been deleted."""
        chat = self._chats.get(chat_id)
        return chat.live.get(message_id) if chat else None

    def reset_messages(self) -> None:
        """Forget recorded messages and callback answers (live message state is kept)."""
        self.messages.clear()
        self.callback_answers.clear()
        self._consumed.clear()
        for chat in self._chats.values():
            chat.records.clear()

    def _chat(self, obj: JsonDict) -> _Chat:
        chat_id = int(obj["id"])
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat(obj=dict(obj))
        return chat

    # ---- updates --------------------------------------------------------------------------

    def push_update(self, payload: JsonDict) -> int:
        """Queue an update (``payload`` without update_id); returns the assigned update_id."""
        update_id = self._next_update_id
        self._next_update_id += 1
        self._enqueue({"update_id": update_id, **payload}, forced=False)
        return update_id

    def push_raw(self, update: JsonDict) -> None:
        """Queue ``update`` exactly as given, update_id included.

        Queuing the same update twice models a redelivery: each copy is delivered once even if
        the bot has already confirmed that update_id.
        """
        self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        self._enqueue(update, forced=True)

    def payload(self, update_id: int) -> JsonDict:
        """The update as the Bot API would deliver it (to feed a dispatcher directly)."""
        return self._updates[update_id]

    def redeliver(self, update_id: int) -> None:
        """Queue that update again, as Telegram does when it did not see it confirmed."""
        self.push_raw(self._updates[update_id])

    def _enqueue(self, update: JsonDict, *, forced: bool) -> None:
        self._updates[int(update["update_id"])] = update
        self._register_chats(update)
        self._queue.append(_Queued(update=update, forced=forced))
        self._notify()

    def _register_chats(self, value: Any) -> None:
        if isinstance(value, dict):
            chat = value.get("chat")
            if isinstance(chat, dict) and "id" in chat and "type" in chat:
                self._chat(chat)
            for item in value.values():
                self._register_chats(item)
        elif isinstance(value, list):
            for item in value:
                self._register_chats(item)

    @property
    def pending_updates(self) -> int:
        """Queued updates the bot has not confirmed yet (a getUpdates offset or a 2xx answer)."""
        return len(self._queue)

    async def wait_until_consumed(self, timeout: float = 5.0) -> None:
        """Wait until the bot has confirmed every queued update: by a getUpdates offset (its
        handlers may still run), or by answering its webhook POST 2xx (after handling it)."""
        done = await self._wait_until(lambda: True if not self._queue else None, timeout)
        if done is None:
            raise AssertionError(
                f"{len(self._queue)} update(s) not consumed within {timeout} s\n{self.dump()}"
            )

    def _message_update(self, chat: _Chat, user: FakeUser, content: JsonDict) -> int:
        message_id = chat.take_message_id()
        chat.user_message_ids.add(message_id)
        message = {
            "message_id": message_id,
            "from": user.obj,
            "chat": dict(chat.obj),
            "date": int(time.time()),
            **content,
        }
        return self.push_update({"message": message})

    def send_text(self, chat_obj: JsonDict, user: FakeUser, text: str) -> int:
        content: JsonDict = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": _u16len(command)}]
        return self._message_update(self._chat(chat_obj), user, content)

    def send_document_update(
        self,
        chat_obj: JsonDict,
        user: FakeUser,
        filename: str,
        data: bytes,
        caption: str | None = None,
        mime_type: str | None = None,
    ) -> int:
        stored = self._store_file("documents", filename, data, mime_type)
        content: JsonDict = {"document": self._document_obj(stored)}
        if caption is not None:
            content["caption"] = caption
        return self._message_update(self._chat(chat_obj), user, content)

    def press_button(self, chat_id: int, user: FakeUser, button_text: str) -> str:
        """Queue a callback_query for the inline button; returns the callback query id."""
        chat = self._chats.get(chat_id)
        live = sorted(chat.live.values(), key=lambda m: -m.message_id) if chat else []
        found: tuple[BotMessage, JsonDict] | None = None
        for exact in (True, False):
            for message in live:
                button = message.find_button(button_text, exact=exact)
                if button is not None:
                    found = (message, button)
                    break
            if found:
                break
        if found is None:
            shown = [(m.message_id, m.buttons()) for m in live if m.buttons()]
            raise AssertionError(
                f"no inline button {button_text!r} in chat {chat_id}; buttons on screen: {shown}"
            )
        message, button = found
        if "callback_data" not in button:
            raise AssertionError(f"button {button_text!r} has no callback_data: {button}")
        query_id = str(next(self._callback_ids))
        data = str(button["callback_data"])
        self._callbacks[query_id] = (data, user.id, chat_id)
        self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.obj,
                    "message": dict(message.raw),
                    "chat_instance": str(abs(chat_id * 7919 + 1_000_003)),
                    "data": data,
                }
            }
        )
        return query_id

    # ---- waiting for the bot --------------------------------------------------------------

    def mark(self) -> int:
        """A position in the message log: ``next_in_chat`` returns messages after it."""
        return self._seq

    async def wait_for(
        self,
        predicate: Callable[[BotMessage], bool],
        timeout: float = 5.0,
        *,
        chat_id: int | None = None,
    ) -> BotMessage:
        """The oldest not yet consumed bot message satisfying ``predicate``; marks it consumed."""

        def check() -> BotMessage | None:
            for message in self.messages:
                if message.seq in self._consumed:
                    continue
                if chat_id is not None and message.chat_id != chat_id:
                    continue
                if predicate(message):
                    return message
            return None

        found = await self._wait_until(check, timeout)
        if found is None:
            where = f" in chat {chat_id}" if chat_id is not None else ""
            raise AssertionError(
                f"no matching bot message{where} within {timeout} s\n{self.dump()}"
            )
        self._consumed.add(found.seq)
        return found

    async def next_in_chat(
        self, chat_id: int, mark: int, timeout: float = 5.0, context: str = ""
    ) -> BotMessage:
        """The first bot message sent or edited in ``chat_id`` after ``mark``."""
        return (await self.next_n_in_chat(chat_id, mark, 1, timeout, context))[0]

    async def next_n_in_chat(
        self, chat_id: int, mark: int, count: int, timeout: float = 5.0, context: str = ""
    ) -> list[BotMessage]:
        chat = self._chats.get(chat_id)

        def check() -> list[BotMessage] | None:
            fresh = [
                m
                for m in (chat.records if chat else [])
                if m.seq > mark and m.seq not in self._consumed
            ]
            return fresh[:count] if len(fresh) >= count else None

        found = await self._wait_until(check, timeout)
        if found is None:
            got = len(check() or []) if count > 1 else 0
            raise AssertionError(
                f"{context}: expected {count} bot message(s) in chat {chat_id} within "
                f"{timeout} s{f', got {got}' if got else ''}\n{self.dump()}"
            )
        self._consumed.update(m.seq for m in found)
        return found

    async def wait_for_request(
        self,
        method: str,
        predicate: Callable[[Request], bool] | None = None,
        timeout: float = 5.0,
        *,
        after: int = 0,
    ) -> Request:
        """The first request to ``method`` (index >= ``after`` in ``requests``).

        Only a long-polling getUpdates is ever seen unanswered (``status == 0``).
        """

        def check() -> Request | None:
            for request in self.requests[after:]:
                if request.method == method and (predicate is None or predicate(request)):
                    return request
            return None

        found = await self._wait_until(check, timeout)
        if found is None:
            raise AssertionError(f"no {method} request within {timeout} s\n{self.dump()}")
        return found

    async def wait_callback_answer(
        self, query_id: str | None = None, timeout: float = 5.0
    ) -> CallbackAnswer:
        """The answerCallbackQuery for ``query_id`` (or the first one, if None)."""

        def check() -> CallbackAnswer | None:
            for answer in self.callback_answers:
                if query_id is None or answer.callback_query_id == query_id:
                    return answer
            return None

        found = await self._wait_until(check, timeout)
        if found is None:
            raise AssertionError(f"callback query {query_id} not answered\n{self.dump()}")
        return found

    async def expect_silence(self, chat_id: int | None = None, duration: float = 0.3) -> None:
        """Assert that the bot sends or edits nothing (in ``chat_id``) for ``duration`` s."""
        mark = self._seq

        def check() -> BotMessage | None:
            for message in self.messages:
                if message.seq > mark and (chat_id is None or message.chat_id == chat_id):
                    return message
            return None

        unexpected = await self._wait_until(check, duration)
        if unexpected is not None:
            raise AssertionError(f"expected silence, got {unexpected.describe()}")

    async def _wait_until(self, check: Callable[[], T | None], timeout: float) -> T | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def dump(self, limit: int = 12) -> str:
        """Recent state, for assertion messages."""
        lines = [
            f"pending updates: {len(self._queue)}; bot long-polling now: {self._pollers > 0}; "
            f"webhook: {(self.webhook or {}).get('url') or 'none'}",
            "recent bot messages:",
        ]
        lines += [f"  {m.describe()}" for m in self.messages[-limit:]] or ["  (none)"]
        lines.append("recent API calls (successful getUpdates omitted):")
        calls = [r for r in self.requests if r.method != "getUpdates" or not r.ok][-limit:]
        for request in calls:
            params = {k: v for k, v in request.params.items() if k not in ("reply_markup",)}
            text = json.dumps(params, ensure_ascii=False, default=str)
            if len(text) > 200:
                text = text[:197] + "..."
            lines.append(
                f"  {request.method} -> {request.status or 'pending'}"
                f"{' ' + request.description if request.description else ''} {text}"
            )
        if not calls:
            lines.append("  (none)")
        return "\n".join(lines)

    # ---- failure injection ----------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` answer ``status`` with a Bot API error body."""
        name = self._canonical.get(method.lower(), method)
        if status == 429 and retry_after is None:
            retry_after = 1
        queue = self._failures.setdefault(name, deque())
        queue.extend(_Failure(status, retry_after, description) for _ in range(times))

    def fail_chat(self, chat_id: int, status: int = 403) -> None:
        """Every call with this chat_id answers ``status`` until unfail_chat()."""
        self._failed_chats[chat_id] = status

    def unfail_chat(self, chat_id: int) -> None:
        self._failed_chats.pop(chat_id, None)

    # ---- HTTP -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        raw_method = request.match_info["method"]
        method = self._canonical.get(raw_method.lower())
        params, files = await self._read_params(request)
        record = Request(method or raw_method, params, files, time.monotonic())
        self.requests.append(record)
        self.stats["requests"] += 1
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            if method is None:
                raise ApiError(404, "Not Found: method not found")
            self._inject_failures(method, params)
            result = self._handlers[method](params, files)
            if asyncio.iscoroutine(result):
                result = await result
            status, body = 200, {"ok": True, "result": result}
            self.stats[method] += 1
        except ApiError as error:
            status, body = error.status, error.body()
            self.stats["errors"] += 1
        except asyncio.CancelledError:
            record.status = 499  # the client went away (e.g. polling stopped mid long-poll)
            self._notify()
            raise
        record.status = status
        record.response = body
        self._notify()
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        path = request.match_info["path"]
        for stored in self._files.values():
            if stored.file_path == path:
                return web.Response(body=stored.data, content_type=stored.mime_type)
        return web.json_response(ApiError(404, "Not Found").body(), status=404)

    async def _read_params(
        self, request: web.Request
    ) -> tuple[JsonDict, dict[str, tuple[str, bytes]]]:
        params: JsonDict = dict(request.query)
        parts: dict[str, tuple[str, bytes]] = {}
        if request.content_type == "application/json" and request.can_read_body:
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    try:
                        parts[key] = (value.filename, value.file.read())
                    finally:
                        value.file.close()
                elif isinstance(value, bytes):
                    params[key] = value.decode("utf-8")
                else:
                    params[key] = value
        params = _normalize(params)
        files: dict[str, tuple[str, bytes]] = {}
        for key, value in params.items():
            if isinstance(value, str) and value.startswith("attach://"):
                part = parts.pop(value.removeprefix("attach://"), None)
                if part is not None:
                    files[key] = part
        files.update(parts)
        return params, files

    def _inject_failures(self, method: str, params: JsonDict) -> None:
        queue = self._failures.get(method)
        if queue:
            failure = queue.popleft()
            chat_id = params.get("chat_id")
            description = failure.description or _default_description(
                failure.status, failure.retry_after, chat_id if isinstance(chat_id, int) else None
            )
            if failure.status == 429:
                self.stats["429"] += 1
            raise ApiError(failure.status, description, failure.retry_after)
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and chat_id in self._failed_chats:
            status = self._failed_chats[chat_id]
            raise ApiError(status, _default_description(status, 1, chat_id))

    # ---- rate limits ----------------------------------------------------------------------

    def _check_limits(self, chat_id: int) -> None:
        if not self.enforce_limits:
            return
        now = time.monotonic()
        waits: list[float] = []
        checks: list[tuple[deque[float], float, int]] = [
            (self._global_window, 1.0, self.global_per_second),
            (self._chat_windows.setdefault(chat_id, deque()), 1.0, self.per_chat_per_second),
        ]
        if chat_id < 0:
            group_window = self._group_windows.setdefault(chat_id, deque())
            checks.append((group_window, 60.0, self.per_group_per_minute))
        for window, span, allowed in checks:
            while window and window[0] <= now - span:
                window.popleft()
            if allowed > 0 and len(window) >= allowed:
                waits.append(window[-allowed] + span - now)
        if waits:
            self.stats["429"] += 1
            retry_after = max(1, math.ceil(max(waits)))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def _count_send(self, chat_id: int) -> None:
        self.stats["sent"] += 1
        if not self.enforce_limits:
            return
        now = time.monotonic()
        self._global_window.append(now)
        self._chat_windows.setdefault(chat_id, deque()).append(now)
        if chat_id < 0:
            self._group_windows.setdefault(chat_id, deque()).append(now)

    # ---- method implementations -----------------------------------------------------------

    def _true(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> bool:
        return True

    def _get_me(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_webhook_info(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> JsonDict:
        if self.webhook is None:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
            "max_connections": self.webhook["max_connections"],
            "allowed_updates": sorted(self.allowed_updates),
        }

    # -- webhook

    def _set_webhook(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(params, files)
        # Telegram wants HTTPS; the fake posts only to loopback, where plain HTTP is allowed.
        if not url.startswith(("https://", "http://127.0.0.1:", "http://localhost:")):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        max_connections = params.get("max_connections", 40)
        if not isinstance(max_connections, int) or not 1 <= max_connections <= 100:
            raise _bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list) and allowed:
            self.allowed_updates = frozenset(str(kind) for kind in allowed)
        elif isinstance(allowed, list):
            self.allowed_updates = _DEFAULT_UPDATE_TYPES
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self.webhook = {
            "url": url,
            "secret_token": None if secret is None else str(secret),
            "max_connections": max_connections,
            "allowed_updates": allowed,
        }
        if self._delivery is None or self._delivery.done():
            self._delivery = asyncio.create_task(self._deliver_updates())
        self._notify()
        return True

    def _delete_webhook(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self._notify()
        return True

    async def _deliver_updates(self) -> None:
        """While a webhook is set: POST queued updates, one in flight per chat, at most
        max_connections at once; a refused one again after ``webhook_retry_delay``."""
        loop = asyncio.get_running_loop()
        posts: set[asyncio.Task[None]] = set()
        connector = TCPConnector(ssl=self.webhook_tls or True)
        async with ClientSession(connector=connector) as session:
            try:
                while self.webhook is not None and not self._closing:
                    hook = self.webhook
                    changed = self._changed
                    now = loop.time()
                    wake_at: float | None = None
                    busy: set[int] = set()
                    for queued in list(self._queue):
                        if queued.kind not in self.allowed_updates:
                            self._queue.remove(queued)
                            self.filtered_updates.append(queued.update)
                            self._notify()
                            continue
                        key = queued.chat_key
                        if key in busy:
                            continue
                        busy.add(key)  # this chat's later updates wait behind this one
                        if queued.posting:
                            continue
                        if queued.retry_at > now:
                            wake_at = min(wake_at or queued.retry_at, queued.retry_at)
                            continue
                        if len(posts) >= hook["max_connections"]:
                            continue
                        queued.posting = True
                        task = asyncio.create_task(self._post_update(session, hook, queued))
                        posts.add(task)
                        task.add_done_callback(posts.discard)
                    timeout = 1.0 if wake_at is None else max(wake_at - now, 0.001)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), timeout)
            finally:
                # Deleting the webhook lets the POSTs in flight end (for a while: a bot that
                # never answers must not hold the test up); stopping the server does not.
                if posts and not self._closing:
                    await asyncio.wait(list(posts), timeout=POSTS_GRACE_SECONDS)
                for task in list(posts):
                    task.cancel()
                await asyncio.gather(*posts, return_exceptions=True)

    async def _post_update(self, session: ClientSession, hook: JsonDict, queued: _Queued) -> None:
        queued.attempts += 1
        status = await self.post_webhook(queued.update, hook["secret_token"], session=session)
        self.webhook_posts.append(
            WebhookPost(queued.update_id, queued.attempts, status, time.monotonic())
        )
        queued.posting = False
        queued.delivered = True
        if 200 <= status < 300:
            if queued in self._queue:
                self._queue.remove(queued)
        else:
            queued.retry_at = asyncio.get_running_loop().time() + self.webhook_retry_delay
        self._notify()

    async def post_webhook(
        self,
        update: JsonDict,
        secret: str | None,
        *,
        session: ClientSession | None = None,
        url: str | None = None,
    ) -> int:
        """POST ``update`` to the webhook URL (the one set, unless given) with ``secret`` in
        Telegram's header; the HTTP status of the answer, 0 if the connection failed."""
        target = url or (self.webhook or {}).get("url")
        if not target:
            raise AssertionError("no webhook is set")
        headers = {} if secret is None else {SECRET_HEADER: secret}
        own = session is None
        client = session or ClientSession()
        try:
            async with client.post(
                target, json=update, headers=headers, timeout=ClientTimeout(total=60)
            ) as response:
                await response.read()
                return response.status
        except (ClientError, TimeoutError):
            return 0
        finally:
            if own:
                await client.close()

    async def _get_updates(
        self, params: JsonDict, files: dict[str, tuple[str, bytes]]
    ) -> list[JsonDict]:
        offset = params.get("offset")
        offset = offset if isinstance(offset, int) and offset > 0 else None
        limit = params.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = params.get("timeout")
        timeout = max(timeout, 0) if isinstance(timeout, int) else 0
        if self.webhook is not None:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list) and allowed:
            self.allowed_updates = frozenset(str(kind) for kind in allowed)
        elif isinstance(allowed, list):
            self.allowed_updates = _DEFAULT_UPDATE_TYPES

        # A new getUpdates terminates one still waiting, as on the real server.
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()

        if offset is not None:
            before = len(self._queue)
            self._queue = [
                q
                for q in self._queue
                if not (q.update_id < offset and (not q.forced or q.delivered))
            ]
            if len(self._queue) != before:
                self._notify()

        def select() -> list[_Queued] | None:
            if self._closing:
                return []
            if self.webhook is not None:
                raise ApiError(409, _WEBHOOK_CONFLICT)
            if generation != self._poll_generation:
                raise ApiError(409, _CONFLICT)
            batch: list[_Queued] = []
            for queued in list(self._queue):
                if queued.kind not in self.allowed_updates:
                    self._queue.remove(queued)
                    self.filtered_updates.append(queued.update)
                    self._notify()  # wake wait_until_consumed
                    continue
                eligible = (
                    (queued.forced and not queued.delivered)
                    or offset is None
                    or queued.update_id >= offset
                )
                if eligible and len(batch) < limit:
                    batch.append(queued)
            return batch or None

        self._pollers += 1
        try:
            batch = await self._wait_until(select, timeout) or []
        finally:
            self._pollers -= 1
        for queued in batch:
            queued.delivered = True
        return [queued.update for queued in batch]

    def _set_my_commands(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        self.commands[self._commands_key(params)] = commands
        return True

    def _get_my_commands(
        self, params: JsonDict, files: dict[str, tuple[str, bytes]]
    ) -> list[JsonDict]:
        return self.commands.get(self._commands_key(params), [])

    def _delete_my_commands(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    @staticmethod
    def _commands_key(params: JsonDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    # -- messages

    def _target_chat(self, params: JsonDict) -> _Chat:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        if not isinstance(chat_id, int):
            raise _bad_request("chat not found")
        chat = self._chats.get(chat_id)
        if chat is None:
            if self.strict_chats:
                raise _bad_request("chat not found")
            kind = "private" if chat_id > 0 else "supergroup"
            obj: JsonDict = {"id": chat_id, "type": kind}
            obj["first_name" if chat_id > 0 else "title"] = f"Chat {chat_id}"
            chat = self._chat(obj)
        return chat

    def _format(
        self, text: str, parse_mode: str | None, entities: Any, *, caption: bool = False
    ) -> tuple[str, list[JsonDict]]:
        if parse_mode and parse_mode.upper() == "HTML":
            plain, parsed = parse_html(text)
        else:
            plain, parsed = text, entities if isinstance(entities, list) else []
        limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
        if _u16len(plain) > limit:
            raise _bad_request("message caption is too long" if caption else "message is too long")
        return plain, parsed

    @staticmethod
    def _markup(params: JsonDict) -> JsonDict | None:
        markup = params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is not None:
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad_request("can't parse inline keyboard markup JSON object")
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise _bad_request("can't parse inline keyboard button: text is empty")
                    if not any(key in button for key in _BUTTON_ACTIONS):
                        raise _bad_request(
                            "can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard"
                        )
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                        raise _bad_request("BUTTON_DATA_INVALID")
                    web_app = button.get("web_app")
                    if web_app is not None:  # Telegram opens Mini Apps over HTTPS only
                        url = str(web_app.get("url", "")) if isinstance(web_app, dict) else ""
                        if not url.startswith("https://"):
                            raise _bad_request(
                                f"inline keyboard button Web App URL '{url}' is invalid: "
                                "Only HTTPS links are allowed"
                            )
        return markup

    @staticmethod
    def _inline_markup(markup: JsonDict | None) -> JsonDict | None:
        """What Telegram echoes in Message.reply_markup: only a non-empty inline keyboard."""
        if markup and markup.get("inline_keyboard"):
            return {"inline_keyboard": markup["inline_keyboard"]}
        return None

    def _message_obj(
        self, chat: _Chat, message_id: int, content: JsonDict, markup: JsonDict | None
    ) -> JsonDict:
        obj: JsonDict = {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": dict(chat.obj),
            "date": int(time.time()),
            **content,
        }
        inline = self._inline_markup(markup)
        if inline is not None:
            obj["reply_markup"] = inline
        return obj

    def _record(self, chat: _Chat, message: BotMessage) -> None:
        self._seq += 1
        message.seq = self._seq
        message.time = time.monotonic()
        self.messages.append(message)
        chat.records.append(message)
        chat.live[message.message_id] = message
        if message.edited:
            self.stats["edited"] += 1

    def _text_content(self, params: JsonDict, *, caption: bool) -> tuple[JsonDict, str | None]:
        key = "caption" if caption else "text"
        text = params.get(key)
        if text is None or text == "":
            if caption:
                return {}, None
            raise _bad_request("message text is empty")
        text = str(text)
        entities_key = "caption_entities" if caption else "entities"
        plain, entities = self._format(
            text, params.get("parse_mode"), params.get(entities_key), caption=caption
        )
        if not caption and not plain.strip():
            raise _bad_request("message text is empty")
        content: JsonDict = {key: plain}
        if entities:
            content[entities_key] = entities
        return content, text

    def _send(
        self,
        method: str,
        params: JsonDict,
        content: JsonDict,
        text: str | None,
        *,
        photo: bytes | None = None,
        document: tuple[str, bytes] | None = None,
    ) -> JsonDict:
        chat = self._target_chat(params)
        markup = self._markup(params)
        self._check_limits(int(chat.obj["id"]))
        message_id = chat.take_message_id()
        obj = self._message_obj(chat, message_id, content, markup)
        message = BotMessage(
            chat_id=int(chat.obj["id"]),
            message_id=message_id,
            text=text,
            reply_markup=markup,
            method=method,
            photo=photo,
            document=document,
            parse_mode=params.get("parse_mode"),
            raw=obj,
        )
        self._record(chat, message)
        self._count_send(message.chat_id)
        return obj

    def _send_message(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> JsonDict:
        self._target_chat(params)
        content, text = self._text_content(params, caption=False)
        return self._send("sendMessage", params, content, text)

    def _media(
        self, params: JsonDict, files: dict[str, tuple[str, bytes]], key: str, kind: str
    ) -> _StoredFile | None:
        """The uploaded file, a re-sent file_id's file, or None for a URL."""
        if key in files:
            filename, data = files[key]
            return self._store_file(kind, filename, data)
        value = params.get(key)
        if not value:
            raise _bad_request(f"there is no {key} in the request")
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return None
        raise _bad_request("wrong file identifier/HTTP URL specified")

    def _send_photo(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> JsonDict:
        self._target_chat(params)
        stored = self._media(params, files, "photo", "photos")
        content, caption = self._text_content(params, caption=True)
        data = stored.data if stored else b""
        width, height = _image_size(data)
        size: JsonDict = {
            "file_id": stored.file_id if stored else f"AgACAgUrl{next(self._file_counter)}",
            "file_unique_id": stored.file_unique_id if stored else "AQADurl",
            "file_size": len(data),
            "width": width,
            "height": height,
        }
        content = {"photo": [size], **content}
        return self._send(
            "sendPhoto", params, content, caption, photo=stored.data if stored else None
        )

    def _send_document(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> JsonDict:
        self._target_chat(params)
        stored = self._media(params, files, "document", "documents")
        content, caption = self._text_content(params, caption=True)
        if stored is None:
            doc: JsonDict = {"file_id": "BQACAgUrl", "file_unique_id": "AgADurl"}
            document = None
        else:
            doc = self._document_obj(stored)
            document = (stored.filename, stored.data)
        content = {"document": doc, **content}
        return self._send("sendDocument", params, content, caption, document=document)

    def _store_file(
        self, kind: str, filename: str, data: bytes, mime_type: str | None = None
    ) -> _StoredFile:
        number = next(self._file_counter)
        prefix = "AgACAgIAAxkBAA" if kind == "photos" else "BQACAgIAAxkBAA"
        suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        stored = _StoredFile(
            file_id=f"{prefix}{number:06d}",
            file_unique_id=f"AQAD{number:06d}",
            file_path=f"{kind}/file_{number}.{suffix}",
            filename=filename,
            data=data,
            mime_type=mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream",
        )
        self._files[stored.file_id] = stored
        return stored

    @staticmethod
    def _document_obj(stored: _StoredFile) -> JsonDict:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.filename,
            "mime_type": stored.mime_type,
            "file_size": len(stored.data),
        }

    def _get_file(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> JsonDict:
        stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise _bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    def _editable(self, params: JsonDict) -> tuple[_Chat, BotMessage]:
        if params.get("inline_message_id"):
            raise _bad_request("inline messages are not supported by the fake")
        chat = self._target_chat(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad_request("message identifier is not specified")
        current = chat.live.get(message_id)
        if current is None:
            raise _bad_request("message to edit not found")
        return chat, current

    def _apply_edit(
        self,
        method: str,
        chat: _Chat,
        current: BotMessage,
        content: JsonDict,
        text: str | None,
        markup: JsonDict | None,
        parse_mode: str | None,
    ) -> JsonDict:
        old = current.raw
        new = {k: v for k, v in old.items() if k not in ("reply_markup", "edit_date")}
        if "text" in content:
            new.pop("text", None)
            new.pop("entities", None)
        if "caption" in content:
            new.pop("caption", None)
            new.pop("caption_entities", None)
        new.update(content)
        inline = self._inline_markup(markup)
        if inline is not None:
            new["reply_markup"] = inline
        same = all(
            new.get(key) == old.get(key)
            for key in ("text", "entities", "caption", "caption_entities", "reply_markup")
        )
        if same:
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        new["edit_date"] = int(time.time())
        message = BotMessage(
            chat_id=current.chat_id,
            message_id=current.message_id,
            text=text,
            reply_markup=markup,
            method=method,
            photo=current.photo,
            document=current.document,
            parse_mode=parse_mode,
            edited=True,
            raw=new,
        )
        self._record(chat, message)
        return new

    def _edit_message_text(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> JsonDict:
        chat, current = self._editable(params)
        if "text" not in current.raw:
            raise _bad_request("there is no text in the message to edit")
        content, text = self._text_content(params, caption=False)
        markup = self._markup(params)
        return self._apply_edit(
            "editMessageText", chat, current, content, text, markup, params.get("parse_mode")
        )

    def _edit_message_caption(
        self, params: JsonDict, files: dict[str, tuple[str, bytes]]
    ) -> JsonDict:
        chat, current = self._editable(params)
        if "text" in current.raw:
            raise _bad_request("there is no caption in the message to edit")
        content, caption = self._text_content(params, caption=True)
        if not content:
            content = {"caption": ""}
        markup = self._markup(params)
        new = self._apply_edit(
            "editMessageCaption", chat, current, content, caption, markup, params.get("parse_mode")
        )
        if new.get("caption") == "":
            new.pop("caption")
        return new

    def _edit_message_reply_markup(
        self, params: JsonDict, files: dict[str, tuple[str, bytes]]
    ) -> JsonDict:
        chat, current = self._editable(params)
        markup = self._markup(params)
        return self._apply_edit(
            "editMessageReplyMarkup",
            chat,
            current,
            {},
            current.text,
            markup,
            current.parse_mode,
        )

    def _answer_callback_query(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        query = self._callbacks.pop(query_id, None)
        if query is None:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        data, user_id, chat_id = query
        cache_time = params.get("cache_time")
        self.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                text=params.get("text"),
                show_alert=bool(params.get("show_alert", False)),
                url=params.get("url"),
                cache_time=cache_time if isinstance(cache_time, int) else None,
                data=data,
                user_id=user_id,
                chat_id=chat_id,
                time=time.monotonic(),
            )
        )
        return True

    def _send_chat_action(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> bool:
        self._target_chat(params)
        if not params.get("action"):
            raise _bad_request("wrong parameter action in request")
        return True

    def _set_message_reaction(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> bool:
        """A bot may set one reaction per message (a list of more is refused), on a message
        the chat has; an empty list takes it away."""
        chat = self._target_chat(params)
        message_id = params.get("message_id")
        if message_id not in chat.live and message_id not in chat.user_message_ids:
            raise _bad_request("message to react not found")
        self._check_limits(int(chat.obj["id"]))
        reaction = params.get("reaction") or []
        if not isinstance(reaction, list) or len(reaction) > 1:
            raise _bad_request("REACTIONS_TOO_MANY")
        key = (int(chat.obj["id"]), int(message_id))
        if not reaction:
            self.reactions.pop(key, None)
        else:
            kind = reaction[0]
            if not isinstance(kind, dict) or kind.get("type") != "emoji" or not kind.get("emoji"):
                raise _bad_request("REACTION_INVALID")
            self.reactions[key] = str(kind["emoji"])
        self._count_send(key[0])
        self._notify()
        return True

    def _delete_message(self, params: JsonDict, files: dict[str, tuple[str, bytes]]) -> bool:
        chat = self._target_chat(params)
        message_id = params.get("message_id")
        if message_id in chat.live:
            del chat.live[message_id]
        elif message_id in chat.user_message_ids:
            chat.user_message_ids.discard(message_id)
        else:
            raise _bad_request("message to delete not found")
        self.deleted.append((int(chat.obj["id"]), int(message_id)))
        return True


def _normalize(params: JsonDict) -> JsonDict:
    """Form values are strings: turn ids into ints, flags into bools, JSON fields into objects."""
    out: JsonDict = {}
    for key, value in params.items():
        if isinstance(value, str):
            if key in _INT_FIELDS and _INT_RE.fullmatch(value):
                value = int(value)
            elif key in _BOOL_FIELDS and value.lower() in ("true", "false", "1", "0"):
                value = value.lower() in ("true", "1")
            elif key in _JSON_FIELDS and value.startswith(("[", "{")):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
        out[key] = value
    return out


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG (read from its IHDR chunk); 320x320 for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return 320, 320
