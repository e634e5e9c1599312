"""Staff's labels on patients' questions: what each should have got, checked so that no label can break
training, stored with who and when, and written out as Rasa NLU YAML (`clinic teach export`).

A label is a topic id, OUT_OF_SCOPE ("not for the assistant": trained as out of scope, so the assistant
says plainly it can't answer and offers staff) or NEW_ANSWER ("needs a new answer": listed for the
clinic, never trained, since no answer exists to give).
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Set

import yaml
from sqlite_utils import Database

from api.db import write_lock
from api.feedback_groups import question_key
from api.store import blank_personal_details, now
from clinic.settings import PROJECT

OUT_OF_SCOPE = "out_of_scope"
NEW_ANSWER = "new_answer"
LABEL_NAMES = {OUT_OF_SCOPE: "Not for the assistant", NEW_ANSWER: "Needs a new answer"}
# Limits: a training run stays short and a label stays a question. Our own data has ~40 examples a
# topic; 200 taught ones per label would already outweigh it five to one.
MAX_LABELS = 2000
MAX_PER_LABEL = 200
MIN_CHARS, MAX_CHARS = 3, 200
MAX_WORDINGS_PER_QUESTION = 10
TRAINING_DATA = PROJECT / "data" / "nlu"
EVALUATION_SETS = (
    PROJECT / "tests" / "data" / "nlu_holdout.yml",
    *sorted((PROJECT / "bot" / "safety_examples").glob("*.yml")),  # the safety development sets
    PROJECT / "tests" / "data" / "safety_eval.yml",
)
REAL_QUESTIONS = PROJECT / "data" / "real" / "questions.tsv"
# Rasa reads "[words](entity)", "[words]{...}" and "[words][...]" inside an example as an entity.
ENTITY_MARKUP = re.compile(r"\[[^\]]*\]\s*[({\[]")
BLANKED = re.compile(r"\[(?:number|email)\]")


class LabelRefused(ValueError):
    """A label that would make training fail or the scores meaningless; the message says why."""


def same_words(text: str) -> str:
    """How two wordings are compared: lower-case, spaces collapsed, trailing punctuation dropped."""
    return " ".join(text.lower().split()).rstrip("?!. ")


@lru_cache(maxsize=1)
def training_examples() -> Dict[str, str]:
    """Every example in data/nlu, by its words: the intent it trains."""
    found: Dict[str, str] = {}
    for path in sorted(TRAINING_DATA.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if "intent" in block and isinstance(block.get("examples"), str):
                for line in block["examples"].splitlines():
                    if line.strip().startswith("- "):
                        found[same_words(line.strip()[2:])] = block["intent"]
    return found


@lru_cache(maxsize=1)
def evaluation_questions() -> FrozenSet[str]:
    """The questions the gate scores on (and the blind ones): teaching one would make its score a lie."""
    found: Set[str] = set()
    for path in EVALUATION_SETS:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in spec.get("nlu") or []:
            found.update(
                same_words(line.strip()[2:])
                for line in block["examples"].splitlines()
                if line.strip().startswith("- ")
            )
        for tier in ("emergency", "urgent", "look_alike"):
            found.update(same_words(item["text"]) for item in spec.get(tier) or [])
    with REAL_QUESTIONS.open(encoding="utf-8", newline="") as rows:
        found.update(same_words(row["question"]) for row in csv.DictReader(rows, delimiter="\t"))
    return frozenset(found)


def clean_wording(text: str) -> str:
    """A wording as it may be trained: blanked as on the feedback page, without entity markup."""
    text = blank_personal_details(text)
    return " ".join(ENTITY_MARKUP.sub(lambda m: m.group(0).replace("[", "").replace("]", ""), text).split())


def check_label(text: str, label: str, *, topics: Set[str]) -> str:
    """The wording to store for this label, or LabelRefused saying why not."""
    if label not in topics | {OUT_OF_SCOPE, NEW_ANSWER}:
        raise LabelRefused("That is not one of the assistant's topics.")
    wording = clean_wording(text)
    words_left = BLANKED.sub("", wording)
    if len(wording) < MIN_CHARS or not re.search(r"[^\W\d_]{2}", words_left):
        raise LabelRefused("That question is too short to learn from.")
    if len(wording) > MAX_CHARS:
        raise LabelRefused(f"That question is longer than {MAX_CHARS} characters: too long to learn from.")
    if wording.startswith("/"):
        raise LabelRefused("A button press cannot be taught.")
    words = same_words(wording)
    if words in evaluation_questions():
        raise LabelRefused(
            "That wording is one of the questions the assistant is tested on; it stays unseen."
        )
    trained = training_examples().get(words)
    if trained and trained != _intent_of(label):
        raise LabelRefused(f"The training data already has that wording as {trained}; change it there.")
    return wording


def _intent_of(label: str) -> Optional[str]:
    return None if label == NEW_ANSWER else label


def label_question(db: Database, *, wordings: List[str], label: str, by: str, topics: Set[str]) -> int:
    """Stores the label for every wording of one question (replacing earlier labels); returns how many.

    Raises LabelRefused if any wording is refused or a limit would be passed."""
    checked = list(dict.fromkeys(check_label(text, label, topics=topics) for text in wordings))
    checked = checked[:MAX_WORDINGS_PER_QUESTION]
    if not checked:
        raise LabelRefused("Nothing to label.")
    key = question_key(checked[0])
    with write_lock(db):
        db.execute("delete from teaching_labels where question_key = ?", [key])
        for text in checked:
            db.execute("delete from teaching_labels where text = ?", [text])
        total = db.table("teaching_labels").count
        same = db.table("teaching_labels").count_where("label = ?", [label])
        if total + len(checked) > MAX_LABELS:
            raise LabelRefused(
                f"The assistant has {total} taught wordings, the most it keeps is {MAX_LABELS}."
            )
        if label != NEW_ANSWER and same + len(checked) > MAX_PER_LABEL:
            raise LabelRefused(
                f"That topic has {same} taught wordings, the most it keeps is {MAX_PER_LABEL}."
            )
        at = now()
        db.table("teaching_labels").insert_all(
            {"text": text, "question_key": key, "label": label, "by": by, "at": at} for text in checked
        )
    return len(checked)


def unlabel_question(db: Database, *, key: str) -> int:
    with write_lock(db):
        return int(db.execute("delete from teaching_labels where question_key = ?", [key]).rowcount)


def labels_by_question(db: Database) -> Dict[str, Dict[str, Any]]:
    """The label of each question key, with who and when (the latest wording's)."""
    return {
        row["question_key"]: row
        for row in db.query("select question_key, label, by, at from teaching_labels order by at, id")
    }


def labels(db: Database) -> List[Dict[str, Any]]:
    return list(db.query("select text, question_key, label, by, at from teaching_labels order by label, id"))


def trainable(db: Database) -> int:
    """How many labelled wordings a retraining would learn from."""
    return int(db.table("teaching_labels").count_where("label != ?", [NEW_ANSWER]))


def nlu_yaml(rows: Sequence[Mapping[str, Any]]) -> str:
    """The labels as Rasa NLU training data, each example with who taught it and when; the questions that
    need a new answer as a comment for the clinic (they are not trained)."""
    by_intent: Dict[str, List[Dict[str, Any]]] = {}
    for row in rows:
        if row["label"] != NEW_ANSWER:
            by_intent.setdefault(row["label"], []).append(
                {"text": row["text"], "metadata": {"taught_by": row["by"], "taught_at": row["at"]}}
            )
    data = {
        "version": "3.1",
        "nlu": [{"intent": intent, "examples": examples} for intent, examples in sorted(by_intent.items())],
    }
    waiting = [row["text"] for row in rows if row["label"] == NEW_ANSWER]
    header = [
        "# Taught by the clinic's staff at /staff/review (`clinic teach export`). Review it like any change.",
        *(["# Needs a new answer (not trained: write one in content/faq.yml first):"] if waiting else []),
        *[f"#   {text}" for text in waiting],
    ]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
    return "\n".join(header) + "\n" + body
