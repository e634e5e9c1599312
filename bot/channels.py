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
import os
import re
import uuid
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

import yaml
from rasa.core.channels.channel import (
    CollectingOutputChannel,
    OutputChannel,
    UserMessage,
    decode_bearer_token,
)
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from actions.conversation import BROKEN_TEXT
from api.throttle import SlidingWindow
from bot import rasa_fixes

rasa_fixes.apply()  # Rasa imports our channels before serving: the right moment, once per process

logger = logging.getLogger(__name__)
# A patient's message longer than this is cut, and the patient told so, before Rasa reads it.
MAX_MESSAGE_CHARS = 2000
# A person types a few messages a minute; more than this from one sender is a script or a stuck client.
CHAT_LIMIT_PER_MINUTE = 30
CONTENT = Path(__file__).resolve().parents[1] / "content"
# A session id the widget made (uuid hex) or any similar opaque id; a message id it made per message.
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def notice(key: str) -> Dict[str, Any]:
    """A reply from content/replies.yml that the channel itself gives (no Rasa turn needed)."""
    try:
        from actions.clinic import fill, load_clinic, placeholders
        from actions.settings import settings

        spec = _replies(Path(os.environ.get("CLINIC_CONTENT_DIR", CONTENT)) / "replies.yml")[key]
        text = fill(spec["text"], placeholders(load_clinic(settings().clinic_config)))
        return {"text": " ".join(text.split()), "custom": {"topic": spec["topic"]}}
    except Exception:  # the content is what failed: a fixed sentence rather than silence
        logger.exception("The channel's reply %r could not be read from the content", key)
        return {"text": BROKEN_TEXT, "custom": {"topic": "out_of_scope"}}


@lru_cache(maxsize=2)
def _replies(path: Path) -> Dict[str, Any]:
    replies: Dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))["replies"]
    return replies


@lru_cache(maxsize=1)
def chat_limit() -> SlidingWindow:
    """Messages per sender per minute (CLINIC_CHAT_LIMIT_PER_MINUTE, default 30; 0 turns it off)."""
    per_minute = os.environ.get("CLINIC_CHAT_LIMIT_PER_MINUTE", "").strip()
    if per_minute and not per_minute.isdigit():
        logger.error(
            "CLINIC_CHAT_LIMIT_PER_MINUTE=%r is not a whole number: using %d",
            per_minute,
            CHAT_LIMIT_PER_MINUTE,
        )
    return SlidingWindow(int(per_minute) if per_minute.isdigit() else CHAT_LIMIT_PER_MINUTE, 60.0)


async def take(message: UserMessage, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Any:
    """Hand a patient's message to Rasa; answer here what Rasa should not or could not.

    An empty message and one over the sender's rate limit are answered without Rasa; a very long one
    is cut (and the patient told so); and if Rasa fails or says nothing (the action server is down,
    say), the patient is told something went wrong and given the clinic's phone instead of silence.
    """
    output = message.output_channel
    text = message.text or ""
    if not text.strip():
        await output.send_response(message.sender_id, notice("empty_message"))
        return None
    if not chat_limit().take(message.sender_id):
        logger.warning("A sender went over the chat rate limit; their message was not read")
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
    """The REST channel with whole replies."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def whole_replies(message: UserMessage) -> Any:
            # Exactly the plain collector: the streaming variant (a subclass) keeps its queue.
            if type(message.output_channel) is CollectingOutputChannel:
                message.output_channel = WholeReplyCollector(message.output_channel.messages)
            return await take(message, on_new_message)

        return super().blueprint(whole_replies)


class WholeReplySocketIOOutput(CountingReplies, SocketIOOutput):
    """Emits each reply as one `bot_uttered`: text, quick replies and `custom` together."""

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        whole = {key: message[key] for key in ("text", "image", "attachment", "custom") if message.get(key)}
        buttons = message.get("buttons") or message.get("quick_replies") or []
        if buttons:
            # The stock socket.io shape, so off-the-shelf socket.io chat clients render them too.
            whole["quick_replies"] = [
                {"content_type": "text", "title": button["title"], "payload": button["payload"]}
                for button in buttons
            ]
        self.count_reply()
        await self._send_message(recipient_id, whole)


def allowed_origins(value: Optional[str]) -> List[str]:
    """CLINIC_ALLOWED_ORIGINS as a list: origins separated by spaces or commas; empty means any."""
    return [origin.rstrip("/") for origin in (value or "").replace(",", " ").split()]


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
      the HTTP polling transport, not WebSockets).
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
        sio = self.sio
        assert sio is not None
        origins = allowed_origins(os.environ.get("CLINIC_ALLOWED_ORIGINS"))
        seen: OrderedDict[str, None] = OrderedDict()

        async def connect(sid: str, environ: Dict[str, Any], auth: Optional[Dict[str, Any]] = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if origin and origins and "*" not in origins and origin.rstrip("/") not in origins:
                logger.info("Refused a socket.io connection from origin %s", origin)
                return False
            if self.jwt_key:
                token = (auth or {}).get("token")
                payload = token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm)
                return bool(payload)
            return True

        async def session_request(sid: str, data: Optional[Dict[str, Any]]) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        async def handle_message(sid: str, data: Any) -> bool:
            if not isinstance(data, dict):
                return False
            if self.session_persistence:
                sender_id = data.get("session_id")
                if not isinstance(sender_id, str) or not sender_id:
                    logger.warning("A socket.io message without a session_id was ignored")
                    return False
            else:
                sender_id = sid
            message_id = data.get("message_id")
            if isinstance(message_id, str) and MESSAGE_ID.fullmatch(message_id):
                key = f"{sender_id}\n{message_id}"
                if key in seen:
                    logger.debug(
                        "Message %s of %s was already taken; not answering it again", message_id, sender_id
                    )
                    return True
                seen[key] = None
                while len(seen) > self.REMEMBERED_MESSAGES:
                    seen.popitem(last=False)
            else:
                message_id = None
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            message = UserMessage(
                str(data.get("message") or ""),
                WholeReplySocketIOOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                message_id=message_id,
                metadata=metadata if isinstance(metadata, dict) else {},
            )
            try:
                await take(message, on_new_message)
            except Exception:
                # Not taken after all: the client's retry must be handled, not dropped as a duplicate.
                if message_id is not None:
                    seen.pop(f"{sender_id}\n{message_id}", None)
                raise
            return True  # the acknowledgement: the client can forget this message

        # Replace the stock handlers (the last one registered for an event wins).
        sio.on("connect", connect, namespace=self.namespace)
        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return blueprint
