"""Clinical safety (#12): a red flag happening now gets 911; asked about as a risk, told as history or
named as the reason for treatment it does not; a same-day sign gets the urgent tier.

The patterns and cues are data (bot/patterns/); these are the rules they must keep."""

import pytest

from bot.red_flags import FOUND, NEGATED, NOT_NOW, SYMPTOMS


def spans(nlp, text, group):
    doc = nlp(text)
    return [(span.id_, span.label_) for span in doc.spans[group]]


@pytest.mark.parametrize(
    "text, why",
    [
        ("can dry needling cause a collapsed lung and chest pain?", "risk"),
        ("is there any risk of chest pain after IMS", "risk"),
        ("I had a stroke two years ago, can I still have acupuncture?", "history"),
        ("my dad had a heart attack last year, is acupuncture safe for him", "history"),
        ("history of seizures, is dry needling ok", "history"),
        ("looking for rehab after a stroke", "reason"),
        ("can acupuncture help with shortness of breath from my asthma", "reason"),
        ("what should I do if I get chest pain after the session", "hypothetical"),
        ("that first session took my breath away", "idiom"),
    ],
)
def test_a_red_flag_not_happening_now_is_set_aside_with_the_reason(nlp, text, why):
    doc = nlp(text)
    assert doc.spans[FOUND] == [] or all(span.label_ == "urgent" for span in doc.spans[FOUND])
    reasons = {span.label_ for span in doc.spans[NOT_NOW]}
    assert why in reasons or not doc.spans[NOT_NOW] and not doc.spans[FOUND]


@pytest.mark.parametrize(
    "text",
    [
        "I had a stroke two years ago and now my face is drooping",
        "can acupuncture cause this? I'm having chest pain right now",
        "is there a risk of infection, because I'm having chest pain right now",
        "since my dry needling this morning it hurts to breathe in",
        "difficulty breathing after the needles, getting worse fast",
        "my face started drooping on one side 5 minutes ago",
        "I have chest pain, is it safe to come to my appointment?",
    ],
)
def test_a_red_flag_happening_now_stays_an_emergency_beside_a_question(nlp, text):
    doc = nlp(text)
    assert [span for span in doc.spans[FOUND] if span.label_ != "urgent"], text


@pytest.mark.parametrize(
    "text",
    [
        "i tried to kill myself two years ago, is acupuncture ok for depression",
        "can acupuncture cause suicidal thoughts?",
    ],
)
def test_a_past_or_risk_mental_health_flag_is_set_aside(nlp, text):
    assert spans(nlp, text, FOUND) == []
    assert [flag for flag, _ in spans(nlp, text, NOT_NOW)] and all(
        flag == "suicide" for flag, _ in spans(nlp, text, NOT_NOW)
    )


@pytest.mark.parametrize(
    "text",
    ["can acupuncture help with my suicidal thoughts", "what if I want to kill myself again"],
)
def test_a_mental_health_flag_as_a_reason_or_what_if_still_gets_the_crisis_line(nlp, text):
    assert ("suicide", "mental_health") in spans(nlp, text, FOUND)


@pytest.mark.parametrize(
    "text, sign",
    [
        ("the needle site is red and spreading", "needle_site_infection"),
        ("my hand is still numb since IMS yesterday", "lasting_numbness"),
        ("a piece of the needle broke off in my skin", "retained_needle"),
        ("the bruise keeps getting bigger", "bruise_growing"),
        ("I fainted after my session but I'm ok", "fainted"),
    ],
)
def test_same_day_signs_are_urgent_not_emergencies(nlp, text, sign):
    found = spans(nlp, text, FOUND)
    assert (sign, "urgent") in found
    assert all(label == "urgent" for _, label in found)


def test_an_emergency_beside_a_same_day_sign_is_still_an_emergency(nlp):
    found = spans(nlp, "the needle site is red and spreading and I have a 39.2 fever with chills", FOUND)
    assert {label for _, label in found} >= {"urgent", "medical"}


@pytest.mark.parametrize(
    "text",
    ["little red dots where the needles were, they don't hurt", "the needle site is a bit red, no fever"],
)
def test_ordinary_after_effects_are_neither(nlp, text):
    assert spans(nlp, text, FOUND) == []


def test_symptom_words_happening_now_are_what_lets_the_classifiers_guess_stand(nlp):
    assert [label for _, label in spans(nlp, "my lips are blue", SYMPTOMS)] == ["serious"]
    assert spans(nlp, "email my boss about the meeting", SYMPTOMS) == []
    assert spans(nlp, "can dry needling puncture a lung?", SYMPTOMS) == []  # a question about risk
    assert spans(nlp, "no chest pain", NEGATED) and spans(nlp, "no chest pain", SYMPTOMS) == []
