"""What the assistant says besides FAQ answers (content/replies.yml), ready for the dispatcher.

Every message carries `custom: {"topic": ...}` so the chat page, staff analytics and tests know
what was answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.clinic import fill, load_clinic, placeholders
from actions.knowledge import Answer, KnowledgeBase
from actions.settings import settings

REPLIES_FILE = "replies.yml"


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


@lru_cache(maxsize=4)
def _load(path: Path, mtime: float, clinic_path: Path, clinic_mtime: float, kb: KnowledgeBase) -> Replies:
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Replies(content, placeholders(load_clinic(clinic_path)), kb)


def replies(kb: KnowledgeBase) -> Replies:
    config = settings()
    path = config.content_dir / REPLIES_FILE
    return _load(path, path.stat().st_mtime, config.clinic_config, config.clinic_config.stat().st_mtime, kb)
