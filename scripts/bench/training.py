"""What the assistant costs to build and ship: training time, model size, the widget's size.

Training runs `rasa train` the way `make train` does, but into a temporary folder with its own
training cache, so neither models/ nor the project's .rasa/ cache is touched: cold is `--force` with
an empty cache; "one-line change" adds one example to a copy of the data and trains again on the
cache the cold run left, the way a clinic's edit retrains.
"""

from __future__ import annotations

import gzip
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

from scripts.bench.processes import environment
from scripts.stack import BIN, ROOT

WIDGET = ROOT / "api" / "static" / "widget.js"


class TrainingFailed(RuntimeError):
    pass


@dataclass
class Training:
    what: str
    seconds: float  # wall clock
    cpu_seconds: float  # user + system, less sensitive to other work on the machine
    model_mb: float


def mb(path: Path) -> float:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6
    return path.stat().st_size / 1e6


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rasa_train(args: List[str], out: Path, cache: Path, name: str, log: Path) -> Tuple[float, float]:
    """(wall, CPU) seconds of one `rasa train ...` run from the project folder (our config and components)."""
    started, cpu = time.monotonic(), _children_cpu()
    with log.open("a") as sink:
        done = subprocess.run(
            [str(BIN / "rasa"), "train", *args, "--out", str(out), "--fixed-model-name", name],
            cwd=ROOT,
            env={**environment(), "RASA_CACHE_DIRECTORY": str(cache)},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise TrainingFailed(f"`rasa train {' '.join(args)}` failed (exit {done.returncode}); see {log}")
    return seconds, _children_cpu() - cpu


def add_one_example(data: Path) -> None:
    """Adds one example to the first intent of data/nlu/faq.yml: what a clinic's small edit looks like."""
    faq = data / "nlu" / "faq.yml"
    lines = faq.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.lstrip().startswith("- ") and "intent:" not in line:
            indent = line[: len(line) - len(line.lstrip())]
            lines.insert(i + 1, f"{indent}- {line.strip()[2:]} please\n")
            break
    faq.write_text("".join(lines), encoding="utf-8")


def training_costs(work: Path, one_line_change: bool = True) -> List[Training]:
    """Cold training, then (unless told not to) after a one-line data change, each with its model's size."""
    data = work / "data"
    shutil.copytree(ROOT / "data", data)
    cache, out, log = work / "cache", work / "models", work / "train.log"
    common = ["--data", str(data), "--config", str(ROOT / "config.yml"), "--domain", str(ROOT / "domain.yml")]
    cold = rasa_train([*common, "--force"], out, cache, "cold", log)
    found = [Training("cold (`rasa train --force`, empty cache)", *cold, mb(out / "cold.tar.gz"))]
    if one_line_change:
        add_one_example(data)
        again = rasa_train(common, out, cache, "changed", log)
        found.append(
            Training("after a one-line data change (cache kept)", *again, mb(out / "changed.tar.gz"))
        )
    return found


def widget_gzip_kb() -> Optional[float]:
    """The chat widget's gzipped size in KB, or None while api/static/widget.js isn't built."""
    if not WIDGET.exists():
        return None
    return len(gzip.compress(WIDGET.read_bytes(), compresslevel=9)) / 1000


def sizes(bare_model: Path) -> List[tuple]:
    """(what, MB) for what a clinic deploys and what the floor deploys."""
    found = [("our trained model (`models/clinic.tar.gz`)", mb(ROOT / "models" / "clinic.tar.gz"))]
    spacy = ROOT / "build" / "clinic_nlp"
    if spacy.exists():
        found.append(("our spaCy pipeline, loaded beside it (`build/clinic_nlp`)", mb(spacy)))
    found.append(("bare `rasa init` model", mb(bare_model)))
    return found
