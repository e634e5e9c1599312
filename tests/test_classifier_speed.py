"""The intent classifier's weights are stored for fast scoring without changing a single probability."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from bot.components import _with_fast_weights

QUESTIONS = ["does ims hurt", "how much is acupuncture", "what is qi", "is it safe", "book me in"]
TOPICS = ["needle_pain", "cost_insurance", "acu_qi_meridians", "needle_safety", "booking"]


def test_fast_weights_give_the_same_probabilities():
    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)), LogisticRegression())
    model.fit(QUESTIONS, TOPICS)
    asked = ["does acupuncture hurt", "what does it cost"]
    before = model.predict_proba(asked)

    fast = _with_fast_weights(model)

    assert fast.steps[-1][1].coef_.T.flags["C_CONTIGUOUS"]  # what makes scoring copy-free
    assert np.array_equal(fast.predict_proba(asked), before)


def test_a_model_trained_without_intents_stays_absent():
    assert _with_fast_weights(None) is None
