"""Retrained models: their history, the gate that promotes one only if it is not worse than the model it
would replace, and which file Rasa should load (served by GET /api/model).

The scores are counts on the same questions for both models (scripts/teach.py computes them):
right answers and wrong answers on our held-out file and the development side of the real questions,
and emergencies caught on the held-out file's and the development safety set's. The blind sets stay
blind: `make eval` reports them, nothing is chosen on them.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from sqlite_utils import Database

from api.db import write_lock
from api.store import now, timestamp

RUNNING = ("training", "scoring")


class AlreadyTraining(Exception):
    """One retraining at a time."""

    def __init__(self) -> None:
        super().__init__("A retraining is already running: its progress is on this page.")


@dataclass(frozen=True)
class Scores:
    """How a model did on the evaluation sets, as counts."""

    right: int  # questions about our topics answered with a right topic
    wrong: int  # questions answered with a wrong topic (ours or off-topic ones)
    emergencies_caught: int
    questions: int  # questions about our topics
    off_topic: int
    emergencies: int
    asked: str = ""  # a fingerprint of the questions themselves: scores are compared only on the same

    @classmethod
    def from_json(cls, text: Optional[str]) -> Optional[Scores]:
        return cls(**json.loads(text)) if text else None

    def to_json(self) -> str:
        return json.dumps(asdict(self))


# One taught wording moves a borderline question or two between a right answer and a "Did you mean"
# (2026-11-27: teaching "can I drive home after the pins" as aftercare took right answers 746 -> 745 of
# 949 with wrong answers unchanged, and the gate refused the very correction it was taught). So right
# answers may fall by this share of the questions (at least one); wrong answers and emergencies may not.
RIGHT_ANSWERS_SLACK = 0.002


def right_answers_slack(questions: int) -> int:
    return max(1, int(questions * RIGHT_ANSWERS_SLACK))


@dataclass(frozen=True)
class Check:
    """One count compared between the model in use and the candidate, on the same questions."""

    name: str
    old: int
    new: int
    total: int
    fewer_is_better: bool = False
    slack: int = 0

    @property
    def ok(self) -> bool:
        if self.fewer_is_better:
            return self.new <= self.old + self.slack
        return self.new >= self.old - self.slack

    @property
    def verdict(self) -> str:
        if not self.ok:
            return "worse"
        as_good = self.new <= self.old if self.fewer_is_better else self.new >= self.old
        return "not worse" if as_good else "within the slack"

    def __str__(self) -> str:
        return f"{self.name}: {self.old} → {self.new} of {self.total} ({self.verdict})"


def gate(baseline: Scores, candidate: Scores) -> Tuple[bool, List[str]]:
    """Promote only a model that is not worse on right answers, wrong answers and emergency recall.

    Counts on the same questions: one more wrong answer or one emergency missed refuses it; right answers
    may fall by `right_answers_slack` (a question that now gets "Did you mean" instead)."""
    if (baseline.asked, baseline.questions, baseline.off_topic, baseline.emergencies) != (
        candidate.asked,
        candidate.questions,
        candidate.off_topic,
        candidate.emergencies,
    ):
        return False, ["The two models were scored on different questions: retrain to compare them."]
    checks = [
        Check(
            "Right answers",
            baseline.right,
            candidate.right,
            baseline.questions,
            slack=right_answers_slack(baseline.questions),
        ),
        Check(
            "Wrong answers",
            baseline.wrong,
            candidate.wrong,
            baseline.questions + baseline.off_topic,
            fewer_is_better=True,
        ),
        Check(
            "Emergencies caught",
            baseline.emergencies_caught,
            candidate.emergencies_caught,
            baseline.emergencies,
        ),
    ]
    return all(check.ok for check in checks), [str(check) for check in checks]


def start_run(db: Database, *, by: str, labels: int) -> int:
    """A new run, unless one is running (a run whose process died is marked failed first)."""
    with write_lock(db):
        for row in db.query(f"select id, pid, started_at from model_runs where status in {RUNNING}"):
            if _still_running(row):
                raise AlreadyTraining()
            db.execute(
                "update model_runs set status = 'failed', finished_at = ?, reasons = ? where id = ?",
                [now(), json.dumps(["The retraining stopped before it finished."]), row["id"]],
            )
        table = db.table("model_runs").insert(
            {"started_at": now(), "started_by": by, "status": "training", "labels": labels}
        )
        return int(table.last_pk or 0)


def _still_running(row: Dict[str, Any]) -> bool:
    """Its process is alive; or it has none yet and started a moment ago (its launcher sets it next)."""
    if row["pid"]:
        return _alive(row["pid"])
    return bool(row["started_at"] > now_minus(LAUNCH_SECONDS))


LAUNCH_SECONDS = 60


def now_minus(seconds: float) -> str:
    return timestamp(datetime.now(timezone.utc) - timedelta(seconds=seconds))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A finished child not yet reaped is a zombie: dead for us.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


def update_run(db: Database, run: int, **changes: Any) -> None:
    with write_lock(db):
        db.table("model_runs").update(run, changes)


def finish_run(
    db: Database, run: int, *, baseline: Scores, scores: Scores, model_path: Path, sha256: str
) -> bool:
    """Records the comparison and promotes the model if the gate lets it through; True if it did."""
    promote, reasons = gate(baseline, scores)
    at = now()
    update_run(
        db,
        run,
        status="promoted" if promote else "refused",
        finished_at=at,
        baseline=baseline.to_json(),
        scores=scores.to_json(),
        reasons=json.dumps(reasons),
        model_path=str(model_path),
        sha256=sha256,
        promoted_at=at if promote else None,
    )
    return promote


def fail_run(db: Database, run: int, reason: str) -> None:
    update_run(db, run, status="failed", finished_at=now(), reasons=json.dumps([reason]))


def promoted(db: Database) -> Optional[Dict[str, Any]]:
    """The model Rasa should run: the last one promoted whose file is still there, if any."""
    for row in db.query(
        "select * from model_runs where status = 'promoted' order by promoted_at desc, id desc"
    ):
        if row["model_path"] and Path(row["model_path"]).is_file():
            return row
    return None


KEEP_RUN_FOLDERS = 3  # the latest runs' folders (model, training data, log), besides the promoted model's


def prune_run_folders(db: Database, models_dir: Path, keep: int = KEEP_RUN_FOLDERS) -> List[Path]:
    """Deletes the folders of older runs (each holds a ~15 MB model and a copy of the staff's labels),
    keeping the latest `keep` and the one whose model Rasa runs; their scores stay in the history."""
    folders = {int(f.name[4:]): f for f in models_dir.glob("run-*") if f.is_dir() and f.name[4:].isdigit()}
    current = promoted(db)
    kept = set(sorted(folders, reverse=True)[:keep]) | ({current["id"]} if current else set())
    removed = [folder for run, folder in sorted(folders.items()) if run not in kept]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def history(db: Database, limit: int = 20) -> List[Dict[str, Any]]:
    """The latest runs, newest first, with their scores and the gate's reasons read back."""
    rows = db.query("select * from model_runs order by id desc limit ?", [limit])
    return [
        {
            **row,
            "baseline": Scores.from_json(row["baseline"]),
            "scores": Scores.from_json(row["scores"]),
            "reasons": json.loads(row["reasons"] or "[]"),
        }
        for row in rows
    ]


def running(db: Database) -> Optional[Dict[str, Any]]:
    rows = list(db.query(f"select * from model_runs where status in {RUNNING} order by id desc limit 1"))
    return rows[0] if rows and _still_running(rows[0]) else None
