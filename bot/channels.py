"""Rasa's REST channel, answering each reply as one message: text, buttons and `custom` together.

Stock Rasa splits a reply into a text message and a separate `custom` message, so a client would have
to guess which topic belongs to which text. Listed in credentials.yml as `bot.channels.ClinicRestInput`,
it keeps the stock URL `/webhooks/rest/webhook`.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint


class WholeReplyCollector(CollectingOutputChannel):
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
            return await on_new_message(message)

        return super().blueprint(whole_replies)
