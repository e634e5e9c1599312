"""The knowledge base: every topic answerable, every fact of the clinic's page reachable, clinic facts used."""

import re

import pytest
import yaml

from actions.knowledge import UnknownTopic, build, knowledge_base
from clinic.facts import ClinicConfigError, load_clinic
from tests.conftest import FAQ_TOPICS

# What each answer must carry, from topics.md. A tuple means "any of these words".
FACTS = {
    "ims_what_is": ["dry needling", "supersensitive", "chronic musculoskeletal pain"],
    "ims_how_it_works": [
        "nerves",
        ("injury",),
        "repetitive trauma",
        "supersensitive",
        "soft tissue",
        ("shortening", "shortened"),
        "trigger points",
        "pain and dysfunction",
        "acupuncture needles",
        "release",
        "joints",
    ],
    "ims_conditions": ["chronic musculoskeletal pain", "shortened", "joint", "assessment"],
    "ims_vs_acupuncture": [
        "same kind of",
        "shortened",
        "supersensitive",
        "Qi",
        "meridians",
        "Traditional Chinese Medicine",
        "endorphins",
    ],
    "ims_assessment": ["thorough assessment", "physiotherapists", "appropriate"],
    "acu_what_is": [
        "specific anatomical points",
        "acupuncture points",
        "ancient",
        "alternative to medication",
        "surgery",
        "safe",
        "effective",
    ],
    "acu_qi_meridians": [
        "Qi",
        "chee",
        "essential to health",
        "Traditional Chinese Medicine",
        "meridians",
        "network of pathways",
        "whole body",
        "deficient",
        "obstructed",
        "susceptible",
        "yin",
        "homeostasis",
        "smoothly",
    ],
    "acu_how_it_works": [
        "endorphins",
        "natural pain-relieving neurohormones",
        "natural healing",
        "symptoms",
        "root causes",
        "acupuncture points",
    ],
    "acu_benefits": ["pain relief", "increased energy", "improved mood", "improved body function"],
    "acu_conditions": ["North America", "western medicine has failed", "pain", "assessment"],
    "needle_pain": ["atraumatic", ("rounded",), "slide", "little discomfort", "tell your practitioner"],
    "needle_safety": ["safe", "atraumatic", "bleeding", "soreness", "bruising", "Call us", "911"],
    "needle_type": ["acupuncture needles", "atraumatic", "rounded", "sterile", "single-use"],
    "session_what_to_expect": [
        "15 to 30 minutes",
        "manipulate",
        ("strengthen",),
        "reduce the flow of Qi",
        "assessment",
    ],
    "session_count": ["depends", "assessment", "plan"],
    "needle_free_alternatives": [
        "acupressure",
        ("thumbs",),
        "fingers",
        "electrical stimulation",
        "laser stimulation",
        "electroacupuncture",
        "through acupuncture needles",
        "pads",
    ],
    "needle_placement": ["specific anatomical points", "meridians", "shortened", "away from"],
    "practitioner": ["physiotherapists", "assessment", "Alex Morgan", "certified in Gunn IMS"],
    "needle_fear": ["atraumatic", "acupressure", ("practitioner",)],
    "contraindications": ["pregnan", "blood thinners", "pacemaker", "bleeding disorders", "children"],
    "preparation_aftercare": [("clothing", "wear")],
    "cost_insurance": ["$95", "$90", "receipt", "insur", "front desk"],
    "booking": ["604-555-0100", "referral", "24 hours", "booking request"],
    "evidence": ["endorphins", "assessment"],
    "more_info": ["https://www.istop.org", "Acupuncture Canada", "https://www.acupuncturecanada.org"],
}


def has(text: str, fact) -> bool:
    options = fact if isinstance(fact, tuple) else (fact,)
    return any(option.lower() in text.lower() for option in options)


def test_every_topic_in_topics_md_has_an_answer(kb):
    assert sorted(kb.topics) == sorted(FAQ_TOPICS)


@pytest.mark.parametrize("topic", FAQ_TOPICS)
def test_each_answer_carries_the_facts_topics_md_lists(kb, topic):
    answer = kb.answer(topic)
    missing = [fact for fact in FACTS[topic] if not has(answer.text, fact)]
    assert missing == [], f"{topic} lacks {missing}: {answer.text}"


@pytest.mark.parametrize("topic", FAQ_TOPICS)
def test_answers_are_short_filled_in_and_offer_follow_ups(kb, topic):
    answer = kb.answer(topic)
    assert not re.search(r"[{}#]", answer.text), answer.text
    assert len(answer.text.split()) <= 130
    assert 2 <= len(answer.follow_ups) <= 3
    named_buttons = {"book", "talk_to_staff"}
    assert all((t in kb or t in named_buttons) and t != topic for t in answer.follow_ups)
    assert len(answer.title) <= 32


def test_the_about_text_names_the_patients_area_and_sends_them_to_an_assessment(kb):
    text = kb.answer("ims_conditions").for_area("shoulder pain")
    assert "shoulder pain" in text and "assessment" in text
    assert kb.answer("needle_pain").for_area("shoulder pain") == kb.answer("needle_pain").text


def test_contraindications_are_general_and_end_by_sending_the_patient_to_their_practitioner(kb):
    text = kb.answer("contraindications").text
    assert "can't give personal medical advice" in text
    assert text.rstrip(".").lower().endswith("before treatment")
    assert "tell your practitioner" in text.lower()


def test_answers_use_the_clinics_configuration(clinic_files):
    clinic = yaml.safe_load(clinic_files.clinic_config.read_text())
    clinic["phone"] = "250-555-0199"
    clinic["prices"] = [{"service": "IMS treatment", "price": "$101"}]
    clinic_files.clinic_config.write_text(yaml.safe_dump(clinic))
    kb = knowledge_base(clinic_files)
    assert "250-555-0199" in kb.answer("booking").text
    assert "IMS treatment: $101" in kb.answer("cost_insurance").text


def test_the_knowledge_base_is_rebuilt_when_the_content_changes(clinic_files):
    kb = knowledge_base(clinic_files)
    assert "Most people feel little discomfort" in kb.answer("needle_pain").text
    faq = clinic_files.content_dir / "faq.yml"
    faq.write_text(
        faq.read_text().replace("Most people feel little discomfort", "Most people feel very little")
    )
    import os
    import time

    later = time.time() + 5
    os.utime(faq, (later, later))
    assert "Most people feel very little" in knowledge_base(clinic_files).answer("needle_pain").text


def test_full_text_search_finds_answers_by_their_words(kb):
    assert "session_what_to_expect" in kb.search("how long do needles stay in, 15 minutes?")
    assert kb.search("meridians yin yang")[0] == "acu_qi_meridians"
    assert kb.search("endorphins neurohormones", limit=1) == ["acu_how_it_works"]
    assert kb.search("!!! ??") == []
    assert isinstance(kb.search('"; drop table answers; --'), list)  # words only, never SQL
    assert kb.db["answers"].count == len(FAQ_TOPICS)


def test_an_unknown_topic_is_a_named_error(kb):
    with pytest.raises(UnknownTopic):
        kb.answer("cupping")


def test_an_incomplete_clinic_file_fails_with_what_to_fix(tmp_path):
    path = tmp_path / "clinic.yml"
    path.write_text("name: Test clinic\n")
    with pytest.raises(ClinicConfigError, match="lacks phone"):
        load_clinic(path)
    with pytest.raises(ClinicConfigError, match="not found"):
        load_clinic(tmp_path / "missing.yml")


def test_the_database_is_sqlite_with_full_text_search(clinic_files):
    import sqlite_utils

    build(clinic_files)
    db = sqlite_utils.Database(clinic_files.knowledge_db)
    assert db["answers"].count == len(FAQ_TOPICS)
    assert db["answers"].detect_fts() == "answers_fts"
