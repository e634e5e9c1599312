"""spaCy component that finds red-flag phrases (chest pain, stroke signs, suicidal thoughts...).

Patterns are data (`patterns/red_flags.jsonl`); this module only matches them and sets aside the ones
a patient negated ("no chest pain", "I don't have trouble breathing").
"""

from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import srsly
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span

# No `from __future__ import annotations` here: spaCy reads the factory's annotations at runtime.
PATTERNS_FILE = Path(__file__).parent / "patterns" / "red_flags.jsonl"

# A negation word at most this many tokens before a red flag, in the same clause, cancels it.
NEGATION_WINDOW = 4
NEGATIONS = {"no", "not", "never", "without", "none", "nothing", "nor", "denies", "deny"}
# "can't" is "ca" + "n't": not a denial but an inability ("can't move my arm", "can't stop coughing up blood").
INABILITY = {"ca", "can", "could", "cant"}
CLAUSE_BREAKS = {"but", "though", "although", "however", "yet", "now", "except", "and"}

FOUND = "red_flags"
NEGATED = "red_flags_negated"

# Speed: one spaCy Matcher tries every pattern at every token (and each distinct IN list is a Python call
# per token), so with hundreds of patterns a message cost ~0.25 ms, a long one ~2.5 ms. Patterns are
# indexed by the word their first token must be; each place a message has such a word runs only those
# patterns, over only as many tokens as the longest of them can span.
FIRST_TOKEN_ATTRS = {"LOWER": "lower_", "LEMMA": "lemma_", "NORM": "norm_"}
UNBOUNDED = 1_000_000  # a `*` or `+` in the pattern: look at the rest of the message


def longest_match(pattern: List[dict]) -> int:
    """How many tokens the pattern can match at most."""
    return UNBOUNDED if any(token.get("OP") in ("*", "+") for token in pattern) else len(pattern)


def first_words(token: dict) -> Optional[List[Tuple[str, str]]]:
    """(attribute, word) pairs one of which a pattern's first token needs; None if not that simple."""
    if len(token) != 1:  # several attributes, or an operator: left to the catch-all matcher
        return None
    ((attr, value),) = token.items()
    if attr not in FIRST_TOKEN_ATTRS:
        return None
    if isinstance(value, str):
        return [(attr, value)]
    if isinstance(value, dict) and list(value) == ["IN"]:
        return [(attr, word) for word in value["IN"]]
    return None


def is_negated(doc: Doc, start: int) -> bool:
    """True when a negation word governs the phrase starting at token `start`.

    We have no parser, so we look back a few tokens and stop at a clause boundary: punctuation or
    a word such as "but" ("no fever but chest pain" is still chest pain).
    """
    for token in reversed(doc[max(0, start - NEGATION_WINDOW) : start]):
        if token.is_punct or token.lower_ in CLAUSE_BREAKS:
            return False
        if token.norm_ in NEGATIONS or token.lower_ in NEGATIONS:
            if token.i > 0 and doc[token.i - 1].lower_ in INABILITY:
                continue  # "can't move the left side of my body" says what is wrong, it denies nothing
            return True
    return False


class RedFlagDetector:
    """Puts non-negated red flags in `doc.spans["red_flags"]`, negated ones in `"red_flags_negated"`.

    Each span's label is the pattern's kind (`medical` or `mental_health`); its `id_` the flag's id.
    """

    def __init__(self, nlp: Language, name: str = "red_flags") -> None:
        self.name = name
        self.vocab = nlp.vocab
        self.matcher = Matcher(nlp.vocab)  # patterns whose first token can't be indexed
        self.by_first_word: Dict[Tuple[str, str], Matcher] = {}
        self.longest: Dict[Tuple[str, str], int] = {}  # how many tokens to look at from that word on
        self.patterns: List[dict] = []

    def add_patterns(self, patterns: Iterable[dict]) -> None:
        for pattern in patterns:
            key = f"{pattern['kind']}|{pattern['id']}"
            first, rest = pattern["pattern"][0], pattern["pattern"][1:]
            words = first_words(first)
            if words is None:
                self.matcher.add(key, [pattern["pattern"]])
            length = longest_match(pattern["pattern"])
            for attr, word in words or []:
                if (attr, word) not in self.by_first_word:
                    self.by_first_word[attr, word] = Matcher(self.vocab)
                self.by_first_word[attr, word].add(key, [[{attr: word}] + rest])
                self.longest[attr, word] = max(self.longest.get((attr, word), 0), length)
            self.patterns.append(pattern)

    def matches(self, doc: Doc) -> List[Tuple[int, int, int]]:
        """The same (match_id, start, end) triples one Matcher holding every pattern would give."""
        found = set(self.matcher(doc)) if len(self.matcher) else set()
        for token in doc:
            for attr, name in FIRST_TOKEN_ATTRS.items():
                key = (attr, getattr(token, name))
                if key not in self.by_first_word:
                    continue
                window = doc[token.i : token.i + self.longest[key]]
                for match_id, start, end in self.by_first_word[key](window):
                    if start == 0:  # a match starting further on is found from its own first word
                        found.add((match_id, token.i, token.i + end))
        return sorted(found, key=lambda match: (match[1], match[2], match[0]))

    def initialize(self, get_examples=None, nlp=None, patterns_file: Optional[str] = None) -> None:
        self.add_patterns(srsly.read_jsonl(patterns_file or PATTERNS_FILE))

    def __call__(self, doc: Doc) -> Doc:
        found: List[Span] = []
        negated: List[Span] = []
        for match_id, start, end in self.matches(doc):
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
