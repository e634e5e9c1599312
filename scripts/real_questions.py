"""The real questions (data/real/): merge the two labelling passes, split by site, write the training file.

    python -m scripts.real_questions     # writes data/real/questions.tsv and data/nlu/real_questions.yml

Where the passes agree, that is the topic. Where they differ, the first pass's topic stands and the
second's joins `also_ok` (the issue's rule: resolved, or kept as also_ok); `agreed` says which.

Split by site: every question of one site (its domain, without "www.") goes to the same side, chosen by
a hash of the domain, so a clinic's FAQ page is never in training and test at once: about 60% train,
20% dev (to choose on), 20% test (reported once, never trained or tuned on). Only the train side
becomes training data, in data/nlu/real_questions.yml.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from pathlib import Path
from typing import Dict, List, Set, Tuple
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "data" / "real"
QUESTIONS = REAL / "questions.tsv"
TRAINING = ROOT / "data" / "nlu" / "real_questions.yml"
GATHERED = [
    "gathered_physio_ims.tsv",
    "gathered_acupuncture.tsv",
    "gathered_patients_words.tsv",  # second round: patients' own words and real off-topic messages
    "gathered_offtopic_and_acu.tsv",
    "gathered_round3.tsv",  # third round: IMS, insurance and visit questions the first two missed
    "gathered_round4.tsv",  # fourth round: the weakest topics, Title Case headings, named plans, TCM words
    "gathered_round5.tsv",  # fifth round: new sites only; whole clinic FAQ lists, acupuncture theory, off-topic
    "gathered_round6.tsv",  # sixth round: new sites only; hardest topics, patients' own words, real off-topic
    "gathered_round7.tsv",  # seventh round: new sites only; acupuncture's kinds and conditions, dry needling, visits
]
# Each labelling round: the questions (n, question) and the two independent passes (n, topic, also_ok, ...).
BATCHES = [
    ("to_label.tsv", "labels_pass1.tsv", "labels_pass2.tsv"),
    ("to_label_batch2.tsv", "labels_batch2_pass1.tsv", "labels_batch2_pass2.tsv"),
    ("to_label_batch3.tsv", "labels_batch3_pass1.tsv", "labels_batch3_pass2.tsv"),
    ("to_label_batch4.tsv", "labels_batch4_pass1.tsv", "labels_batch4_pass2.tsv"),
    ("to_label_batch5.tsv", "labels_batch5_pass1.tsv", "labels_batch5_pass2.tsv"),
    ("to_label_batch6.tsv", "labels_batch6_pass1.tsv", "labels_batch6_pass2.tsv"),
    ("to_label_batch7.tsv", "labels_batch7_pass1.tsv", "labels_batch7_pass2.tsv"),
]
# Never taught from another topic's question: declining is taught by out-of-scope questions themselves,
# and the emergency intent only by emergencies.
NOT_ALSO_TRAINED = ("out_of_scope", "emergency")
SPLITS = ["train"] * 6 + ["dev"] * 2 + ["test"] * 2  # by the domain's hash, mod 10


def site(url: str) -> str:
    host = urlsplit(url).netloc.lower()
    return host[4:] if host.startswith("www.") else host


def split_of(url: str) -> str:
    digest = hashlib.sha256(site(url).encode()).digest()
    return SPLITS[digest[0] % len(SPLITS)]


def real_questions(split: str) -> List[Dict[str, str]]:
    """The merged questions of one side: train, dev or test."""
    return [row for row in read_tsv(QUESTIONS) if row["split"] == split]


def as_training_example(question: str) -> str:
    """One line of Rasa's NLU YAML: square brackets would read as entity annotations."""
    return " ".join(question.replace("[", "(").replace("]", ")").split())


def written_examples() -> Set[str]:
    """Every example of our own training files (not the generated one), lower-cased."""
    found: Set[str] = set()
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        if path == TRAINING:
            continue
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            found.update(line.strip()[2:].strip().lower() for line in block.get("examples", "").splitlines())
    return found


def our_held_out_file() -> Set[str]:
    """tests/data/nlu_holdout.yml's questions, lower-cased: measured, so never trained on."""
    blocks = yaml.safe_load((ROOT / "tests" / "data" / "nlu_holdout.yml").read_text(encoding="utf-8"))["nlu"]
    return {
        as_training_example(line.strip()[2:]).lower()
        for block in blocks
        for line in block["examples"].splitlines()
        if line.strip().startswith("- ")
    }


def training_yaml(rows: List[Dict[str, str]]) -> str:
    """The train side as Rasa NLU data, leaving out what our own files already have (a question in two
    files, under two intents, would be a conflict `rasa data validate` refuses), what a dev or test
    site asks too, and what our own held-out file asks."""
    # A question asked word for word on a dev or test site too stays out: those sides are never trained on.
    held_out = {
        as_training_example(row["question"]).lower()
        for side in ("dev", "test")
        for row in real_questions(side)
    }
    already = written_examples() | held_out | our_held_out_file()
    # Grouped by topic and by the other FAQ topics a labeller also accepted: the classifier learns a
    # question half as strongly for those (bot/components.py, ALSO_OK_WEIGHT).
    blocks: Dict[Tuple[str, Tuple[str, ...]], Set[str]] = {}
    for row in rows:
        example = as_training_example(row["question"])
        if example.lower() not in already:
            also = tuple(sorted(set(row["also_ok"].split(",")) - {"", row["topic"], *NOT_ALSO_TRAINED}))
            blocks.setdefault((row["topic"], also), set()).add(example)
    lines = [
        "# Generated by `python -m scripts.real_questions` from data/real/questions.tsv (its train split",
        "# only: real questions from public pages, split by site). Don't edit: edit the labels and rerun.",
        'version: "3.1"',
        "nlu:",
    ]
    for (topic, also), examples in sorted(blocks.items()):
        lines.append(f"- intent: {topic}")
        if also:
            lines += ["  metadata:", f"    also_ok: [{', '.join(also)}]"]
        lines.append("  examples: |")
        lines += [f"    - {example}" for example in sorted(examples)]
    return "\n".join(lines) + "\n"


def read_tsv(path: Path) -> List[Dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE))


def cohens_kappa(first: List[str], second: List[str]) -> float:
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    count_a, count_b = Counter(first), Counter(second)
    expected = sum(count_a[label] * count_b[label] for label in count_a) / (n * n)
    return (observed - expected) / (1 - expected)


def passes() -> tuple:
    """Every round's questions, first pass and second pass, each keyed by the question's number."""
    questions: Dict[int, str] = {}
    first: Dict[int, Dict[str, str]] = {}
    second: Dict[int, Dict[str, str]] = {}
    for to_label, pass1, pass2 in BATCHES:
        questions.update({int(row["n"]): row["question"] for row in read_tsv(REAL / to_label)})
        first.update({int(row["n"]): row for row in read_tsv(REAL / pass1)})
        second.update({int(row["n"]): row for row in read_tsv(REAL / pass2)})
    return questions, first, second


def soft_agreement() -> float:
    """Share of questions where one pass's topic is the other's topic or among its also_ok."""
    _, by_n, second = passes()
    first = list(by_n.values())

    def accepts(row: Dict[str, str], topic: str) -> bool:
        return topic == row["topic"] or topic in row["also_ok"].split(",")

    hits = sum(
        accepts(a, second[int(a["n"])]["topic"]) or accepts(second[int(a["n"])], a["topic"]) for a in first
    )
    return hits / len(first)


def merged() -> List[Dict[str, str]]:
    questions, first, second = passes()
    sources: Dict[str, Dict[str, str]] = {}
    for name in GATHERED:
        for row in read_tsv(REAL / name):
            sources.setdefault(row["question"], row)
    rows = []
    for n, question in sorted(questions.items()):
        a, b = first[n], second[n]
        also = {t.strip() for t in f"{a['also_ok']},{b['also_ok']}".split(",") if t.strip()}
        if b["topic"] != a["topic"]:
            also.add(b["topic"])
        also.discard(a["topic"])
        source = sources[question]
        rows.append(
            {
                "n": str(n),
                "topic": a["topic"],
                "question": question,
                "source_url": source["source_url"],
                "source_kind": source["source_kind"],
                "also_ok": ",".join(sorted(also)),
                "agreed": "yes" if a["topic"] == b["topic"] else "no",
                "split": split_of(source["source_url"]),
            }
        )
    return rows


def main() -> None:
    rows = merged()
    _, first_by_n, second_by_n = passes()
    first = [row["topic"] for _, row in sorted(first_by_n.items())]
    second = [second_by_n[n]["topic"] for n, _ in sorted(first_by_n.items())]
    agree = sum(a == b for a, b in zip(first, second, strict=True)) / len(first)
    columns = list(rows[0])
    lines = ["\t".join(columns), *("\t".join(row[column] for column in columns) for row in rows)]
    QUESTIONS.write_text("\n".join(lines) + "\n", encoding="utf-8")  # no quoting: no field holds a tab
    trainable = [row for row in rows if row["split"] == "train" and row["topic"] != "emergency"]
    TRAINING.write_text(training_yaml(trainable), encoding="utf-8")
    sides = Counter(row["split"] for row in rows)
    sites = {side: len({site(row["source_url"]) for row in rows if row["split"] == side}) for side in sides}
    print(
        ", ".join(
            f"{side}: {sides[side]} questions from {sites[side]} sites" for side in ("train", "dev", "test")
        )
    )
    print(
        f"{len(rows)} questions; the passes agree on {agree:.3f} (Cohen's kappa {cohens_kappa(first, second):.3f})"
    )
    print(f"one pass's topic among the other's acceptable ones: {soft_agreement():.3f}")
    disagreements = Counter((a, b) for a, b in zip(first, second, strict=True) if a != b)
    print("most frequent disagreements (pass 1 -> pass 2):")
    for (a, b), count in disagreements.most_common(10):
        print(f"  {count:3d}  {a} -> {b}")


if __name__ == "__main__":
    main()
