"""Chooses the answer thresholds of actions/understanding.py on a validation split of the training data.

    python -m scripts.tune        # ~1 minute: split data/nlu 80/20, train on 80%, sweep on 20%

Never uses the held-out file (tests/data/nlu_holdout.yml): that one only measures. Prints, for each
pair of thresholds, how many validation questions would get the right answer, a wrong answer, or an
out-of-scope question answered; pick the lowest bar whose wrong answers stay near 5%.
"""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import tempfile
from pathlib import Path

import actions.understanding as understanding
from actions.knowledge import knowledge_base
from actions.settings import settings
from clinic.facts import load_clinic
from scripts.evaluate import ROOT, read_holdout

CONFIDENCES = [0.2, 0.25, 0.3, 0.35, 0.4, 0.5]
MARGINS = [0.0, 0.05, 0.1, 0.15]


async def parses(model: Path, questions):
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [(expected, await agent.parse_message(text)) for text, expected in questions]


def main() -> None:
    rasa = str(Path(sys.executable).parent / "rasa")
    with tempfile.TemporaryDirectory() as work:
        split = Path(work) / "split"
        subprocess.run(
            [
                rasa,
                "data",
                "split",
                "nlu",
                "-u",
                "data/nlu",
                "--training-fraction",
                "0.8",
                "--random-seed",
                "7",
                "--out",
                str(split),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                rasa,
                "train",
                "nlu",
                "-c",
                "config.yml",
                "--nlu",
                str(split / "training_data.yml"),
                "--out",
                work,
                "--fixed-model-name",
                "tune",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        rows = asyncio.run(parses(Path(work) / "tune.tar.gz", read_holdout(split / "test_data.yml")))
    topics = set(knowledge_base().topics)
    offered = load_clinic(settings().clinic_config)["therapies_offered"]
    faq = [(e, p) for e, p in rows if e in topics]
    oos = [(e, p) for e, p in rows if e == "out_of_scope"]
    print(f"validation split: {len(faq)} FAQ questions, {len(oos)} out of scope")
    print("| confidence | margin | right | wrong | out-of-scope answered |\n|---|---|---|---|---|")
    for confidence, margin in itertools.product(CONFIDENCES, MARGINS):
        understanding.ANSWER_CONFIDENCE, understanding.ANSWER_MARGIN = confidence, margin
        decisions = [(e, understanding.decide(p, topics, offered)) for e, p in faq]
        right = sum(d.kind == "answer" and d.topic == e for e, d in decisions)
        wrong = sum(d.kind == "answer" and d.topic != e for e, d in decisions)
        answered = sum(understanding.decide(p, topics, offered).kind == "answer" for _, p in oos)
        print(
            f"| {confidence:.2f} | {margin:.2f} | {right / len(faq):.3f} | {wrong / len(faq):.3f} | {answered / len(oos):.3f} |"
        )


if __name__ == "__main__":
    main()
