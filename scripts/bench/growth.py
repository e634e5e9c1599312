"""Growth: a knowledge base with more topics, and a tracker store with many stored conversations.

Synthetic topics (2x, 4x the FAQ topics): a clinic that adds a therapy adds the same questions about
it. Each extra copy of an FAQ topic is about an invented therapy: its examples are the real topic's
with every therapy name swapped for the invented one (added to those that name none), a word dropped
now and then and a typo, so the copies compete with the real topics the way a real new therapy's
questions would ("does it hurt?" now has two answers). Accuracy is still measured on the real
held-out questions; a synthetic topic counts as a wrong answer.
"""

from __future__ import annotations

import random
import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import List, Set, Tuple

from scripts.bench.accuracy import Scores, our_scores, training_examples
from scripts.bench.training import mb, rasa_train
from scripts.evaluate import read_holdout
from scripts.stack import ROOT

THERAPY = re.compile(
    r"\b(gunn ims|ims|intramuscular stimulation|dry[- ]needling|dry needle|acupuncture|acupunture|accupuncture|acu)\b",
    re.IGNORECASE,
)
INVENTED = ["veloria therapy", "quintal release", "marrow tapping", "sollen method", "brightwave"]


def perturbed(text: str, therapy: str, rng: random.Random) -> str:
    text = THERAPY.sub(therapy, text) if THERAPY.search(text) else f"{text} with {therapy}"
    words = text.split()
    if len(words) > 4 and rng.random() < 0.3:  # drop a word that isn't the therapy
        i = rng.randrange(len(words))
        if words[i] not in therapy.split():
            del words[i]
    if rng.random() < 0.3:  # one typo: two letters swapped
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 3:
            j = rng.randrange(len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def grown_data(factor: int, topics: Set[str], out: Path, seed: int = 0) -> Tuple[Path, Set[str]]:
    """data/nlu plus (factor - 1) invented-therapy copies of every FAQ topic; returns (folder, new topics)."""
    nlu = out / "nlu"
    shutil.copytree(ROOT / "data" / "nlu", nlu)
    rng = random.Random(seed)
    by_intent: dict = {}
    for text, intent in training_examples(ROOT / "data" / "nlu"):
        if intent in topics:
            by_intent.setdefault(intent, []).append(text)
    lines, new = ['version: "3.1"', "nlu:"], set()
    for k in range(1, factor):
        therapy = INVENTED[(k - 1) % len(INVENTED)]
        for intent, texts in sorted(by_intent.items()):
            name = f"{intent}_synthetic_{k}"
            new.add(name)
            lines += [f"- intent: {name}", "  examples: |"]
            lines += [f"    - {e}" for e in sorted({perturbed(t, therapy, rng) for t in texts})]
    if new:
        (nlu / "synthetic.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return nlu, new


@dataclass
class Grown:
    factor: int
    topics: int
    examples: int
    train_seconds: float
    train_cpu_seconds: float
    model_mb: float
    scores: Scores


def grow(factor: int, topics: Set[str], offered: List[str], work: Path) -> Grown:
    """Train the NLU on the grown data (`rasa train nlu`, empty cache) and score it on the held-out file."""
    work.mkdir(parents=True, exist_ok=True)
    nlu, new = grown_data(factor, topics, work / "data")
    name = f"grown-{factor}x"
    seconds, cpu = rasa_train(
        ["nlu", "--nlu", str(nlu), "--config", str(ROOT / "config.yml")],
        work / "models",
        work / "cache",
        name,
        work / "train.log",
    )
    model = work / "models" / f"{name}.tar.gz"
    questions = read_holdout(ROOT / "tests" / "data" / "nlu_holdout.yml")
    scores = our_scores(model, questions, topics | new, offered)
    scores.name = f"{factor}x"
    return Grown(
        factor,
        len(topics | new),
        len(training_examples(nlu)),
        seconds,
        cpu,
        mb(model),
        scores,
    )


def stored_conversations(db: Path) -> Tuple[int, int]:
    """(senders, events) in Rasa's SQLite tracker store."""
    with sqlite3.connect(db, timeout=30) as con:
        senders, events = con.execute("select count(distinct sender_id), count(*) from events").fetchone()
    return senders, events


def fill_tracker(db: Path, senders: int) -> Tuple[int, int]:
    """Copies the longest stored conversation under new sender ids until `senders` are stored.

    The rows are Rasa's own (a real conversation's events), so lookups see what a busy clinic's
    store would hold. Done while the assistant is idle, in one transaction.
    """
    with sqlite3.connect(db, timeout=30) as con:
        [(template,)] = con.execute(
            "select sender_id from events group by sender_id order by count(*) desc limit 1"
        ).fetchall()
        rows = con.execute(
            "select type_name, timestamp, intent_name, action_name, data from events"
            " where sender_id = ? order by id",
            (template,),
        ).fetchall()
        have = con.execute("select count(distinct sender_id) from events").fetchone()[0]
        con.executemany(
            "insert into events (sender_id, type_name, timestamp, intent_name, action_name, data)"
            " values (?, ?, ?, ?, ?, ?)",
            ((f"stored-{n}", *row) for n in range(have, senders) for row in rows),
        )
    return stored_conversations(db)
