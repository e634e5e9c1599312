"""spaCy component that finds red-flag phrases (chest pain, stroke signs, suicidal thoughts...).

Patterns are data (`patterns/red_flags.jsonl`); this module only matches them and sets aside the ones
a patient negated ("no chest pain", "I don't have trouble breathing").
"""

from pathlib import Path
from typing import Iterable, List, Optional

import srsly
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span

# No `from __future__ import annotations` here: spaCy reads the factory's annotations at runtime.
PATTERNS_FILE = Path(__file__).parent / "patterns" / "red_flags.jsonl"

# A negation word at most this many tokens before a red flag, in the same clause, cancels it.
NEGATION_WINDOW = 4
NEGATIONS = {"no", "not", "never", "without", "none", "nothing", "nor", "denies", "deny"}
CLAUSE_BREAKS = {"but", "though", "although", "however", "yet", "now", "except", "and"}

FOUND = "red_flags"
NEGATED = "red_flags_negated"


def is_negated(doc: Doc, start: int) -> bool:
    """True when a negation word governs the phrase starting at token `start`.

    We have no parser, so we look back a few tokens and stop at a clause boundary: punctuation or
    a word such as "but" ("no fever but chest pain" is still chest pain).
    """
    for token in reversed(doc[max(0, start - NEGATION_WINDOW) : start]):
        if token.is_punct or token.lower_ in CLAUSE_BREAKS:
            return False
        if token.norm_ in NEGATIONS or token.lower_ in NEGATIONS:
            return True
    return False


class RedFlagDetector:
    """Puts non-negated red flags in `doc.spans["red_flags"]`, negated ones in `"red_flags_negated"`.

    Each span's label is the pattern's kind (`medical` or `mental_health`); its `id_` the flag's id.
    """

    def __init__(self, nlp: Language, name: str = "red_flags") -> None:
        self.name = name
        self.matcher = Matcher(nlp.vocab)
        self.patterns: List[dict] = []

    def add_patterns(self, patterns: Iterable[dict]) -> None:
        for pattern in patterns:
            key = f"{pattern['kind']}|{pattern['id']}"
            self.matcher.add(key, [pattern["pattern"]])
            self.patterns.append(pattern)

    def initialize(self, get_examples=None, nlp=None, patterns_file: Optional[str] = None) -> None:
        self.add_patterns(srsly.read_jsonl(patterns_file or PATTERNS_FILE))

    def __call__(self, doc: Doc) -> Doc:
        found: List[Span] = []
        negated: List[Span] = []
        for match_id, start, end in self.matcher(doc):
            kind, flag = doc.vocab.strings[match_id].split("|", 1)
            span = Span(doc, start, end, label=kind, span_id=flag)
            (negated if is_negated(doc, start) else found).append(span)
        doc.spans[FOUND] = found
        doc.spans[NEGATED] = negated
        return doc

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / "patterns.jsonl", self.patterns)

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> "RedFlagDetector":
        self.add_patterns(srsly.read_jsonl(Path(path) / "patterns.jsonl"))
        return self


@Language.factory("red_flags")
def make_red_flag_detector(nlp: Language, name: str) -> RedFlagDetector:
    return RedFlagDetector(nlp, name)
