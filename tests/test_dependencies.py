"""Every installed version with published advisories has been reviewed (docs/advisories.yml)."""

from __future__ import annotations

import subprocess
import sys

from clinic.settings import PROJECT
from scripts.audit import needing_review


def test_the_installed_packages_match_the_reviewed_advisory_list():
    done = subprocess.run(
        [sys.executable, "-m", "scripts.audit"], cwd=PROJECT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout
    assert "reachable here: sanic" in done.stdout


def test_a_version_other_than_the_one_reviewed_asks_for_a_review():
    problems = needing_review({"PyYAML": {"version": "0.0.1", "reachable": False, "why": "test"}})
    assert problems and "installed 6." in problems[0] and "reviewed 0.0.1" in problems[0]


def test_a_review_without_a_verdict_is_not_a_review():
    from importlib.metadata import version

    problems = needing_review({"PyYAML": {"version": version("PyYAML")}})
    assert problems == ["PyYAML: say whether its advisories can be reached here, and why"]
