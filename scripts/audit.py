"""Check the installed packages against the reviewed advisory list (docs/advisories.yml), offline.

    python -m scripts.audit        # what `make audit` runs; exit 1 when something needs a review

A package the list reviews must be installed at the version reviewed: an upgrade or downgrade means the
advisories (and whether they can be reached here) must be looked at again. Where the network allows,
run `pip-audit` too, for what has been published since the list's review date.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Dict, List

import yaml

ROOT = Path(__file__).resolve().parents[1]
ADVISORIES = ROOT / "docs" / "advisories.yml"


def needing_review(reviewed: Dict[str, dict]) -> List[str]:
    """What no longer matches the review: a package at another version, or a review without a verdict."""
    problems = []
    for package, review in reviewed.items():
        try:
            installed = version(package)
        except PackageNotFoundError:
            problems.append(
                f"{package}: reviewed at {review['version']} but not installed; drop it from the list"
            )
            continue
        if installed != str(review["version"]):
            problems.append(
                f"{package}: installed {installed}, reviewed {review['version']}: check its advisories and "
                f"update {ADVISORIES.relative_to(ROOT)}"
            )
        if "reachable" not in review or not review.get("why"):
            problems.append(f"{package}: say whether its advisories can be reached here, and why")
    return problems


def main() -> None:
    reviewed = yaml.safe_load(ADVISORIES.read_text(encoding="utf-8"))["packages"]
    problems = needing_review(reviewed)
    for problem in problems:
        print(problem)
    reachable = [package for package, review in reviewed.items() if review.get("reachable")]
    print(
        f"{len(reviewed)} package(s) with advisories reviewed; reachable here: {', '.join(reachable) or 'none'} "
        f"(see {ADVISORIES.relative_to(ROOT)})."
    )
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
