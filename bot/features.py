"""The text our intent classifier sees: what the patient typed, plus the same message in clinic terms.

"can dry needling help my sciatica" becomes
"can dry needling help my sciatica || can therapy_ims help my condition": therapies collapse to their
canonical id, body parts and conditions to their kind, words to their lemmas. Two patients asking the
same thing in different words then share most features.
"""

from __future__ import annotations

from spacy.tokens import Doc

SEPARATOR = " || "


def in_clinic_terms(doc: Doc) -> str:
    words = []
    starts = {ent.start: ent for ent in doc.ents}
    i = 0
    while i < len(doc):
        if i in starts:
            ent = starts[i]
            words.append(f"therapy_{ent.ent_id_}" if ent.label_ == "THERAPY" else ent.label_.lower())
            i = ent.end
            continue
        token = doc[i]
        if not token.is_punct or token.text == "?":
            words.append(token.lemma_ or token.lower_)
        i += 1
    return " ".join(words)


def classifier_text(doc: Doc) -> str:
    return doc.text.lower() + SEPARATOR + in_clinic_terms(doc)
