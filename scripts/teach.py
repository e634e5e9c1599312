"""One retraining, off the API's request path: train with the staff's labels, score the new model and the
one it would replace on the same questions, and promote it only if the gate lets it through.

    python -m scripts.teach --run N --db var/handoffs.db      # what "Retrain now" starts (api/retraining.py)

The run's progress and result go into the run's row (api/model_runs.py); Rasa picks a promoted model up
from GET /api/model. Its log (the run's folder) holds no patient text: Rasa's training output only.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import List

from api import model_runs, teaching
from api.db import connect
from api.model_runs import Scores
from scripts.evaluate import (
    EMERGENCY,
    OUT_OF_SCOPE,
    Question,
    read_holdout,
    read_real,
    read_safety,
    run_cases,
)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOLDOUT = ROOT / "tests" / "data" / "nlu_holdout.yml"


def gate_questions() -> List[Question]:
    """Our held-out file, the real questions' development side and the development safety set's
    emergencies: what the gate compares two models on (the blind sets stay blind)."""
    emergencies = [
        (text, EMERGENCY, frozenset({EMERGENCY})) for text, tier, _ in read_safety("dev") if tier == EMERGENCY
    ]
    return read_holdout(HOLDOUT) + read_real("dev") + emergencies


def fingerprint(questions: List[Question]) -> str:
    """Which questions were asked: two models' scores compare only on the same."""
    asked = sorted(f"{text}\t{expected}\t{','.join(sorted(ok))}" for text, expected, ok in questions)
    return hashlib.sha256("\n".join(asked).encode()).hexdigest()[:16]


def score(model: Path, questions: List[Question]) -> Scores:
    """The model's counts on the gate's questions, through the same path as a patient's message."""
    from actions.conversation import offered_therapies
    from actions.knowledge import knowledge_base

    topics = set(knowledge_base().topics)
    cases = asyncio.run(run_cases(model, questions, topics, offered_therapies()))
    ours = [c for c in cases if c.expected in topics]
    off_topic = [c for c in cases if c.expected == OUT_OF_SCOPE]
    emergencies = [c for c in cases if c.expected == EMERGENCY]
    return Scores(
        right=sum(c.right for c in ours),
        wrong=sum(c.predicted in topics and not c.right for c in ours + off_topic),
        emergencies_caught=sum(c.predicted == EMERGENCY for c in emergencies),
        questions=len(ours),
        off_topic=len(off_topic),
        emergencies=len(emergencies),
        asked=fingerprint(questions),
    )


def training_data(folder: Path, taught_yaml: str) -> Path:
    """Our training data (data/, without the raw real questions) plus the taught examples."""
    data = folder / "data"
    if data.exists():
        shutil.rmtree(data)
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("real"))
    (data / "nlu" / "taught.yml").write_text(taught_yaml, encoding="utf-8")
    return data


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def retrain(run: int, db_path: Path, models_dir: Path, base_model: Path, config: Path) -> bool:
    """Trains, scores and gates one run; True if its model was promoted."""
    db = connect(db_path)
    model_runs.update_run(db, run, pid=os.getpid())
    folder = models_dir / f"run-{run}"
    folder.mkdir(parents=True, exist_ok=True)
    data = training_data(folder, teaching.nlu_yaml(teaching.labels(db)))
    started = time.monotonic()
    with (folder / "train.log").open("w") as log:
        subprocess.run(
            [
                str(BIN / "rasa"),
                "train",
                "--data",
                str(data),
                "--config",
                str(config),
                "--domain",
                str(ROOT / "domain.yml"),
                "--out",
                str(folder),
                "--fixed-model-name",
                "model",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )
    model = folder / "model.tar.gz"
    model_runs.update_run(db, run, status="scoring", seconds=round(time.monotonic() - started, 1))
    questions = gate_questions()
    current = model_runs.promoted(db)
    # The running model's scores from its own run, when they were counted on the same questions.
    known = Scores.from_json(current["scores"]) if current else None
    if known is None or known.asked != fingerprint(questions):
        known = score(Path(current["model_path"]) if current else base_model, questions)
    promoted = model_runs.finish_run(
        db, run, baseline=known, scores=score(model, questions), model_path=model, sha256=sha256_of(model)
    )
    model_runs.prune_run_folders(db, models_dir)
    return promoted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--models-dir", type=Path, default=ROOT / "var" / "models")
    parser.add_argument("--base-model", type=Path, default=ROOT / "models" / "clinic.tar.gz")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    args = parser.parse_args()
    try:
        promoted = retrain(args.run, args.db, args.models_dir, args.base_model, args.config)
    except Exception as error:
        traceback.print_exc()
        reason = (
            "Training failed: see train.log in the run's folder."
            if isinstance(error, subprocess.CalledProcessError)
            else f"The retraining failed ({type(error).__name__}): see the API's log."
        )
        model_runs.fail_run(connect(args.db), args.run, reason)
        sys.exit(1)
    print(f"run {args.run}: {'promoted' if promoted else 'refused by the gate'}")


if __name__ == "__main__":
    main()
