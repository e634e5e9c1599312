"""Conversations belong to the browser that started them.

The chat's socket.io channel gives each new conversation an id and a token: `<id>.<signature>`, the
signature an HMAC of the id under the Rasa server's session key. The browser keeps the token (rasa-webchat
and our widget both keep whatever `session_confirm` gives them and send it back); the conversation is
stored, and shown to staff, under the id alone. Knowing an id, from a staff page or an export, is not
enough to listen to the conversation or write into it: that takes the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from typing import Optional

# The conversation ids the chat channel makes; the REST channel accepts no sender of this form, so a
# REST client cannot write into a chat widget's conversation either.
CHAT_ID = re.compile(r"chat-[0-9a-f]{32}")
SIGNATURE_CHARS = 32


def new_conversation_id() -> str:
    return f"chat-{uuid.uuid4().hex}"


def signature(key: str, conversation_id: str) -> str:
    digest = hmac.new(key.encode(), conversation_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:SIGNATURE_CHARS]


def token_for(key: str, conversation_id: str) -> str:
    """What the browser holds for the conversation."""
    return f"{conversation_id}.{signature(key, conversation_id)}"


def conversation_of(key: str, token: object) -> Optional[str]:
    """The conversation a token opens, or None when it is not one this server signed."""
    if not isinstance(token, str) or len(token) > 100:
        return None
    conversation_id, _, given = token.partition(".")
    if not CHAT_ID.fullmatch(conversation_id):
        return None
    return conversation_id if hmac.compare_digest(given, signature(key, conversation_id)) else None
