"""Unanswered questions grouped the way a clinic manager reads them: "Do you do cupping?", "do you do
cupping" and "cupping?" are one question asked 11 times, not three."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional

WORD = re.compile(r"\w+")
FILLER_FILE = Path(__file__).resolve().parent / "question_filler.txt"


@lru_cache(maxsize=1)
def filler_words() -> FrozenSet[str]:
    """The words that change nothing about a question (api/question_filler.txt)."""
    lines = FILLER_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def question_key(question: str) -> str:
    """What a question is about: its words, lower-case, without filler; all of them if all are filler."""
    words = WORD.findall(question.lower())
    meaningful = [word for word in words if word not in filler_words()]
    return " ".join(meaningful or words)


class Worded:
    """A question counted by its wordings (the feedback page's and the review queue's groups)."""

    wordings: Counter

    @property
    def question(self) -> str:
        """The wording patients used most (the first seen on a tie)."""
        return self.wordings.most_common(1)[0][0]

    @property
    def other_wordings(self) -> List[str]:
        return [wording for wording, _ in self.wordings.most_common() if wording != self.question]


@dataclass
class QuestionGroup(Worded):
    """One question however it was worded: how often, when last, and how it was put."""

    key: str
    times: int = 0
    last_at: str = ""
    wordings: Counter = field(default_factory=Counter)
    handled_by: Optional[str] = None
    handled_at: Optional[str] = None

    @property
    def asked_again(self) -> bool:
        """Handled, but asked again since: it is back on the list."""
        return self.handled_at is not None and self.last_at > self.handled_at

    @property
    def handled(self) -> bool:
        return self.handled_at is not None and not self.asked_again


def group_questions(
    asked: Iterable[Mapping[str, str]], handled: Mapping[str, Mapping[str, str]]
) -> List[QuestionGroup]:
    """Questions ({"question", "at"}) grouped by key, most asked first, then most recent."""
    groups: Dict[str, QuestionGroup] = {}
    for row in asked:
        key = question_key(row["question"])
        group = groups.setdefault(key, QuestionGroup(key))
        group.times += 1
        group.last_at = max(group.last_at, row["at"])
        group.wordings[" ".join(row["question"].split())] += 1
    for key, mark in handled.items():
        if key in groups:
            groups[key].handled_by, groups[key].handled_at = mark["by"], mark["at"]
    return sorted(groups.values(), key=lambda g: (-g.times, _descending(g.last_at)))


def _descending(text: str) -> List[int]:
    return [-ord(character) for character in text]
