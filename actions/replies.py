"""What the assistant says besides FAQ answers (content/replies.yml), ready for the dispatcher.

Every message carries `custom: {"topic": ...}` so the chat page, staff analytics and tests know
what was answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import Answer, KnowledgeBase
from actions.settings import settings
from clinic.content import REPLIES_FILE, clinic_values, content_file
from clinic.facts import fill


@dataclass
class Reply:
    topic: str
    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)
    miss: bool = False
    extra: Dict[str, Any] = field(default_factory=dict)

    def send(self, dispatcher: CollectingDispatcher) -> None:
        dispatcher.utter_message(
            text=self.text, buttons=self.buttons, json_message={"topic": self.topic, **self.extra}
        )


class Replies:
    """The reply texts, filled with the clinic's facts, and the buttons they offer."""

    def __init__(self, content: Dict[str, Any], values: Dict[str, str], kb: KnowledgeBase) -> None:
        self.replies = content["replies"]
        self.named_buttons = content.get("buttons", {})
        self.lines = content.get("lines", {})
        self.values = values
        self.kb = kb

    def button(self, name: str) -> Dict[str, str]:
        """A named button from replies.yml, or the button that asks a knowledge-base topic."""
        if name in self.named_buttons:
            return dict(self.named_buttons[name])
        return {"title": self.kb.answer(name).title, "payload": f"/{name}"}

    def reply(
        self, key: str, *, buttons_first: Optional[List[Dict[str, str]]] = None, **fields: str
    ) -> Reply:
        spec = self.replies[key]
        return Reply(
            topic=spec["topic"],
            text=fill(spec["text"], {**self.values, **fields}),
            buttons=(buttons_first or []) + [self.button(b) for b in spec.get("buttons", [])],
            miss=bool(spec.get("miss")),
        )

    def line(self, key: str) -> str:
        """One of the sentences replies.yml adds to other replies (`lines:`), filled."""
        return fill(self.lines[key], self.values)

    def answer(self, answer: Answer, area: Optional[str] = None) -> Reply:
        """An FAQ answer with its follow-ups (topics or named buttons such as `book`) and its sources."""
        return Reply(
            topic=answer.topic,
            text=answer.for_area(area),
            buttons=[
                self.button(name)
                for name in answer.follow_ups
                if name in self.kb or name in self.named_buttons
            ],
            extra={"sources": answer.sources} if answer.sources else {},
        )


def replies(kb: KnowledgeBase) -> Replies:
    """The replies as the files say now (content/replies.yml and clinic.yml, each re-read when changed)."""
    files = settings().files
    return Replies(content_file(files, REPLIES_FILE), clinic_values(files), kb)
