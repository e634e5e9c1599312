"""spaCy component that finds red-flag phrases (chest pain, stroke signs, suicidal thoughts...).

Patterns are data (`patterns/red_flags.jsonl`, `patterns/urgent_signs.jsonl`); this module only matches
them and sets aside the ones a patient negated ("no chest pain", "I don't have trouble breathing") or
did not describe as happening now (`patterns/red_flag_context.jsonl`): a question about risk ("can it
cause a collapsed lung?"), a past event ("a stroke two years ago"), a condition named as the reason
for treatment ("rehab after a stroke") or a what-if ("what if I faint?"). A cue that it is happening
now ("right now", "since my session", "I'm having") in the same clause keeps it an emergency.
"""

from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple

import srsly
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span, Token
from spacy.vocab import Vocab

# No `from __future__ import annotations` here: spaCy reads the factory's annotations at runtime.
PATTERNS_FILE = Path(__file__).parent / "patterns" / "red_flags.jsonl"
URGENT_FILE = Path(__file__).parent / "patterns" / "urgent_signs.jsonl"
CONTEXT_FILE = Path(__file__).parent / "patterns" / "red_flag_context.jsonl"
SYMPTOM_WORDS_FILE = Path(__file__).parent / "patterns" / "symptom_words.txt"
MILD_WORDS_FILE = Path(__file__).parent / "patterns" / "mild_symptom_words.txt"

# A negation word at most this many tokens before a red flag, in the same clause, cancels it.
NEGATION_WINDOW = 4
NEGATIONS = {
    "no",
    "not",
    "never",
    "without",
    "none",
    "nothing",
    "nor",
    "denies",
    "deny",
    "zero",
    "nt",
    "nobody",
    "noone",
}
# "no shortness of breath or chest discomfort": a list joined by "or" stays under the negation, so each
# "or" between the negation word and the flag lengthens the window by this much.
# Words a negation reaches through without counting them: "I don't have any thoughts of ending my life".
SEE_THROUGH = {"any", "thoughts", "thought", "of", "plans", "intention", "intentions", "urge", "urges"}
OR_WORDS = {"or", "nor"}
OR_EXTRA = 4
LIST_REACH = 3  # ...and so does each comma of a list whose "or" comes at most this many tokens after the flag
# A symptom word followed by one of these is denied ("breathing fine, just tight shoulders"). Only for the
# words that let the classifier's guess stand, never for a red flag ("chest pain is better now" still counts).
FINE_AFTER = {
    "fine",
    "ok",
    "okay",
    "normal",
    "normally",
    "good",
    "better",
    "alright",
    "stopped",  # not "gone": "the blood has gone through three dressings"
    "settled",
    "eased",
}
# A red flag whose last word is said to be fine right after it is denied ("calf swollen and tender, she
# breathes fine"): only these words, so "chest pain is better now" still counts.
FLAG_FINE_AFTER = {"fine", "ok", "okay", "normal", "normally", "alright"}
DASHES = {"-", "–", "—"}
# A form's answer after a flag, alone at the end of its line: "Face drooping - no", "Speech: normal".
FIELD_SEPARATORS = {"-", ":", "–", "—", "=", "?"}
FIELD_NO = {"no", "none", "nope", "negative", "nil", "n", "nah", "never"} | FLAG_FINE_AFTER
# A first linking verb after a symptom is skipped when reading what is said of it ("breathing *is* fine").
LINKING_VERBS = {"is", "s", "'s", "feels", "seems", "are"}
PAST_LINKING_VERBS = {"was", "has", "had"}
# A flag's last word followed by one of these names a diagnosis, not a sign: "chemo for bowel cancer".
NAMES_A_DIAGNOSIS = {
    "cancer",
    "cancers",
    "tumour",
    "tumor",
    "tumours",
    "tumors",
    "carcinoma",
    "surgery",
    "resection",
}
# ...or denied right after it: "chest isn't tight", "heart isn't racing".
NOT_SIGNS = {
    "racing",
    "tight",
    "swollen",
    "red",
    "hot",
    "numb",
    "bleeding",
    "sore",
    "painful",
    "hurting",
    "spreading",
    "pounding",
    "sharp",
    "bad",
    "worse",
}
# ...a serious one only by its size ("a small bleed at one needle spot"), never by "a little" ("a little
# short of breath" is short of breath)...
SMALL_SIZES = {"tiny", "small", "slight", "minor"}
# ...or said to be a little: "bled a tiny bit", "bleeding slightly".
A_LITTLE = {"slightly", "little", "bit", "tiny", "wee"}
# ...and an ordinary symptom word played down just before it ("just a tiny bruise", "a bit sore").
PLAYED_DOWN = {"tiny", "slight", "slightly", "mild", "mildly", "little", "bit", "small", "minor"}
# ...and any symptom word that is a small amount of something ("a spot of blood", "a bit of bleeding").
SMALL_AMOUNTS = {
    "spot",
    "spots",
    "drop",
    "drops",
    "dot",
    "dots",
    "speck",
    "specks",
    "trace",
    "bit",
    "touch",
    "smear",
}
# "can't" is "ca" + "n't": not a denial but an inability ("can't move my arm", "can't stop coughing up blood").
INABILITY = {"ca", "can", "could", "cant"}
# A negation of one of these denies that a remedy works, not the sign after it ("the spray isn't touching
# this chest pressure", "the pills aren't helping the pain in my chest").
NOT_RELIEVING = {
    "touching", "touch", "helping", "help", "helped", "easing", "ease", "eased", "relieving", "relieve",
    "relieved", "shifting", "shift", "budging", "budge", "fixing", "fix", "settling", "settle", "stopping",
    "stop", "stopped", "working", "doing", "slowing", "slow",
}  # fmt: skip
# "when" too: "nothing helps when you want to die" denies the help, not the wish.
# "did nothing", "does nothing": what was tried failed ("sitting doing nothing and my chest hurts" too).
DID = {"did", "does", "do", "done", "doing", "helped"}
CLAUSE_BREAKS = {"but", "though", "although", "however", "yet", "now", "except", "and", "when", "whenever"}
# A cue right after one of these words is no cue: "as if" and "even if" describe or insist, they do not
# suppose ("wiping feels as if the skin is not mine"); "at once" is all together, not one time in the past.
# "Never again" is no "again"; "for months now" is how long it has gone on, not that it started now.
NOT_A_CUE_AFTER = {
    # "can't say my name right" supposes nothing; "can't tell whether she's drunk or took something, she
    # won't respond" is unsure what it is, not supposing it (the words after "whether" are happening); "meant
    # to say I'm breathless" tells, it does not suppose; "he say he see double" (English as a second
    # language) reports what someone says, it does not suppose
    "hypothetical": {"as", "even", "nt", "n't", "not", "cant", "tell", "sure", "unsure", "certain", "to"}
    | {"he", "she", "they", "we"},
    "history": {
        "at",
        "must",
        "might",
        "may",
        "could",
        "should",
        "would",
        "lower",  # "a needle still in his lower back when he was changing" is where, not when
        "upper",
        "low",
        "mid",
    },  # "must have had nuts in it" guesses
    # "his first one ever" asks nothing; "can't keep myself safe" does not ask whether something is safe
    "risk": {"first", "myself", "me", "himself", "herself", "themselves"},
    "reason": {"no", "without", "zero"},  # "used the inhaler 6 times, no relief" is no reason for treatment
    "now": {
        "never",
        "weeks",
        "months",
        "years",
        "ages",
        "decades",
        "well",
        "fine",
        "better",
        "ok",
        "okay",
        "good",
    },
}  # "doing well now", "she's fine now": recovered, the flag is not what is now
# ...and after these two words: "tingling all the time for a year now" (but "last year now I can't walk").
# "Never happened before" is new, not history: it dates nothing.
NOT_A_CUE_AFTER_TWO = {
    "now": {("a", "year"), ("a", "month"), ("a", "week"), ("one", "year"), ("a", "decade")},
    "history": {
        ("never", "happened"),
        ("n't", "happened"),
        ("nt", "happened"),
        ("never", "felt"),
        ("never", "had"),
    },
}
# Words that turn a sentence: a figure of speech before one does not speak for what follows it.
CONTRASTS = {"but", "though", "although", "however", "yet"}
JOKE_ENDS = {"no", "jk", "ok", "okay", "but"}  # "... no seriously": the joke is over
# A `figure` is a figure of speech that speaks only for the flag it overlaps ("the website had a seizure",
# "choking on emails"); an `idiom` ("lol", "took my breath away") for its whole sentence.
FIGURES = {"idiom", "figure"}
# A date's story goes on past "and" and commas ("last year and was in hospital for suicidal thoughts"),
# when the flag's clause is told in the past.
STORY_JOINS = {"and", ","}
# A sentence opening with one of these and a time that is now tells when what came before began.
ONSET_WORDS = {"started", "began", "starting", "happened", "came", "been"}
# ...after these words, which may come first: "It just started", "that's been going on since lunch".
BEFORE_THE_ONSET = {"it", "this", "that", "all", "which", "they", "s", "'s", "has", "have", "just"}
HAVE = {"have", "has", "'ve", "’ve", "ve"}
# "for days", "for 3 hours": a span of time that, after "have had", reaches now (weeks or years do not).
GOING_ON_FOR = {"minutes", "mins", "min", "hours", "hrs", "hr", "days", "nights", "hour", "day", "night"}
TODAY = {"today", "tonight", "now", "just", "suddenly", "this", "currently", "rn", "tonite", "2day", "2nite"}
PAST_VERBS = {
    "was",
    "were",
    "had",
    "did",
    "got",
    "went",
    "used",
    "needed",
    "took",
    "gave",
    "made",
    "felt",
    "fell",
    "lost",
    "bled",
    "broke",
    "woke",
    "began",
    "kept",
    "threw",
    "spent",
    "drove",
    "flew",
    "came",
    "saw",
    "ran",
    "sat",
    "stood",
    "caught",
    "brought",
    "found",
    "ate",
    "drank",
    "sent",
    "blew",
    "grew",
}
# "Do I need to go in if I'm gasping?", "should I call 911 if my wife went blind for a minute?": asking
# whether to act on it is asking about what is happening. A what-if says what might come: "if I get...".
CARE_QUESTION = {"need", "should", "have", "must", "ok", "okay"}
CARE_ACTIONS = {"go", "come", "call", "head", "see", "worry", "worried", "rush", "drive", "take"}
IF_TO_COME = {
    "get", "gets", "ever", "start", "starts", "develop", "develops", "notice", "notices", "experience",
    "happen", "happens", "should", "will", "would", "were", "become", "becomes", "have", "has", "had",
    "feel", "feels", "begin", "begins", "keep", "keeps", "end", "ends", "it", "that", "this", "there",
    "anything", "something", "any", "symptoms", "you", "u",
}  # fmt: skip
LIST_MARKS = {"-", "*", "•", "–", "—", "+", ">"}
# What may follow a `confirmed` cue ("because it is", "that's me", "asking for me"): a time or emphasis.
CONFIRMATION_TAIL = {
    "and", "right", "rn", "now", "true", "happening", "just", "so", "too", "lol", "actually", "really",
    "all", "since", "the", "today", "tonight", "at", "for", "yeah", "exactly", "as", "atm", "currently", "with",
}  # fmt: skip
# Someone told the patient what to do if something happened: a what-if that may since have come true.
INSTRUCTED = {"said", "says", "told", "tells", "advised", "instructed", "warned", "instructions"}
# Cues that say a flag is happening, not when it happened: the emergency-now reader reads past them.
TELLS_NOW = ("now", "still", "confirmed")
# Cues that suppose or ask: a now-word inside one of them is part of the supposition.
SUPPOSING = {"hypothetical", "risk"}

FOUND = "red_flags"
MEDICAL = "medical"  # the kind of an emergency red flag that is not a mental-health crisis
NEGATED = "red_flags_negated"
NOT_NOW = "red_flags_not_now"  # each span's label is why: history, risk, reason or hypothetical
# Every context cue found (label: its kind, e.g. history, risk, now), for readers after this one.
CUES = "red_flag_cues"
# Symptom or crisis words happening now (label `serious` or `mild`): what lets the classifier's guess stand.
SYMPTOMS = "symptom_words"
# ...and those the message denies ("not bleeding, not cramping"): a message that says what is not happening.
DENIED = "symptom_words_denied"
# ...and those a context sets aside (history, risk, a what-if...): the same-day reader reads them too.
SET_ASIDE = "symptom_words_set_aside"

# Where a context cue must be, relative to the red flag it speaks of. A sentence ends at . ? ! ; or a line
# break; a clause also at a comma and at words that start a new statement ("and now I can't breathe").
SENTENCE_ENDS = {".", "?", "!", ";", "...", "…", "\n", "\n\n"}
CLAUSE_ENDS = SENTENCE_ENDS | {
    ",",
    ":",
    "but",
    "and",
    "so",
    "because",
    "bc",
    "cuz",
    "coz",
    "though",
    "although",
    "however",
    "yet",
    "then",
    "while",
    "which",
    "plus",
}
# A correction ("autocorrect, I meant had", "past tense") this many tokens after a flag at most dates it.
CORRECTION_REACH = 8
# Words a pattern needs beside it that are a sign when negated too: "not breathe well" is no denial.
NOT_DOING_IS_A_SIGN = {("breathe",)}
# The flags whose signs a past one leaves behind (a weak side, slurred words), by the words that name it.
LEFT_BEHIND = {"stroke": {"stroke", "strokes", "cva", "tia", "bleed"}}
PAST_OR_TREATED = ("history", "reason")
# "had a stroke 2 years ago and still slurs his words": a sign still there after something dated this long ago
# is what it left behind, not a new one ("had IMS yesterday and still can't breathe" is new).
LONG_AGO = {"year", "years", "yr", "yrs", "month", "months", "decade", "decades"}
NEAR = 3  # a reason cue ("rehab after", "help with") stands at most this many tokens from the flag
# ...and "after a", "post" must be the flag's own words: "after a stroke", "after my heart attack", not
# "after the fall my legs are paralysed" (the fall is how it happened, not a reason for treatment).
NEAR_BEFORE = 1
# Mental-health flags are set aside only for a past event or a question about risk: "acupuncture for my
# suicidal thoughts" or "if I have suicidal thoughts" still gets the crisis line.
# A `recurring` cue ("my legs get numb sometimes") counts as history, but only for medical flags:
# "sometimes I want to end it" still gets the crisis line.
CONTEXTS_FOR: Dict[str, Tuple[str, ...]] = {"mental_health": ("history", "risk")}
# A pattern may narrow this itself with `set_aside_when` (its own list of contexts): a past cancer is what
# makes new back pain a same-day sign ("had bowel cancer two years ago, now a band of pain round my ribs"),
# so `cancer_back_pain` is not set aside by a date.
ALL_CONTEXTS = ("history", "recurring", "risk", "reason", "reason_before", "hypothetical", "idiom")

# Speed: one spaCy Matcher tries every pattern at every token (and each distinct IN list is a Python call
# per token), so with hundreds of patterns a message cost ~0.25 ms, a long one ~2.5 ms. Patterns are
# indexed by the word their first token must be (IndexedMatcher; the context cues too); each place a
# message has such a word runs only those patterns, over only as many tokens as the longest can span.
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


def is_negated(doc: Doc, start: int, end: Optional[int] = None) -> bool:
    """True when a negation word governs the phrase starting at token `start` (and ending before `end`).

    We have no parser, so we look back a few tokens and stop at a clause boundary: punctuation or
    a word such as "but" ("no fever but chest pain" is still chest pain). A comma does not stop it inside
    a list that an "or" closes right after the phrase ("never had vision changes, slurred speech or
    numbness").
    """
    in_a_list = (
        end is not None
        and any(token.lower_ in OR_WORDS for token in doc[end : end + LIST_REACH] if not token.is_punct)
        and not any(token.lower_ in SENTENCE_ENDS for token in doc[end : end + LIST_REACH])
    )
    window, i = NEGATION_WINDOW, start - 1
    while i >= 0 and start - i <= window:
        token = doc[i]
        i -= 1
        if token.lower_ in SEE_THROUGH:
            window += 1  # "not having any thoughts of harming myself": the negation is of the thoughts
            continue
        if token.lower_ in OR_WORDS or (in_a_list and token.text == ","):
            window += OR_EXTRA
            if token.text == ",":
                continue
        if token.is_punct or token.lower_ in CLAUSE_BREAKS:
            return False
        if token.norm_ in NEGATIONS or token.lower_ in NEGATIONS:
            if token.i > 0 and doc[token.i - 1].lower_ in INABILITY:
                continue  # "can't move the left side of my body" says what is wrong, it denies nothing
            if token.lower_ == "without" and any(
                t.lower_ in INABILITY for t in doc[max(0, token.i - 3) : token.i]
            ):
                continue  # "I can't stand without falling to the left": the falling is what happens
            if any(t.lower_ in NOT_RELIEVING for t in doc[token.i + 1 : start]):
                return False  # "my nitro spray isn't touching this chest pressure": the remedy fails
            if token.lower_ == "nothing" and token.i > 0 and doc[token.i - 1].lower_ in DID:
                return False  # "tums did nothing arm aches now": the remedy failed, nothing is denied
            return True
    return False


def said_fine(doc: Doc, word: Span) -> bool:
    """True when a symptom word is said to be fine ("breathing fine", "breathing is ok") or played down:
    an ordinary one by any small word ("just a little ache"), any by a small size ("a small bleed")."""
    small = PLAYED_DOWN if word.label_ == "mild" else SMALL_SIZES
    if any(token.lower_ in small for token in doc[max(0, word.start - 2) : word.start]):
        return True
    if word.start >= 2 and doc[word.start - 1].lower_ == "of" and doc[word.start - 2].lower_ in SMALL_AMOUNTS:
        return True  # "a tiny spot of blood on the cotton ball", "a bit of bleeding"
    following = [token.lower_ for token in doc[word.end : word.end + 3]]
    if following[:2] and following[0] in {"a", "one"} and following[1] in A_LITTLE | SMALL_AMOUNTS:
        return True  # "bled a tiny bit", "bled one drop"
    if following[:1] == ["slightly"]:
        return True
    following = without_linking_verb(following, LINKING_VERBS | PAST_LINKING_VERBS)
    if following[:2] and following[0] in {"nt", "n't", "not"} and following[1] in NOT_SIGNS:
        return True
    return (bool(following) and following[0] in FINE_AFTER) or answered_no(doc, word.end)


def said_fine_after(doc: Doc, end: int) -> bool:
    """True when the words right after a red flag say its last word is fine ("...she breathes fine")."""
    if any(token.lower_ in NEGATIONS or token.norm_ == "not" for token in doc[max(0, end - 3) : end]):
        return False  # "not breathing normal", "isn't breathing normally": the flag denies the fine
    following = without_linking_verb([token.lower_ for token in doc[end : end + 2]], LINKING_VERBS)
    return (bool(following) and following[0] in FLAG_FINE_AFTER) or answered_no(doc, end)


def answered_no(doc: Doc, end: int) -> bool:
    """Whether a form-like answer denies the flag: "Face drooping - no" ("Chest pain - no relief" is no
    answer: the "no" must end its line)."""
    if end + 1 >= len(doc) or doc[end].text not in FIELD_SEPARATORS:
        return False
    answer = end + 1
    last = answer + 1 >= len(doc) or doc[answer + 1].is_punct or doc[answer + 1].is_space
    return doc[answer].lower_ in FIELD_NO and last


def without_linking_verb(words: List[str], linking: Set[str]) -> List[str]:
    """The words after a symptom, a first linking verb dropped: "breathing *is* fine" reads "breathing fine"."""
    return words[1:] if words[:1] and words[0] in linking else words


def every_symptom_word(doc: Doc) -> List[Span]:
    """The message's symptom words in every context: happening now, denied or set aside, in order."""
    return sorted([*doc.spans[SYMPTOMS], *doc.spans[DENIED], *doc.spans[SET_ASIDE]])


def read_words(text: str) -> Set[str]:
    """One word per line; blank lines and # comments skipped."""
    return {line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")}


def extent(doc: Doc, start: int, end: int, breaks: set, at_dashes: bool = False) -> Tuple[int, int]:
    """The tokens around [start, end) up to the nearest break on either side (with `at_dashes`, also a
    dash with spaces round it: "first aid site says if they cant speak its serious - my dad is choking")."""
    left = start
    while left > 0 and not breaks_at(doc, left - 1, breaks, at_dashes):
        left -= 1
    right = end
    while right < len(doc) and not breaks_at(doc, right, breaks, at_dashes):
        right += 1
    return left, right


def breaks_at(doc: Doc, i: int, breaks: set, at_dashes: bool = False) -> bool:
    """A break word, a space, but not "because of" (a reason inside the clause, not a new one); with
    `at_dashes`, a dash with spaces round it (not "left-sided")."""
    token = doc[i]
    if token.lower_ == "because" and i + 1 < len(doc) and doc[i + 1].lower_ == "of":
        return False
    if at_dashes and token.text in DASHES and i > 0 and doc[i - 1].whitespace_ and token.whitespace_:
        return True
    return token.lower_ in breaks or token.is_space


def goes_on_in_the_past(doc: Doc, cue_end: int, span: Span, clause: Tuple[int, int]) -> bool:
    """Whether the story a date began goes on, in the past tense, to the flag: the clauses between are
    joined only by "and" or a comma, and the flag's clause has a verb in the past ("was", "knocked")."""
    joins = [token.lower_ for token in doc[cue_end : span.start] if token.lower_ in CLAUSE_ENDS]
    if not joins or any(join not in STORY_JOINS for join in joins):
        return False
    if reaches_today(doc[cue_end : max(span.end, clause[1])]):
        return False  # "back pain for weeks and today both her legs gave out": the story has come to today
    return told_in_the_past(doc, clause)


def went_on_and(doc: Doc, span: Span, cue_start: int, clause: Tuple[int, int]) -> bool:
    """Whether the flag, told in the past, and a date after it are one story joined by "and" alone, the
    same person going on ("blacked out and collapsed at church two years back"), not a new clause or
    subject ("I can't breathe and had covid two years ago" is now)."""
    between = doc[span.end : cue_start]
    joins = [token for token in between if token.lower_ in CLAUSE_ENDS or token.is_space]
    if len(joins) != 1 or joins[0].lower_ != "and" or joins[0].i + 1 >= len(doc):
        return False
    if reaches_today(between):
        return False
    return is_past(doc[joins[0].i + 1]) and told_in_the_past(doc, clause)


def dated_after_a_comma(doc: Doc, span: Span, cue_start: int, clause: Tuple[int, int]) -> bool:
    """Whether the flag, told in the past, is dated right after it, only a comma between: "Before I had
    overdose, 4 years ago, now I am clean" (not "I can't breathe, 2 years ago I had covid")."""
    between = doc[span.end : cue_start]
    return len(between) > 0 and all(token.text == "," for token in between) and told_in_the_past(doc, clause)


def opens_now(sentence: Tuple[int, int], cues: List[Tuple[str, int, int]]) -> bool:
    """Whether a now-word opens the sentence ("Now my legs give way when I walk")."""
    return any(kind == "now" and start == sentence[0] for kind, start, _ in cues)


def still_going(doc: Doc, cue_start: int, clause: Tuple[int, int]) -> bool:
    """Whether "have had" goes on "for days" or "for 3 hours" in its clause: it has lasted until now ("I've
    had an infection for days and feel like I'm dying"), unlike "I've had a stroke" or "for years"."""
    if doc[cue_start].lower_ not in HAVE:
        return False
    words = [token.lower_ for token in doc[cue_start : clause[1]]]
    return any(
        word == "for" and any(later in GOING_ON_FOR for later in words[at + 1 : at + 4])
        for at, word in enumerate(words)
    )


def reaches_today(tokens: Span) -> bool:
    return any(token.lower_ in TODAY for token in tokens)


def told_in_the_past(doc: Doc, clause: Tuple[int, int]) -> bool:
    """Whether the clause has a verb in the past: "was", "knocked", "collapsed"."""
    return any(is_past(token) for token in doc[clause[0] : clause[1]])


def is_past(token: Token) -> bool:
    return token.lower_ in PAST_VERBS or (
        token.lower_.endswith("ed") and token.lemma_.lower() != token.lower_
    )


def dates_long_ago(doc: Doc, start: int, end: int) -> bool:
    """Whether a history cue dates something months or years back ("2 years ago", "last year")."""
    return any(token.lower_ in LONG_AGO for token in doc[start:end])


def left_behind_by(
    doc: Doc, found: List[Span], not_now: List[Span], cues: List[Tuple[str, int, int]]
) -> Tuple[List[Span], List[Span]]:
    """A stroke sign told after a stroke the same sentence names as history or as the reason for treatment,
    with nothing between saying it is new, is what that stroke left behind: "looking for rehab after a
    stroke, my left side is weak" (not "had a stroke last year but this morning his face drooped")."""
    kept = []
    for span in found:
        if span.id_ not in LEFT_BEHIND:
            kept.append(span)
            continue
        sentence = extent(doc, span.start, span.end, SENTENCE_ENDS)
        named = [token.i for token in doc[sentence[0] : span.start] if token.lower_ in LEFT_BEHIND[span.id_]]
        told = [(i, why) for i in named if (why := context(doc, doc[i : i + 1], cues)) in PAST_OR_TREATED]
        since, why = told[0] if told else (span.start, None)
        after = extent(doc, span.start, span.end, CLAUSE_ENDS)[1]  # "... my left side is weak again"
        new = turns_between(doc, since, span.start) or any(
            kind in ("now", "still") and since < start < after for kind, start, _ in cues
        )
        if why and not new:
            not_now.append(Span(doc, span.start, span.end, label=why, kb_id=span.label_, span_id=span.id_))
        else:
            kept.append(span)
    return kept, not_now


def dated_next(doc: Doc, sentence: Tuple[int, int], cues: List[Tuple[str, int, int]]) -> bool:
    """Whether the next sentence says the what-if or the reason for treatment began now: "is it ok to come if
    my chest goes sharp when I breathe in? Started this afternoon.", "can acupuncture help with chest
    pressure? it started 20 min ago". The question was about something already happening."""
    following = [token for token in doc[sentence[1] :] if not (token.is_punct or token.is_space)][:3]
    words = [token.lower_ for token in following]
    while words and words[0] in BEFORE_THE_ONSET:
        words = words[1:]
    if not words or words[0] not in ONSET_WORDS:
        return False
    end = extent(doc, following[0].i, following[0].i + 1, SENTENCE_ENDS)[1]
    within = {kind for kind, start, _ in cues if following[0].i <= start < end}
    return "now" in within and not within & {"history", "recurring"}  # not "Started after covid last year."


def came_true(doc: Doc, sentence: Tuple[int, int], start: int, cues: List[Tuple[str, int, int]]) -> bool:
    """Whether a what-if someone was told to act on ("the 811 nurse said to go to emerg if I got a fever")
    is said to be happening later in the message ("now it's 39.2", "and I have,")."""
    told = any(token.lower_ in INSTRUCTED for token in doc[sentence[0] : start])
    return told and any(kind in ("now", "still") and begins > start for kind, begins, _ in cues)


def listed_under(doc: Doc, span: Span, cue_end: int) -> bool:
    """Whether the flag is in a list under the heading the cue is in, a line ending with a colon or a
    question mark ("Mum's history:", "What should I watch for after IMS?"): every line from there to the
    flag's starts with a list mark, and no blank line comes between."""
    line_end = next((token.i for token in doc[cue_end : span.start] if "\n" in token.text), None)
    if line_end is None or doc[line_end - 1].text not in (":", "?"):
        return False
    breaks = [token for token in doc[line_end : span.start] if "\n" in token.text]
    return all("\n\n" not in token.text and lists(doc[token.i + 1]) for token in breaks)


def lists(token: Token) -> bool:
    """Whether a line starting with this token is a list's item: "- ", "* ", "1."."""
    return token.text in LIST_MARKS or token.like_num


def asks_whether_to_act(doc: Doc, sentence: Tuple[int, int], start: int) -> bool:
    """Whether the question at `start` asks whether to act on what the patient tells after its "if" ("do I
    need to go in if I'm gasping", "should we go to emerg if he wet himself"), not on what might come
    ("should I come in if I get a fever")."""
    at = next((token.i for token in doc[start : sentence[1]] if token.lower_ == "if"), None)
    if at is None:
        return False
    asked = {token.lower_ for token in doc[sentence[0] : at]}
    if not (asked & CARE_QUESTION and asked & CARE_ACTIONS):
        return False
    told = [token.lower_ for token in doc[at + 1 : min(at + 4, sentence[1])]]
    return len(told) >= 2 and not set(told) & IF_TO_COME


def turned(doc: Doc, span: Span, start: int, end: int) -> bool:
    """Whether a contrast word ("but", "though", "lol no seriously") stands between a cue and the flag."""
    return turns_between(doc, end, span.start) if end <= span.start else turns_between(doc, span.end, start)


def turns_between(doc: Doc, start: int, end: int) -> bool:
    """Whether a turn ("but", "no seriously") stands among the tokens [start, end)."""
    return any(is_a_turn(token) for token in doc[start:end])


def is_a_turn(token: Token) -> bool:
    """ "but", "though"; "seriously" after "no", "jk" or "ok" ("lol no seriously, ...", not "seriously lol")."""
    if token.lower_ in CONTRASTS:
        return True
    return token.lower_ in ("seriously", "srsly") and token.i > 0 and token.nbor(-1).lower_ in JOKE_ENDS


def undone(doc: Doc, kind: str, start: int) -> bool:
    """Whether the word or two words before a cue undo it ("as if", "for a year now")."""
    if start > 0 and doc[start - 1].lower_ in NOT_A_CUE_AFTER.get(kind, ()):
        return True
    return start > 1 and (doc[start - 2].lower_, doc[start - 1].lower_) in NOT_A_CUE_AFTER_TWO.get(kind, ())


def live_cues(doc: Doc, matches: List[Tuple[int, int, int]]) -> List[Tuple[str, int, int]]:
    """The context cues that count: not one right after a word that undoes it ("as if", "at once"), not a
    what-if or a risk the message later says is real ("what would it mean if my face is drooping, because
    it is": for the patterns and for the reader after them), and not a now-word inside a supposition ("if I
    started bleeding" is not "started" now)."""
    named = [(doc.vocab.strings[kind], start, end) for kind, start, end in matches]
    cues = [(kind, start, end) for kind, start, end in named if not undone(doc, kind, start)]
    cues = [(kind, start, end) for kind, start, end in cues if kind != "confirmed" or closes(doc, end)]
    cues = [
        (kind, start, end)
        for kind, start, end in cues
        if kind not in SUPPOSING or not confirmed_later(cues, start)
    ]
    supposing = [(start, end) for kind, start, end in cues if kind in SUPPOSING]
    return [
        (kind, start, end)
        for kind, start, end in cues
        if kind not in ("now", "still") or not any(s <= start and end <= e for s, e in supposing)
    ]


def closes(doc: Doc, end: int) -> bool:
    """Whether a confirmation ends where it should: at the end, a stop, or a word of time or emphasis
    ("because it is.", "that's me right now"), not before more words ("because it is deep")."""
    return ends_a_sentence(doc, end) or doc[end].lower_ in CONFIRMATION_TAIL


def ends_a_sentence(doc: Doc, end: int) -> bool:
    """Whether the words before `end` end the message or a sentence or clause (a stop, a comma, a line)."""
    return end >= len(doc) or doc[end].is_punct or doc[end].is_space


def confirmed_later(cues: List[Tuple[str, int, int]], start: int) -> bool:
    """Whether the message says the what-if or the risk it asked about is real: "what would it mean if my
    face is drooping on one side, because it is", "you know when...? that's me right now"."""
    return any(kind == "confirmed" and begins > start for kind, begins, _ in cues)


def turns_to_symptoms(doc: Doc, spans: Iterable[Span]) -> bool:
    """Whether, after every flag or symptom word it denied or set aside, the message turns ("but") to a
    serious symptom word happening now: "I don't think it's a heart attack but my chest has felt like a heavy
    weight for 20 min", "not an emergency maybe, but my dad took a week's worth of his heart pills"."""
    ends = [span.end for span in spans]
    if not ends:
        return False
    turn = next((token.i for token in doc[max(ends) :] if is_a_turn(token)), None)
    return turn is not None and any(
        word.start > turn and word.label_ == "serious" for word in doc.spans[SYMPTOMS]
    )


def held_back(doc: Doc, *denied: Iterable[Span]) -> bool:
    """Whether the message denies or sets aside a red flag or symptom word (`denied`: span groups) and does
    not turn from it ("but") to a serious symptom word happening now: "the cut isn't bleeding anymore, can
    I still come?" is held back, "I don't think it's a heart attack but my left arm aches" is not."""
    spans = [span for group in denied for span in group]
    return bool(spans) and not turns_to_symptoms(doc, spans)


def context(
    doc: Doc, span: Span, cues: List[Tuple[str, int, int]], allowed: Optional[Tuple[str, ...]] = None
) -> Optional[str]:
    """Why the red flag is not happening now (history, risk, reason, hypothetical, idiom), or None if it is.

    Only the contexts in `allowed` count; by default those of the flag's kind (`CONTEXTS_FOR`)."""
    # a spaced dash ends a what-if's sentence, not a clause: "SOB after needling - how would i know if
    # its serious?" still asks about the breathlessness
    sentence = extent(doc, span.start, span.end, SENTENCE_ENDS, at_dashes=True)
    clause = extent(doc, span.start, span.end, CLAUSE_ENDS)

    def inside(region: Tuple[int, int], start: int, end: int) -> bool:
        return region[0] <= start < region[1]  # where the cue starts: "once," ends past its clause

    allowed = allowed or CONTEXTS_FOR.get(span.label_, ALL_CONTEXTS)
    if any(kind in FIGURES and start < span.end and span.start < end for kind, start, end in cues):
        # the flag's own words are a figure of speech, whenever and whatever the flag: "overdosed on lattes
        # this week", "going to overdose on protein shakes", "the website had a seizure"
        return "idiom"
    if "history" in allowed and any(
        kind == "history" and span.start < start and end <= span.end for kind, start, end in cues
    ):  # the flag's own words are dated: "a sting as a kid and I carry an EpiPen now"
        return "history"
    if "history" in allowed and any(
        kind == "correction" and span.end <= start <= span.end + CORRECTION_REACH for kind, start, end in cues
    ):  # "my dad is having a heart attack... autocorrect, I meant had, it was 2 years ago"
        return "history"
    asked = any(
        kind in SUPPOSING and start < span.start and inside(sentence, start, end) for kind, start, end in cues
    )
    if any(
        kind == "now"
        and inside(clause, start, end)
        and not (
            asked and span.start <= start and end <= span.end and not turns_between(doc, span.start, start)
        )
        for kind, start, end in cues
    ):  # a now-word in the words asked about is part of the question: "can it make a concussion worse?", unless
        # the question turns first: "tramadol can make it hard to pee but now I'm numb around my backside"
        return None
    still = any(kind == "still" and inside(clause, start, end) for kind, start, end in cues)
    if (
        still
        and "history" in allowed
        and any(
            kind == "history"
            and end <= span.start
            and inside(sentence, start, end)
            and dates_long_ago(doc, start, end)
            for kind, start, end in cues
        )
    ):
        return "history"  # "had a stroke 2 years ago and still mixes up his words"
    if still and not any(
        kind in ("history", "recurring", "reason") and inside(clause, start, end) for kind, start, end in cues
    ):
        return None  # "still" is now unless the clause dates it ("still weak on one side from last year's
        # stroke") or asks for treatment ("can you help with the headaches he still gets?")
    for kind, start, end in cues:
        if kind not in allowed:
            continue
        before, after = start < span.start, start >= span.end  # a cue may end inside the flag: "can I bleed"
        if kind == "recurring" and opens_now(sentence, cues):
            continue  # "Now pain in middle of back and my legs are giving way when I walk": new, not how it goes
        if kind == "history" and still_going(doc, start, clause):
            continue  # "ive had an infection for days": it has gone on until now
        if kind in ("history", "recurring") and inside(clause, start, end):  # before, after or within it
            return "history"
        if kind in ("history", "risk") and before and listed_under(doc, span, end):
            return kind  # "Mum's history:\n- stroke 2021\n- left side weak", "what should I watch for?\n- chest pain?"
        if kind == "history" and before and start == sentence[0] and end < len(doc) and doc[end].text == ",":
            return (
                "history"  # a date that opens a sentence dates all of it: "Six years ago, ..., I overdosed"
            )
        if (
            kind == "history"
            and before
            and inside(sentence, start, end)
            and goes_on_in_the_past(doc, end, span, clause)
        ):
            return "history"  # "a dark time last year and attempted suicide", "a sting last summer and used my EpiPen"
        if (
            kind == "history"
            and after
            and inside(sentence, start, end)
            and (went_on_and(doc, span, start, clause) or dated_after_a_comma(doc, span, start, clause))
        ):
            return "history"  # "I blacked out and collapsed at church two years back"
        if kind == "risk" and (
            (before and inside(sentence, start, end)) or (after and inside(clause, start, end))
        ):
            return None if dated_next(doc, sentence, cues) else kind
        if kind == "hypothetical" and before and inside(sentence, start, end):
            if turned(doc, span, start, end) and doc[sentence[1] - 1].text != "?":
                continue  # "I was going to ask if you can see me today, but also both my legs feel numb."
            if came_true(doc, sentence, start, cues):
                continue  # "the neurologist said call 911 if it goes past 5 minutes. it's at 6, still going"
            if asks_whether_to_act(doc, sentence, start):
                continue  # "do I need to go in if I wet myself and didn't feel it?"
            return None if dated_next(doc, sentence, cues) else kind
        # the flag's own words are a worry: "on blood thinners and I was worried about bleeding"
        if kind == "risk" and span.start < start < span.end:
            return kind
        if kind == "idiom" and inside(sentence, start, end) and not turned(doc, span, start, end):
            # "lol" beside the flag, but not across a "but": "it's probably nothing lol but I wet myself"
            return kind
        if (
            kind == "reason"
            and inside(clause, start, end)
            and ((before and span.start - end <= NEAR) or (after and start - span.end <= NEAR))
        ):
            return None if dated_next(doc, sentence, cues) else kind
        if (
            kind == "reason_before"
            and before
            and inside(clause, start, end)
            and span.start - end <= NEAR_BEFORE
        ):
            return "reason"
    return None


class IndexedMatcher:
    """A spaCy Matcher that runs each pattern only where the message has the word it starts with."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.unindexed = Matcher(vocab)  # patterns whose first token can't be indexed
        # By first word, and kept apart by reach: a pattern with a `*` may run to the message's end, so it
        # gets its own matcher and the bounded ones keep their short window.
        self.by_first_word: Dict[Tuple[str, str, bool], Matcher] = {}
        self.longest: Dict[Tuple[str, str, bool], int] = {}  # how many tokens to look at from that word on

    def add(self, key: str, pattern: List[dict]) -> None:
        words = first_words(pattern[0])
        if words is None:
            self.unindexed.add(key, [pattern])
        length = longest_match(pattern)
        for attr, word in words or []:
            index = (attr, word, length == UNBOUNDED)
            if index not in self.by_first_word:
                self.by_first_word[index] = Matcher(self.vocab)
            self.by_first_word[index].add(key, [[{attr: word}] + pattern[1:]])
            self.longest[index] = max(self.longest.get(index, 0), length)

    def __call__(self, doc: Doc) -> List[Tuple[int, int, int]]:
        """The same (match_id, start, end) triples one Matcher holding every pattern would give."""
        found = set(self.unindexed(doc)) if len(self.unindexed) else set()
        for token in doc:
            for attr, name in FIRST_TOKEN_ATTRS.items():
                word = getattr(token, name)
                for unbounded in (False, True):
                    index = (attr, word, unbounded)
                    if index not in self.by_first_word:
                        continue
                    window = doc[token.i : token.i + self.longest[index]]
                    for match_id, start, end in self.by_first_word[index](window):
                        if start == 0:  # a match starting further on is found from its own first word
                            found.add((match_id, token.i, token.i + end))
        return sorted(found, key=lambda match: (match[1], match[2], match[0]))


class RedFlagDetector:
    """Puts red flags happening now in `doc.spans["red_flags"]`, negated ones in `"red_flags_negated"`,
    and those about risk, history, a reason for treatment or a what-if in `"red_flags_not_now"`.

    A span's label is the pattern's kind (`medical`, `mental_health` or `urgent`), or in
    `red_flags_not_now` the reason it was set aside; its `id_` is the flag's id.
    """

    def __init__(self, nlp: Language, name: str = "red_flags") -> None:
        self.name = name
        self.vocab = nlp.vocab
        self.matches = IndexedMatcher(nlp.vocab)  # red_flags.jsonl and urgent_signs.jsonl
        self.patterns: List[dict] = []
        self.keys: List[str] = []  # each pattern's match key: kind|id, and |n for its own options
        self.cues = IndexedMatcher(nlp.vocab)  # red_flag_context.jsonl: history, risk, reason, now...
        self.cue_patterns: List[dict] = []
        self.symptom_words: Dict[str, Set[str]] = {"serious": set(), "mild": set()}
        # A pattern's own options, by the number at the end of its key: `with_words`, phrases one of which the
        # message must also hold, anywhere in it, for signs a patient splits over sentences ("positive test
        # last week. ... pain in the tip of my shoulder"); `set_aside_when`, its own list of contexts;
        # `at_end`, whether the words must end a sentence ("i cant go on", not "i cant go on tuesday").
        self.with_words: List[List[Tuple[str, ...]]] = []
        self.set_aside_when: List[Optional[Tuple[str, ...]]] = []
        self.at_end: List[bool] = []

    def add_patterns(self, patterns: Iterable[dict]) -> None:
        for pattern in patterns:
            key = f"{pattern['kind']}|{pattern['id']}"
            if {"with_words", "set_aside_when", "at_end"} & set(pattern):
                key += f"|{len(self.with_words)}"
                phrases = pattern.get("with_words", [])
                self.with_words.append([tuple(phrase.lower().split()) for phrase in phrases])
                contexts = pattern.get("set_aside_when")
                self.set_aside_when.append(tuple(contexts) if contexts is not None else None)
                self.at_end.append(bool(pattern.get("at_end")))
            self.matches.add(key, pattern["pattern"])
            self.keys.append(key)
            self.patterns.append(pattern)

    def holds_with_words(self, doc: Doc, index: int) -> bool:
        """Whether the message holds one of the phrases the pattern needs beside it (if it names any), not
        negated ("neck's stiff, no fever" is no sign of meningitis)."""
        words = [token.lower_ for token in doc]
        phrases = self.with_words[index]
        return not phrases or any(
            tuple(words[i : i + len(phrase)]) == phrase
            and (phrase in NOT_DOING_IS_A_SIGN or not is_negated(doc, i, i + len(phrase)))
            for phrase in phrases
            for i in range(len(words) - len(phrase) + 1)
        )

    def add_cues(self, cues: Iterable[dict]) -> None:
        for cue in cues:
            self.cues.add(cue["kind"], cue["pattern"])
            self.cue_patterns.append(cue)

    def initialize(self, get_examples=None, nlp=None, patterns_file: Optional[str] = None) -> None:
        self.add_patterns(srsly.read_jsonl(patterns_file or PATTERNS_FILE))
        if patterns_file is None:
            self.add_patterns(srsly.read_jsonl(URGENT_FILE))
        self.add_cues(srsly.read_jsonl(CONTEXT_FILE))
        self.symptom_words = {
            "serious": read_words(SYMPTOM_WORDS_FILE.read_text(encoding="utf-8")),
            "mild": read_words(MILD_WORDS_FILE.read_text(encoding="utf-8")),
        }

    def __call__(self, doc: Doc) -> Doc:
        found: List[Span] = []
        negated: List[Span] = []
        not_now: List[Span] = []
        cues = live_cues(doc, self.cues(doc))
        for match_id, start, end in self.matches(doc):
            kind, flag, *options = doc.vocab.strings[match_id].split("|")
            index = int(options[0]) if options else None
            if index is not None and not self.holds_with_words(doc, index):
                continue
            if index is not None and self.at_end[index] and not ends_a_sentence(doc, end):
                continue
            if end < len(doc) and doc[end].lower_ in NAMES_A_DIAGNOSIS:
                continue
            span = Span(doc, start, end, label=kind, span_id=flag)
            if is_negated(doc, start, end) or said_fine_after(doc, end):
                negated.append(span)
                continue
            why = context(doc, span, cues, self.set_aside_when[index] if index is not None else None)
            if why:
                not_now.append(Span(doc, start, end, label=why, kb_id=kind, span_id=flag))
            else:
                found.append(span)
        found, not_now = left_behind_by(doc, found, not_now, cues)
        doc.spans[CUES] = [Span(doc, start, end, label=kind) for kind, start, end in cues]
        doc.spans[FOUND] = found
        doc.spans[NEGATED] = negated
        doc.spans[NOT_NOW] = not_now
        words = [
            Span(doc, token.i, token.i + 1, label=label)
            for token, label in ((token, self.symptom(token)) for token in doc)
            if label
        ]
        denied = {span.start for span in words if is_negated(doc, span.start) or said_fine(doc, span)}
        set_aside = {span.start for span in words if span.start not in denied and context(doc, span, cues)}
        doc.spans[DENIED] = [span for span in words if span.start in denied]
        doc.spans[SET_ASIDE] = [span for span in words if span.start in set_aside]
        doc.spans[SYMPTOMS] = [span for span in words if span.start not in denied | set_aside]
        return doc

    def symptom(self, token: Token) -> str:
        """`serious`, `mild` or "" for a word that is neither."""
        for label, words in self.symptom_words.items():
            if token.lower_ in words or token.lemma_.lower() in words:
                return label
        return ""

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / "patterns.jsonl", self.patterns)
        srsly.write_jsonl(path / "context.jsonl", self.cue_patterns)
        for label, words in self.symptom_words.items():
            (path / f"symptom_words_{label}.txt").write_text(
                "\n".join(sorted(words)) + "\n", encoding="utf-8"
            )

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> "RedFlagDetector":
        self.add_patterns(srsly.read_jsonl(Path(path) / "patterns.jsonl"))
        self.add_cues(srsly.read_jsonl(Path(path) / "context.jsonl"))
        self.symptom_words = {
            label: read_words((Path(path) / f"symptom_words_{label}.txt").read_text(encoding="utf-8"))
            for label in ("serious", "mild")
        }
        return self


@Language.factory("red_flags")
def make_red_flag_detector(nlp: Language, name: str) -> RedFlagDetector:
    return RedFlagDetector(nlp, name)
