"""Builds the clinic's spaCy pipeline: blank English, lookup lemmas, clinic terms, red flags, and the
emergency-now reader.

Pretrained spaCy pipelines can't be downloaded here, so ours is rules over data files:
`patterns/clinic_terms.jsonl` (THERAPY, BODY_PART, CONDITION) and `patterns/red_flags.jsonl`; the one
learnt part, `emergency_now`, is trained here from `safety_examples/` and data/nlu (a few seconds).

    python -m bot.pipeline build/clinic_nlp
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import spacy
import srsly
from spacy.language import Language
from spacy.pipeline import EntityRuler

from bot import red_flags  # noqa: F401  (registers the "red_flags" factory)
from bot.emergency_now import EmergencyNow, nlu_examples, safety_examples

PATTERNS = Path(__file__).parent / "patterns"
DEFAULT_OUTPUT = Path("build/clinic_nlp")


def build() -> Language:
    """A fresh pipeline with every pattern file loaded."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = cast(EntityRuler, nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"}))
    nlp.add_pipe("red_flags")
    emergency_now = cast(EmergencyNow, nlp.add_pipe("emergency_now"))
    nlp.initialize()  # loads the lemma tables from spacy-lookups-data and the red-flag patterns
    ruler.add_patterns(list(srsly.read_jsonl(PATTERNS / "clinic_terms.jsonl")))
    emergency_now.fit(nlp, safety_examples() + nlu_examples())
    nlp.meta["name"] = "clinic_nlp"
    nlp.meta["description"] = "Clinic terms and red flags on blank English (rules only)"
    return nlp


def main(argv: list[str]) -> None:
    output = Path(argv[0]) if argv else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    build().to_disk(output)
    print(f"spaCy pipeline written to {output}")


if __name__ == "__main__":
    main(sys.argv[1:])
