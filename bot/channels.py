"""Rasa's REST and socket.io channels, answering each reply as one message: text, buttons and `custom`
together.

Stock Rasa splits a reply into a text message and a separate `custom` message, so a client would have
to guess which topic belongs to which text. Listed in credentials.yml as `bot.channels.ClinicRestInput`
and `bot.channels.ClinicSocketIOInput`, they keep the stock URLs `/webhooks/rest/webhook` and
`/socket.io`.
"""

from __future__ import annotations

import json
import logging
import re
from asyncio import CancelledError
from collections import OrderedDict
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    OutputChannel,
    UserMessage,
    decode_bearer_token,
)
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, Request
from sanic.exceptions import InvalidUsage

from bot import rasa_fixes
from bot.sessions import CHAT_ID, conversation_of, new_conversation_id, token_for
from bot.settings import Settings
from clinic.content import BROKEN_TEXT
from clinic.content import notice as content_notice
from clinic.limits import SlidingWindow

rasa_fixes.apply()  # Rasa imports our channels before serving: the right moment, once per process

logger = logging.getLogger(__name__)
# A patient's message longer than this is cut, and the patient told so, before Rasa reads it.
MAX_MESSAGE_CHARS = 2000
# A message id the widget made per message; a REST client's name for its conversation.
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
REST_SENDER = re.compile(r"[A-Za-z0-9_-]{1,64}")
BAD_SENDER = (
    'Every message needs a "sender": the conversation\'s id, 1 to 64 letters, digits, "-" or "_" '
    '(ids starting "chat-" belong to the chat widget).'
)


@lru_cache(maxsize=1)
def channel_settings() -> Settings:
    """Read once per process (the channels ask for it as Rasa builds them, so a mistake stops Rasa at start)."""
    return Settings.from_env()


@lru_cache(maxsize=1)
def chat_limit() -> SlidingWindow:
    """Messages per sender per minute (CLINIC_CHAT_LIMIT_PER_MINUTE, default 30; 0 turns it off)."""
    return SlidingWindow(channel_settings().chat_limit_per_minute, 60.0)


@lru_cache(maxsize=1)
def client_limit() -> SlidingWindow:
    """Messages per client address per minute (CLINIC_CHAT_LIMIT_PER_CLIENT_PER_MINUTE, default 300):
    new sender ids don't get round the sender's limit."""
    return SlidingWindow(channel_settings().chat_limit_per_client_per_minute, 60.0)


# The address the message being taken came from: each channel sets it before calling `take`.
client_address: ContextVar[str] = ContextVar("client_address", default="unknown")


def address_of(peer: str, forwarded_for: Optional[str], trusted_proxies: Tuple[str, ...]) -> str:
    """The client's address: the peer's own, or the one a trusted reverse proxy says it forwarded (the
    last in X-Forwarded-For: the proxy appends what it saw; anything before it the client could write)."""
    if peer in trusted_proxies and forwarded_for:
        return forwarded_for.split(",")[-1].strip() or peer
    return peer


def over_the_limit(sender_id: str) -> bool:
    return not chat_limit().take(sender_id) or not client_limit().take(client_address.get())


def notice(key: str) -> Dict[str, Any]:
    """A reply from content/replies.yml that the channel itself gives (no Rasa turn needed)."""
    try:
        said = content_notice(channel_settings().files, key)
        return {"text": said.text, "custom": {"topic": said.topic}}
    except Exception:  # the content is what failed: a fixed sentence rather than silence
        logger.exception("The channel's reply %r could not be read from the content", key)
        return {"text": BROKEN_TEXT, "custom": {"topic": "out_of_scope"}}


async def take(message: UserMessage, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Any:
    """Hand a patient's message to Rasa; answer here what Rasa should not or could not.

    An empty message and one over the sender's or the client's rate limit are answered without Rasa; a very long one
    is cut (and the patient told so); and if Rasa fails or says nothing (the action server is down,
    say), the patient is told something went wrong and given the clinic's phone instead of silence.
    """
    output = message.output_channel
    text = message.text or ""
    if not text.strip():
        await output.send_response(message.sender_id, notice("empty_message"))
        return None
    if over_the_limit(message.sender_id):
        logger.warning("A sender or client went over the chat rate limit; their message was not read")
        await output.send_response(message.sender_id, notice("slow_down"))
        return None
    if len(text) > MAX_MESSAGE_CHARS:
        message.text = text[:MAX_MESSAGE_CHARS]
        await output.send_response(message.sender_id, notice("message_cut"))
    replies_before = getattr(output, "replies", None)
    try:
        result = await on_new_message(message)
    except Exception as error:
        # Without the message or the error's text, which can quote it (Rasa's own handler would log
        # the patient's text); the traceback only at debug level.
        logger.error("Rasa failed to handle a message: %s", type(error).__name__)
        logger.debug("Rasa's failure", exc_info=True)
        await output.send_response(message.sender_id, notice("broken"))
        return None
    if replies_before is not None and output.replies == replies_before:
        logger.error("Rasa gave no reply to a message (is the action server up?)")
        await output.send_response(message.sender_id, notice("broken"))
    return result


class CountingReplies:
    """Counts the replies sent for one message, so `take` can tell silence from an answer."""

    replies = 0

    def count_reply(self) -> None:
        self.replies += 1


class WholeReplyCollector(CountingReplies, CollectingOutputChannel):
    """Collects replies into the list the REST handler returns, one message per reply."""

    def __init__(self, messages: List[Dict[str, Any]]) -> None:
        self.messages = messages

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        whole = self._message(
            recipient_id,
            text=message.get("text"),
            image=message.get("image"),
            buttons=message.get("buttons") or message.get("quick_replies"),
            attachment=message.get("attachment"),
            custom=message.get("custom"),
        )
        self.count_reply()
        await self._persist_message(whole)


class ClinicRestInput(RestInput):
    """The REST channel with whole replies, for senders of a fixed form only.

    A sender id is what a REST client names its conversation by: 1 to 64 letters, digits, "-" or "_",
    and never one of the chat widget's conversation ids (bot/sessions.py), which only their browser's
    token opens. A message without one is refused (400), not filed under a shared "default".
    """

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, request: Request) -> str:
        body = request.json if isinstance(request.json, dict) else {}
        sender = body.get("sender")
        if not isinstance(sender, str) or not REST_SENDER.fullmatch(sender) or CHAT_ID.fullmatch(sender):
            raise InvalidUsage(BAD_SENDER)
        settings = channel_settings()
        client_address.set(
            address_of(request.ip, request.headers.get("x-forwarded-for"), settings.trusted_proxies)
        )
        return sender

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        channel_settings()  # a settings mistake stops Rasa now, not at the first patient's message

        async def whole_replies(message: UserMessage) -> Any:
            # Exactly the plain collector: the streaming variant (a subclass) keeps its queue.
            if type(message.output_channel) is CollectingOutputChannel:
                message.output_channel = WholeReplyCollector(message.output_channel.messages)
            try:
                return await take(message, on_new_message)
            except CancelledError:
                # The client went away. Handled here: Rasa's own handler would log the patient's text.
                logger.warning("A REST message's handling was cancelled (the client left?)")
                return None

        return super().blueprint(whole_replies)


class WholeReplySocketIOOutput(CountingReplies, SocketIOOutput):
    """Emits each reply as one `bot_uttered` in the stock socket.io shape: `text`, `quick_replies`, and
    our topic, sources and `asks` as the message's `metadata`.

    Off-the-shelf clients render a reply only in the shapes they know: rasa-webchat draws exactly
    `{text}` or `{text, quick_replies}` and sends anything else to a custom-component hook, but it sets
    `metadata` aside before choosing. So `metadata` reaches our widget and is harmless to theirs.
    """

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        whole = {key: message[key] for key in ("text", "image", "attachment") if message.get(key)}
        if message.get("custom"):
            whole["metadata"] = message["custom"]
        buttons = message.get("buttons") or message.get("quick_replies") or []
        if buttons:
            # The stock socket.io shape, so off-the-shelf socket.io chat clients render them too.
            whole["quick_replies"] = [
                {"content_type": "text", "title": button["title"], "payload": button["payload"]}
                for button in buttons
            ]
        self.count_reply()
        await self._send_message(recipient_id, whole)


class ClinicSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with whole replies, working session persistence and at-most-once messages.

    Listed in credentials.yml as `bot.channels.ClinicSocketIOInput`; it keeps the stock path /socket.io
    and events. On top of the stock channel it:
    - emits one `bot_uttered` per reply (text, quick_replies and custom together);
    - awaits `enter_room` (a coroutine in python-socketio 5, which the stock channel never awaits, so
      with session_persistence its replies went to an empty room);
    - drops a message whose `message_id` this server has already taken for that session, so a client
      may resend whatever it has no acknowledgement for after a reconnect without it being answered twice;
    - refuses socket connections from browser origins not in CLINIC_ALLOWED_ORIGINS (CORS covers only
      the HTTP polling transport, not WebSockets);
    - gives each conversation a token (bot/sessions.py) and lets a socket join only the conversation
      whose token it holds, and write only into the conversation it joined.
    """

    REMEMBERED_MESSAGES = 10_000

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return super().get_output_channel()
        return WholeReplySocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        assert self.sio is not None
        settings = channel_settings()
        self.origins = settings.allowed_origins
        self.trusted_proxies = settings.trusted_proxies
        self.session_key = settings.chat_session_key()
        self.seen: OrderedDict[str, None] = OrderedDict()
        # Each socket's conversation (the one whose token it showed) and address, until it disconnects.
        self.conversations: Dict[str, str] = {}
        self.addresses: Dict[str, str] = {}
        self.on_new_message = on_new_message
        # Replace the stock handlers (the last one registered for an event wins).
        self.sio.on("connect", self.connect, namespace=self.namespace)
        self.sio.on("disconnect", self.disconnect, namespace=self.namespace)
        self.sio.on("session_request", self.session_request, namespace=self.namespace)
        self.sio.on(self.user_message_evt, self.handle_message, namespace=self.namespace)
        return blueprint

    async def connect(self, sid: str, environ: Dict[str, Any], auth: Optional[Dict[str, Any]] = None) -> bool:
        """Refuse browsers from other sites' pages, and (with a jwt_key) sockets without a valid token."""
        origin = environ.get("HTTP_ORIGIN")
        if origin and self.origins and "*" not in self.origins and origin.rstrip("/") not in self.origins:
            logger.info("Refused a socket.io connection from origin %s", origin)
            return False
        peer = str(environ.get("REMOTE_ADDR") or "unknown")
        self.addresses[sid] = address_of(peer, environ.get("HTTP_X_FORWARDED_FOR"), self.trusted_proxies)
        if self.jwt_key:
            token = (auth or {}).get("token")
            return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))
        return True

    async def disconnect(self, sid: str) -> None:
        self.conversations.pop(sid, None)
        self.addresses.pop(sid, None)

    async def session_request(self, sid: str, data: Optional[Dict[str, Any]]) -> None:
        """Join the conversation whose token the client shows, or start a new one and give it its token."""
        data = data if isinstance(data, dict) else {}
        token = data.get("session_id")
        conversation = conversation_of(self.session_key, token)
        if conversation is None:  # none yet, or an id without this server's signature: a new conversation
            conversation = new_conversation_id()
            token = token_for(self.session_key, conversation)
        self.conversations[sid] = conversation
        if self.session_persistence:
            await self.sio.enter_room(sid, conversation, namespace=self.namespace)
        await self.sio.emit("session_confirm", token, room=sid, namespace=self.namespace)

    async def handle_message(self, sid: str, data: Any) -> bool:
        """Hand a message to Rasa once; the return value is the client's acknowledgement."""
        if not isinstance(data, dict):
            return False
        sender_id = self.sender_of(sid, data)
        if sender_id is None:
            return False
        message_id = data.get("message_id")
        message_id = message_id if isinstance(message_id, str) and MESSAGE_ID.fullmatch(message_id) else None
        if message_id is not None and not self.first_time(sender_id, message_id):
            logger.debug("Message %s of %s was already taken; not answering it again", message_id, sender_id)
            return True
        client_address.set(self.addresses.get(sid, "unknown"))
        message = UserMessage(
            str(data.get("message") or ""),
            WholeReplySocketIOOutput(self.sio, self.bot_message_evt),
            sender_id,
            input_channel=self.name(),
            message_id=message_id,
            metadata=self.metadata_of(data),
        )
        try:
            await take(message, self.on_new_message)
        except Exception:
            # Not taken after all: the client's retry must be handled, not dropped as a duplicate.
            if message_id is not None:
                self.seen.pop(f"{sender_id}\n{message_id}", None)
            raise
        return True

    def sender_of(self, sid: str, data: Dict[str, Any]) -> Optional[str]:
        """The conversation this socket joined; None (the message is refused) when it joined none, or
        names another one than it joined."""
        if not self.session_persistence:
            return sid
        conversation = self.conversations.get(sid)
        if conversation is None:
            logger.warning("A socket.io message before any session_request was refused")
            return None
        named = data.get("session_id")
        if named is not None and conversation_of(self.session_key, named) != conversation:
            logger.warning("A socket.io message for a conversation its socket doesn't hold was refused")
            return None
        return conversation

    def first_time(self, sender_id: str, message_id: str) -> bool:
        """Whether this server sees this message of this session for the first time (and remember it)."""
        key = f"{sender_id}\n{message_id}"
        if key in self.seen:
            return False
        self.seen[key] = None
        while len(self.seen) > self.REMEMBERED_MESSAGES:
            self.seen.popitem(last=False)
        return True

    def metadata_of(self, data: Dict[str, Any]) -> Dict[str, Any]:
        metadata = data.get(self.metadata_key) or {}
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                metadata = {}
        return metadata if isinstance(metadata, dict) else {}
