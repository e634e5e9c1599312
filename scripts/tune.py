"""Chooses the answer thresholds of actions/understanding.py on the dev side of the real questions.

    python -m scripts.tune        # the trained model (make train) on data/real/questions.tsv's dev side

Never uses the test side, nor our own held-out file: those only measure. Prints, for each pair of
thresholds, how many dev questions would get the right answer, a wrong one, the right one a click away
("Did you mean"), and how many off-topic questions would be answered; pick the lowest bar whose wrong
answers stay at or under 3%.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any, Dict, List, Tuple

import actions.understanding as understanding
from actions.knowledge import knowledge_base
from actions.settings import settings
from clinic.facts import load_clinic
from scripts.evaluate import ROOT, Question, read_real

CONFIDENCES = [0.2, 0.25, 0.3, 0.35, 0.4, 0.5]
MARGINS = [0.0, 0.05, 0.1, 0.15]


async def parses(model: Path, questions: List[Question]) -> List[Tuple[Question, Dict[str, Any]]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [(question, await agent.parse_message(question[0])) for question in questions]


def main() -> None:
    rows = asyncio.run(parses(ROOT / "models" / "clinic.tar.gz", read_real("dev")))
    topics = set(knowledge_base().topics)
    offered = load_clinic(settings().clinic_config)["therapies_offered"]
    faq = [(q, p) for q, p in rows if q[1] in topics]
    off_topic = [(q, p) for q, p in rows if q[1] == "out_of_scope"]
    print(f"dev side: {len(faq)} FAQ questions, {len(off_topic)} off-topic")
    print(
        "| confidence | margin | right | wrong | one click away | off-topic answered |\n|---|---|---|---|---|---|"
    )
    for confidence, margin in itertools.product(CONFIDENCES, MARGINS):
        understanding.ANSWER_CONFIDENCE, understanding.ANSWER_MARGIN = confidence, margin
        decisions = [(q, understanding.decide(p, topics, offered)) for q, p in faq]
        right = sum(d.kind == "answer" and d.topic in q[2] for q, d in decisions)
        wrong = sum(d.kind == "answer" and d.topic not in q[2] for q, d in decisions)
        click = sum(d.kind == "clarify" and bool(set(d.candidates) & q[2]) for q, d in decisions)
        answered = sum(understanding.decide(p, topics, offered).kind == "answer" for _, p in off_topic)
        print(
            f"| {confidence:.2f} | {margin:.2f} | {right / len(faq):.3f} | {wrong / len(faq):.3f} "
            f"| {click / len(faq):.3f} | {answered / len(off_topic):.3f} |"
        )


if __name__ == "__main__":
    main()
