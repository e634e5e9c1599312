"""Scores the trained assistant on held-out questions it never saw in training.

    python -m scripts.evaluate [--model models/clinic.tar.gz] [--holdout tests/data/nlu_holdout.yml]
                               [--real test|dev|none]

Two sets: our own held-out file (written in the training data's voice), and real questions people
asked on public pages (data/real/questions.tsv), split by site: choose on `--real dev`, report `test`
(the default, what `make eval` shows) once.

Each question goes through the same path as in the chat: Rasa's NLU (our spaCy pipeline, our intent classifier,
the red-flag guard) and then `actions.understanding.decide`, which answers, asks "Did you mean ...?"
or declines. Writes docs/evaluation.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import logging
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, List, Tuple

import yaml

from actions.safety import tier
from actions.settings import settings
from actions.understanding import Decision, decide
from clinic.facts import load_clinic

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "evaluation.md"
OUT_OF_SCOPE = "out_of_scope"
EMERGENCY = "emergency"
URGENT = "urgent"


@dataclass
class Case:
    text: str
    expected: str
    predicted: str  # a topic id, "clarify", "out_of_scope", "emergency" or a small-talk intent
    intent: str  # the classifier's own top intent, before our decision
    acceptable: FrozenSet[str] = frozenset()  # the expected topic and any other the labellers accepted
    offered: Tuple[str, ...] = ()  # the topics "Did you mean ...?" offered
    likeliest: Tuple[str, ...] = ()  # the classifier's three likeliest FAQ topics

    @property
    def right(self) -> bool:
        return self.predicted == self.expected or self.predicted in self.acceptable


Question = Tuple[str, str, FrozenSet[str]]  # text, expected topic, acceptable topics


def read_real(split: str) -> List[Question]:
    """One side of the real questions: (question, topic, topics also acceptable)."""
    from scripts.real_questions import real_questions

    return [
        (row["question"], row["topic"], frozenset({row["topic"], *filter(None, row["also_ok"].split(","))}))
        for row in real_questions(split)
    ]


def read_holdout(path: Path) -> List[Question]:
    blocks = yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
    return [
        (line.strip()[2:].strip(), block["intent"], frozenset({block["intent"]}))
        for block in blocks
        for line in block["examples"].splitlines()
        if line.strip().startswith("- ")
    ]


def outcome(decision: Decision) -> str:
    """The topic the reply carries: the answer's, "clarify", "emergency" or "out_of_scope"."""
    if decision.kind == "answer" and decision.topic:
        return decision.topic
    if decision.kind in ("clarify", "emergency"):
        return decision.kind
    return OUT_OF_SCOPE


def routes() -> Dict[str, str]:
    """Which action each intent goes to, read from the rules that need no context (data/rules)."""
    found = {}
    for path in sorted((ROOT / "data" / "rules").glob("*.yml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            steps = rule["steps"]
            if "condition" not in rule and "intent" in steps[0] and len(steps) > 1:
                found[steps[0]["intent"]] = steps[1]["action"]
    return found


def reply_topics() -> Dict[str, str]:
    """The topic each small-talk reply carries (content/replies.yml)."""
    replies = yaml.safe_load((ROOT / "content" / "replies.yml").read_text(encoding="utf-8"))["replies"]
    return {intent: spec["topic"] for intent, spec in replies.items()}


FORM_TOPICS = {"booking_form": "booking", "handoff_form": "handoff"}


async def run_cases(model: Path, questions: List[Question], topics: set, offered: List[str]) -> List[Case]:
    from rasa.core.agent import Agent  # heavy: imported only when evaluating
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)  # Rasa's debug lines would print every question
    agent = Agent.load(str(model))
    action_for, small_talk = routes(), reply_topics()
    cases = []
    for text, expected, acceptable in questions:
        parse = await agent.parse_message(text)
        intent = parse["intent"]["name"]
        action = action_for.get(intent, "action_answer_question")
        options: Tuple[str, ...] = ()
        if action == "action_answer_question":
            decision = decide(parse, topics, offered)
            predicted = outcome(decision)
            if predicted == EMERGENCY:
                predicted = tier(parse)
            options = tuple(decision.candidates) if decision.kind == "clarify" else ()
        elif action == "action_emergency":
            predicted = tier(parse)
        elif action in FORM_TOPICS:
            predicted = FORM_TOPICS[action]
        else:
            predicted = intent if intent in (topics | {OUT_OF_SCOPE}) else small_talk.get(intent, intent)
        ranking = [r for r in parse.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
        top = ranking[0]["name"] if ranking else intent
        likeliest = tuple(r["name"] for r in ranking if r["name"] in topics)[:3]
        cases.append(Case(text, expected, predicted, top, acceptable, options, likeliest))
    return cases


def ratio(hits: int, total: int) -> str:
    return f"{hits / total:.3f} ({hits}/{total})" if total else "n/a"


def report(cases: List[Case], topics: set, model: Path, holdout: Path) -> str:
    faq = [c for c in cases if c.expected in topics]
    oos = [c for c in cases if c.expected == OUT_OF_SCOPE]
    emergencies = [c for c in cases if c.expected == EMERGENCY]
    not_emergencies = [c for c in cases if c.expected != EMERGENCY]
    answered_right = sum(c.predicted == c.expected for c in faq)
    answered_wrong = sum(c.predicted in topics and c.predicted != c.expected for c in faq)
    asked = sum(c.predicted == "clarify" for c in faq)
    rejected = sum(c.predicted == OUT_OF_SCOPE for c in oos)
    oos_answered = sum(c.predicted in topics for c in oos)
    recall = sum(c.predicted == EMERGENCY for c in emergencies)
    false_alarms = sum(c.predicted == EMERGENCY for c in not_emergencies)
    intent_right = sum(c.intent == c.expected for c in cases)

    confused = collections.Counter((c.expected, c.predicted) for c in cases if c.predicted != c.expected)
    per_topic: Dict[str, List[int]] = collections.defaultdict(lambda: [0, 0])
    for c in faq:
        per_topic[c.expected][1] += 1
        per_topic[c.expected][0] += c.predicted == c.expected

    lines = [
        "# Evaluation on held-out questions",
        "",
        f"Run with `make eval` on {datetime.date.today().isoformat()} ({platform.machine()}, "
        f"{os.cpu_count()} cores). Model `{model.relative_to(ROOT) if model.is_relative_to(ROOT) else model}`, "
        f"held-out file `{holdout.relative_to(ROOT) if holdout.is_relative_to(ROOT) else holdout}` "
        f"({len(cases)} questions, never used for training; a test checks that no question is also in `data/`).",
        "",
        "Every question goes through what a patient's message goes through: our spaCy pipeline, our intent classifier, the",
        "red-flag guard, then the answer-confidence check in `actions/understanding.py`.",
        "How the classifier and thresholds were chosen, and how far to trust these figures:",
        "[nlu-decisions.md](nlu-decisions.md).",
        "",
        "| measure | value | what it means |",
        "|---|---|---|",
        f"| **topic accuracy** | **{ratio(answered_right, len(faq))}** | FAQ questions answered with the right topic |",
        f"| answered with a wrong topic | {ratio(answered_wrong, len(faq))} | the confidently wrong answers we guard against |",
        f'| asked "Did you mean ...?" | {ratio(asked, len(faq))} | FAQ questions that got a clarifying question instead |',
        f"| **out-of-scope rejection** | **{ratio(rejected, len(oos))}** | out-of-scope questions declined plainly |",
        f"| out-of-scope answered as an FAQ | {ratio(oos_answered, len(oos))} | |",
        f"| **emergency recall** | **{ratio(recall, len(emergencies))}** | red-flag messages that got the 911 reply |",
        f"| false alarms | {ratio(false_alarms, len(not_emergencies))} | other messages that got the 911 reply |",
        f"| classifier intent accuracy | {ratio(intent_right, len(cases))} | the classifier's top intent alone, before our checks |",
        "",
        "## Per topic",
        "",
        "| topic | right |",
        "|---|---|",
        *[f"| `{t}` | {ratio(*per_topic[t])} |" for t in sorted(per_topic)],
        "",
        "## Most confused (expected → got)",
        "",
        "| expected | got | count |",
        "|---|---|---|",
        *[f"| `{e}` | `{p}` | {n} |" for (e, p), n in confused.most_common(15)],
        "",
        "## Misses",
        "",
        *[f"- `{c.expected}` → `{c.predicted}`: {c.text}" for c in cases if c.predicted != c.expected],
        "",
    ]
    return "\n".join(lines)


# Each safety set's file and how the report names it. Only "test" is blind; the development sets
# (bot/safety_examples/devN.yml, each by another author who had not read the patterns) were measured once
# at first contact, then tuned on, and the emergency-now reader learns from them. "dev" is dev1.
SAFETY_DEVELOPMENT = ROOT / "bot" / "safety_examples"
SAFETY_SETS = {
    "test": (ROOT / "tests" / "data" / "safety_eval.yml", "the blind set (tests/data/safety_eval.yml)"),
    **{
        ("dev" if path.stem == "dev1" else path.stem): (
            path,
            f"development set {path.stem[3:]} ({path.relative_to(ROOT)}, tuned on and learnt from)",
        )
        for path in sorted(SAFETY_DEVELOPMENT.glob("dev*.yml"))
    },
}


def read_safety(split: str = "test") -> List[Tuple[str, str, str]]:
    """A safety set: (text, tier, family or kind); tier is emergency, urgent or look_alike."""
    spec = yaml.safe_load(SAFETY_SETS[split][0].read_text(encoding="utf-8"))
    return [
        (item["text"], tier, item.get("family") or item.get("kind") or "")
        for tier in ("emergency", "urgent", "look_alike")
        for item in spec.get(tier, [])
    ]


def red_flag_timing(texts: List[str]) -> Tuple[float, float]:
    """The red-flag check's own time per message (ms): the patterns and the emergency-now reader together,
    median and 99th percentile, over `texts` (x5)."""
    import statistics
    import time

    import spacy

    import bot.emergency_now  # noqa: F401  (registers the components: red flags and emergency-now)

    nlp = spacy.load(ROOT / "build" / "clinic_nlp")
    timed = ("red_flags", "emergency_now")
    checks = [nlp.get_pipe(name) for name in timed]
    docs = [nlp.make_doc(text) for text in texts]
    for name, component in nlp.pipeline:  # lemmas and terms first, as in the chat
        if name not in timed:
            docs = [component(doc) for doc in docs]
    times = []
    for _ in range(5):
        for doc in docs:
            started = time.perf_counter()
            for check in checks:
                check(doc)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=100)[98]


def safety_report(cases: List[Case], kinds: List[str], split: str = "test") -> str:
    """Emergency recall by family, what urgent messages got, and look-alike false alarms by kind (#12)."""
    by_tier: Dict[str, List[Tuple[Case, str]]] = collections.defaultdict(list)
    for case, kind in zip(cases, kinds, strict=True):
        by_tier[case.expected].append((case, kind))

    def got(tier: str, reply: str) -> int:
        return sum(case.predicted == reply for case, _ in by_tier[tier])

    emergencies, urgent, look_alikes = by_tier["emergency"], by_tier["urgent"], by_tier["look_alike"]
    missed = [(case, kind) for case, kind in emergencies if case.predicted != EMERGENCY]
    urgent_missed = [(case, kind) for case, kind in urgent if case.predicted not in (URGENT, EMERGENCY)]
    false_alarms = [(case, kind) for case, kind in look_alikes if case.predicted == EMERGENCY]
    same_day = [(case, kind) for case, kind in look_alikes if case.predicted == URGENT]
    over_triaged = [(case, kind) for case, kind in urgent if case.predicted == EMERGENCY]
    median, slowest = red_flag_timing([case.text for case in cases])
    title = SAFETY_SETS[split][1]
    return "\n".join(
        [
            f"## Safety: {title}",
            "",
            f"{len(cases)} messages written from docs/red_flag_sources.md by an author who never read our patterns.",
            "",
            "| measure | value | target (#12) |",
            "|---|---|---|",
            f"| **emergency recall** (got the 911 reply) | **{ratio(got('emergency', EMERGENCY), len(emergencies))}** | 1.0 |",
            f"| urgent recall (got the same-day reply) | {ratio(got('urgent', URGENT), len(urgent))} | |",
            f"| urgent messages that got the 911 reply instead | {ratio(got('urgent', EMERGENCY), len(urgent))} | |",
            f"| **look-alike false alarms** (got the 911 reply) | **{ratio(len(false_alarms), len(look_alikes))}** | ≤ 0.03 |",
            f"| look-alikes that got the same-day reply | {ratio(got('look_alike', URGENT), len(look_alikes))} | |",
            f"| red-flag check per message, median / 99th percentile | {median:.2f} / {slowest:.2f} ms | < 2 ms |",
            "",
            "### Emergencies missed",
            "",
            *[f"- {kind}: {case.text} → `{case.predicted}`" for case, kind in missed],
            "",
            "### Urgent messages that got neither tier",
            "",
            *[f"- {kind}: {case.text} → `{case.predicted}`" for case, kind in urgent_missed],
            "",
            "### Urgent messages that got the 911 reply",
            "",
            *[f"- {kind}: {case.text}" for case, kind in over_triaged],
            "",
            "### Look-alikes that got the emergency reply",
            "",
            *[f"- {kind}: {case.text}" for case, kind in false_alarms],
            "",
            "### Look-alikes that got the same-day reply",
            "",
            *[f"- {kind}: {case.text}" for case, kind in same_day],
            "",
        ]
    )


CLINC_SAMPLE = 500  # of each: out-of-scope queries, and queries of CLINC150's 150 other intents
CLINC_SEED = 150


def read_clinc(path: Path) -> List[Question]:
    """1,000 CLINC150 test queries (Larson et al. 2019): 500 out-of-scope and 500 of its 150 other
    domains, sampled with a fixed seed. Every one should be declined here: none is about our topics."""
    import json
    import random

    data = json.loads(path.read_text(encoding="utf-8"))
    sample = random.Random(CLINC_SEED)
    picked = sample.sample(data["oos_test"], CLINC_SAMPLE) + sample.sample(data["test"], CLINC_SAMPLE)
    return [(text, OUT_OF_SCOPE, frozenset({OUT_OF_SCOPE})) for text, _ in picked]


def clinc_report(cases: List[Case], topics: set, path: Path) -> str:
    answered = [c for c in cases if c.predicted in topics]
    alarms = [c for c in cases if c.predicted == EMERGENCY]
    asked = sum(c.predicted == "clarify" for c in cases)
    handled = len(cases) - len(answered) - len(alarms) - asked
    return "\n".join(
        [
            "## CLINC150 test: other people's off-topic requests",
            "",
            f"{len(cases)} queries from `{path.name}` (CLINC150, CC BY 3.0; not in this repository: pass a local copy",
            "with `--clinc`), 500 out-of-scope and 500 of 150 other domains, none about our topics.",
            "",
            "| what they got | share | target |",
            "|---|---|---|",
            f"| declined or a small-talk reply (handled right) | {ratio(handled, len(cases))} | ≥ 0.97 |",
            f'| "Did you mean" with our topics | {ratio(asked, len(cases))} | |',
            f"| an FAQ answer | {ratio(len(answered), len(cases))} | |",
            f"| **the emergency reply** | **{ratio(len(alarms), len(cases))}** | ≤ 0.001 |",
            "",
            "### Emergency replies",
            "",
            *[f"- {c.text}" for c in alarms],
            "",
        ]
    )


def real_report(cases: List[Case], topics: set, split: str) -> str:
    """The columns issue #11 asks for, on one side of the real questions."""
    faq = [c for c in cases if c.expected in topics]
    off_topic = [c for c in cases if c.expected == OUT_OF_SCOPE]
    right = sum(c.right for c in faq)
    wrong = sum(c.predicted in topics and not c.right for c in faq)
    asked_with = sum(c.predicted == "clarify" and bool(c.acceptable & set(c.offered)) for c in faq)
    asked_without = sum(c.predicted == "clarify" and not (c.acceptable & set(c.offered)) for c in faq)
    declined = sum(c.predicted == OUT_OF_SCOPE for c in faq)
    rejected = sum(c.predicted not in topics and c.predicted != EMERGENCY for c in off_topic)
    alarms = sum(c.predicted == EMERGENCY for c in cases if c.expected != EMERGENCY)
    in_top_three = sum(bool(c.acceptable & set(c.likeliest)) for c in faq)
    missed = [c for c in faq if not c.right] + [c for c in off_topic if c.predicted in topics]
    alarmed = [c for c in cases if c.predicted == EMERGENCY and c.expected != EMERGENCY]
    return "\n".join(
        [
            f"## Real patients' questions: the {split} side",
            "",
            f"{len(cases)} questions people asked on public pages (`data/real/questions.tsv`, {split} side: its sites",
            "are never trained on), labelled by two people independently; a topic either accepted counts as right.",
            "",
            "| what the patient got | share | target (#11) |",
            "|---|---|---|",
            f"| **the right answer** | **{ratio(right, len(faq))}** | ≥ 0.90 |",
            f"| a wrong FAQ answer | {ratio(wrong, len(faq))} | ≤ 0.03 |",
            f'| "Did you mean" offering the right topic | {ratio(asked_with, len(faq))} | |',
            f"| right or one click away | {ratio(right + asked_with, len(faq))} | ≥ 0.96 |",
            f'| "Did you mean" without it | {ratio(asked_without, len(faq))} | |',
            f'| "I can\'t answer that" | {ratio(declined, len(faq))} | |',
            f"| **real off-topic not answered** | **{ratio(rejected, len(off_topic))}** | ≥ 0.95 |",
            f"| emergency reply to a question that is not one | {ratio(alarms, len(cases))} | 0 |",
            f"| the right topic among the classifier's three likeliest (top-3 recall) | {ratio(in_top_three, len(faq))} | |",
            "",
            "### Emergency replies",
            "",
            *[f"- `{c.expected}`: {c.text[:200]}" for c in alarmed],
            "",
            "### Misses",
            "",
            *[f"- `{c.expected}` → `{c.predicted}`: {c.text[:160]}" for c in missed],
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "clinic.tar.gz")
    parser.add_argument("--holdout", type=Path, default=ROOT / "tests" / "data" / "nlu_holdout.yml")
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--real", choices=["test", "dev", "none"], default="test")
    parser.add_argument(
        "--safety",
        choices=[*SAFETY_SETS, "none"],
        default="test",
        help="the blind safety set (test) or one of those tuned on (dev, dev2 ... dev10)",
    )
    parser.add_argument(
        "--clinc",
        type=Path,
        default=os.environ.get("CLINIC_CLINC150") or None,
        help="CLINC150's data_full.json (github clinc/oos-eval), for its column; not shipped with the project",
    )
    args = parser.parse_args()

    from actions.knowledge import knowledge_base

    topics = set(knowledge_base().topics)
    offered = load_clinic(settings().clinic_config)["therapies_offered"]
    cases = asyncio.run(run_cases(args.model, read_holdout(args.holdout), topics, offered))
    text = report(cases, topics, args.model, args.holdout)
    if args.real != "none":
        real = asyncio.run(run_cases(args.model, read_real(args.real), topics, offered))
        section = real_report(real, topics, args.real)
        text = text.replace("## Per topic", section + "\n## Per topic (our held-out file)", 1)
        print("\n".join(section.splitlines()[:16]))
    if args.clinc:
        clinc = asyncio.run(run_cases(args.model, read_clinc(args.clinc), topics, offered))
        section = clinc_report(clinc, topics, args.clinc)
        text = text.replace("## Per topic", section + "\n## Per topic", 1)
        print("\n".join(section.splitlines()[:12]))
    if args.safety != "none":
        messages = read_safety(args.safety)
        questions = [(text, tier, frozenset({tier})) for text, tier, _ in messages]
        safety = asyncio.run(run_cases(args.model, questions, topics, offered))
        section = safety_report(safety, [kind for _, _, kind in messages], args.safety)
        text = text.replace("## Per topic", section + "\n## Per topic", 1)
        print("\n".join(section.splitlines()[:10]))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(text, encoding="utf-8")
    print("\n".join(text.splitlines()[:22]))
    print(f"\nFull report: {args.report}")


if __name__ == "__main__":
    main()
