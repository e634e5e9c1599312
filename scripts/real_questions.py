"""Merge the two independent labelling passes of the real questions (data/real/) and report agreement.

    python -m scripts.real_questions     # writes data/real/questions.tsv, prints the agreement

Where the passes agree, that is the topic. Where they differ, the first pass's topic stands and the
second's joins `also_ok` (the issue's rule: resolved, or kept as also_ok); `agreed` says which.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Dict, List

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
GATHERED = ["gathered_physio_ims.tsv", "gathered_acupuncture.tsv"]


def read_tsv(path: Path) -> List[Dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE))


def cohens_kappa(first: List[str], second: List[str]) -> float:
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    count_a, count_b = Counter(first), Counter(second)
    expected = sum(count_a[label] * count_b[label] for label in count_a) / (n * n)
    return (observed - expected) / (1 - expected)


def soft_agreement() -> float:
    """Share of questions where one pass's topic is the other's topic or among its also_ok."""
    first = read_tsv(REAL / "labels_pass1.tsv")
    second = {row["n"]: row for row in read_tsv(REAL / "labels_pass2.tsv")}

    def accepts(row: Dict[str, str], topic: str) -> bool:
        return topic == row["topic"] or topic in row["also_ok"].split(",")

    hits = sum(accepts(a, second[a["n"]]["topic"]) or accepts(second[a["n"]], a["topic"]) for a in first)
    return hits / len(first)


def merged() -> List[Dict[str, str]]:
    questions = {int(row["n"]): row["question"] for row in read_tsv(REAL / "to_label.tsv")}
    sources: Dict[str, Dict[str, str]] = {}
    for name in GATHERED:
        for row in read_tsv(REAL / name):
            sources.setdefault(row["question"], row)
    first = {int(row["n"]): row for row in read_tsv(REAL / "labels_pass1.tsv")}
    second = {int(row["n"]): row for row in read_tsv(REAL / "labels_pass2.tsv")}
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
            }
        )
    return rows


def main() -> None:
    rows = merged()
    first = [row["topic"] for row in read_tsv(REAL / "labels_pass1.tsv")]
    second_by_n = {row["n"]: row["topic"] for row in read_tsv(REAL / "labels_pass2.tsv")}
    second = [second_by_n[row["n"]] for row in read_tsv(REAL / "labels_pass1.tsv")]
    agree = sum(a == b for a, b in zip(first, second, strict=True)) / len(first)
    with (REAL / "questions.tsv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
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
