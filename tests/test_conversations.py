"""Conversation tests (tests/test_stories.yml) against the trained model with `rasa test core`."""

import subprocess
import sys
from pathlib import Path

import pytest

from actions.settings import PROJECT

MODEL = PROJECT / "models" / "clinic.tar.gz"


@pytest.fixture(scope="module")
def model() -> Path:
    if not MODEL.exists():
        pytest.fail("No trained model: run `make train` (make test does it for you).")
    return MODEL


def test_the_conversation_stories_pass(model, tmp_path):
    rasa = Path(sys.executable).parent / "rasa"
    result = subprocess.run(
        [
            str(rasa),
            "test",
            "core",
            "--model",
            str(model),
            "--stories",
            str(PROJECT / "tests" / "test_stories.yml"),
            "--out",
            str(tmp_path),
            "--fail-on-prediction-errors",
            "--no-plot",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, details
