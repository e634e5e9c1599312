"""The inbox's search box: whatever the front desk types when a patient calls back.

A name, an email, a reference, words of the reason or question (SQLite FTS5, every word as a prefix, so
"jor le" finds Jordan Lee), or a phone number in any format, matched on its digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from api.phone_numbers import digits_to_find

# Letters and digits in any script: punctuation in what was typed never reaches FTS5's query syntax.
WORD = re.compile(r"\w+")
MAX_WORDS = 12


@dataclass(frozen=True)
class Search:
    """What was typed, ready to be matched."""

    text: str

    @classmethod
    def of(cls, text: Optional[str]) -> Optional[Search]:
        """None for an empty search box (then everything is listed)."""
        text = " ".join((text or "").split())
        return cls(text) if text else None

    def fts_query(self) -> Optional[str]:
        """An FTS5 query: each typed word (an email or a reference is one word) as a prefix phrase."""
        phrases = []
        for word in self.text.split()[:MAX_WORDS]:
            parts = WORD.findall(word)
            if parts:
                phrases.append('"' + " ".join(parts) + '"*')
        return " ".join(phrases) or None

    def condition(self) -> Tuple[str, List[str]]:
        """A where-clause on `handoffs` and its parameters."""
        clauses, params = [], []
        fts = self.fts_query()
        if fts is not None:
            clauses.append("id in (select rowid from handoffs_fts where handoffs_fts match ?)")
            params.append(fts)
        digits = digits_to_find(self.text)
        if digits is not None:
            clauses.append("(contact_type = 'phone' and replace(contact_key, '+', '') like ?)")
            params.append(f"%{digits}%")
        if not clauses:
            return "0", []
        return "(" + " or ".join(clauses) + ")", params
