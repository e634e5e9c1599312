"""Starts a retraining in its own process (scripts/teach.py), never on a request's path: one at a time,
its progress in the run's row, its output in the run's folder."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from sqlite_utils import Database

from api import model_runs, teaching
from api.settings import Settings
from clinic.files import PRIVATE_UMASK
from clinic.settings import PROJECT

BIN = Path(sys.executable).parent
# The API's secrets stay with the API: a training needs none of them.
SECRETS = ("CLINIC_BOT_TOKEN", "CLINIC_MODEL_TOKEN", "CLINIC_SMTP_PASSWORD")


def retrain(db: Database, settings: Settings, *, by: str) -> int:
    """Starts a run with the labels as they are now; AlreadyTraining if one is running. Returns its id."""
    run = model_runs.start_run(db, by=by, labels=teaching.trainable(db))
    folder = settings.models_dir / f"run-{run}"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "run.log").open("w") as log:
        process = subprocess.Popen(
            [
                str(BIN / "python"),
                "-m",
                "scripts.teach",
                "--run",
                str(run),
                "--db",
                str(settings.handoffs_db),
                "--models-dir",
                str(settings.models_dir),
                "--base-model",
                str(settings.base_model),
                "--config",
                str(settings.teach_config),
            ],
            cwd=PROJECT,
            env={key: value for key, value in os.environ.items() if key not in SECRETS},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            umask=PRIVATE_UMASK,
            start_new_session=True,  # Ctrl-C on `make run` stops the API, not a training half-way
        )
    model_runs.update_run(db, run, pid=process.pid)
    threading.Thread(target=process.wait, name=f"retraining-{run}", daemon=True).start()  # no zombie
    return run
