"""The clinic's content files (content/*.yml): read, checked and cached the same way in every process.

A file is read again only when it changes, so a clinic edits YAML and sees the change at the next
message or page, with no restart. A missing or broken file fails with a message saying which and how
to fix it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

from clinic.facts import fill, load_clinic, placeholders
from clinic.settings import ClinicFiles, ConfigurationError
from clinic.yaml_files import read_yaml

REPLIES_FILE = "replies.yml"
THERAPIES_FILE = "therapies.yml"
# Said when even the content can't be read: never silence, and never without the way to help.
BROKEN_TEXT = "Sorry, something went wrong on my side. Please call the clinic. In an emergency, call 911 now."


class ContentError(ConfigurationError):
    """A content file is missing or broken; the message says which and how to fix it."""


def content_file(files: ClinicFiles, name: str) -> Any:
    """A content file, parsed (shared between callers: never change what it returns)."""
    return read_yaml(files.content_dir / name, error=ContentError)


def clinic_values(files: ClinicFiles) -> Dict[str, str]:
    """The clinic's facts as {placeholder} values."""
    return placeholders(load_clinic(files.clinic_config))


@dataclass(frozen=True)
class Notice:
    """One of the replies in content/replies.yml, filled with the clinic's facts."""

    key: str
    topic: str
    text: str


def notice(files: ClinicFiles, key: str, **fields: str) -> Notice:
    spec = content_file(files, REPLIES_FILE)["replies"][key]
    return Notice(key, spec["topic"], fill(spec["text"], {**clinic_values(files), **fields}))


@dataclass(frozen=True)
class Therapy:
    """A therapy a booking can be for: its id, how staff see it, how a patient's summary names it,
    and the words patients type for it."""

    id: str
    label: str
    in_summary: str
    words: List[str]


@dataclass(frozen=True)
class Therapies:
    therapies: Dict[str, Therapy]
    # Clinic terms (bot/patterns/clinic_terms.jsonl) that a booking reads as one of the therapies.
    from_terms: Dict[str, str]
    # Words that rule out the therapy named right after them ("not IMS, acupuncture").
    ruled_out_by: List[str] = field(default_factory=list)

    def labels(self) -> Dict[str, str]:
        return {therapy.id: therapy.label for therapy in self.therapies.values()}

    def in_summary(self, therapy_id: Optional[str]) -> str:
        therapy = self.therapies.get(therapy_id or "")
        return therapy.in_summary if therapy else str(therapy_id)

    def read(self, text: str, term: Optional[str] = None) -> Optional[str]:
        """The therapy a patient's words or a recognised clinic term name; None if neither does.
        A therapy the patient ruled out ("not IMS, acupuncture") is never the answer."""
        lowered = text.lower()
        ruled_out = {therapy.id for therapy in self.therapies.values() if self._ruled_out(therapy, lowered)}
        named = term if term in self.therapies else self.from_terms.get(term or "")
        if named and named not in ruled_out:
            return named
        for therapy in self.therapies.values():  # in the file's order: "not sure" before "acupuncture"
            if therapy.id not in ruled_out and any(word in lowered for word in therapy.words):
                return therapy.id
        return None

    def _ruled_out(self, therapy: Therapy, lowered: str) -> bool:
        return any(
            re.search(rf"\b{re.escape(negation)}\s+{re.escape(word)}\b", lowered)
            for negation in self.ruled_out_by
            for word in therapy.words
        )


def therapies(files: ClinicFiles) -> Therapies:
    path = files.content_dir / THERAPIES_FILE
    read_yaml(path, error=ContentError)  # a missing or broken file says so here
    return _therapies(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _therapies(path: Path, mtime_ns: int) -> Therapies:
    spec = read_yaml(path, error=ContentError)
    try:
        table = {
            id_: Therapy(id_, str(t["label"]), str(t["in_summary"]), [str(w).lower() for w in t["words"]])
            for id_, t in spec["therapies"].items()
        }
    except (KeyError, TypeError, AttributeError) as error:
        raise ContentError(
            f"{path}: every therapy needs a label, in_summary and words ({error} is missing)"
        ) from None
    ruled_out_by = [str(word).lower() for word in spec.get("ruled_out_by") or []]
    return Therapies(table, dict(spec.get("from_terms") or {}), ruled_out_by)
