"""Our spaCy pipeline: tokens, lemmas, clinic terms and red flags, from blank English and pattern files."""

import pytest


def red_flags(nlp, text, group="red_flags"):
    doc = nlp(text)  # keep the Doc alive while its spans are read
    return [span.id_ for span in doc.spans[group]]


def test_tokens_and_lemmas_come_from_the_lookup_tables(nlp):
    doc = nlp("the needles hurts and my shoulders ached")
    assert [t.text for t in doc] == ["the", "needles", "hurts", "and", "my", "shoulders", "ached"]
    assert [t.lemma_ for t in doc][1:3] == ["needle", "hurt"]
    assert doc[5].lemma_ == "shoulder"


@pytest.mark.parametrize(
    "text, label, canonical",
    [
        ("does dry needling hurt", "THERAPY", "ims"),
        ("what is gunn ims", "THERAPY", "ims"),
        ("intramuscular stimulation for my back", "THERAPY", "ims"),
        ("is accupuncture safe", "THERAPY", "acupuncture"),
        ("does cupping leave marks", "THERAPY", "cupping"),
        ("can a chiropractor fix this", "THERAPY", "chiropractic"),
        ("pain in my lower back", "BODY_PART", "lower_back"),
        ("both shoulders are stiff", "BODY_PART", "shoulder"),
        ("does it help sciatica", "CONDITION", "sciatica"),
        ("tennis elbow for months", "CONDITION", "tennis_elbow"),
    ],
)
def test_clinic_terms_are_found_with_their_canonical_id(nlp, text, label, canonical):
    found = {(e.label_, e.ent_id_) for e in nlp(text).ents}
    assert (label, canonical) in found


@pytest.mark.parametrize(
    "text, flag",
    [
        ("i have chest pain", "chest_pain"),
        ("pressure in my chest and my left arm hurts", "chest_pain"),
        ("i cant breathe", "breathing"),
        ("short of breath since the needles near my ribs", "breathing"),
        ("getting breathless after dry needling near my shoulder blade", "breathing"),
        ("my face is drooping and my speech is slurred", "stroke"),
        ("sudden weakness on one side", "stroke"),
        ("kms", "suicide"),
        ("i want to kill myself", "suicide"),
        ("i dont want to live anymore", "suicide"),
        ("thinking about ending it all", "suicide"),
        ("nobody would miss me if i was gone", "suicide"),
        ("everyone would be better off without me", "suicide"),
        ("the bleeding wont stop", "bleeding"),
        ("i fainted and hit my head", "faint_injury"),
        ("passed out in the car park and cut my chin", "faint_injury"),
        ("lost control of my bladder and my legs are numb", "cauda_equina"),
        ("i took a whole bottle of pills", "overdose"),
        ("im going to swallow all my sleeping pills tonight", "overdose"),
        ("my daughter is having a seizure", "seizure"),
        ("he's convulsing on the floor", "seizure"),
        ("my husband is having seizures", "seizure"),
        ("I took all my sleeping pills", "overdose"),
        ("no fever but chest pain", "chest_pain"),
    ],
)
def test_red_flags_are_found(nlp, text, flag):
    assert flag in red_flags(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "no chest pain, just a sore back",
        "i don't have any trouble breathing",
        "i am not suicidal, just curious about acupuncture",
        "never had chest pain",
        "this neck pain is killing me",
        "my back is killing me, can ims help",
        "im dying to try acupuncture",
        "i hurt myself at the gym, can ims help",
        "does dry needling hurt my lower back",
        "i feel faint when i see needles",
        "i passed my exam and hit the gym",
        "a bit sore after acupuncture, is that normal",
        "would my physio miss me if i switched clinics",
        "is acupuncture safe if i have seizures",
        "i had a seizure last year, can i still get ims",
        "my wife is having a baby in june, is acupuncture ok in pregnancy",
        "should i take all my meds before my appointment",
        "can i take all of my meds at the same time as acupuncture",
        "my shoulder keeps seizing up when i lift my arm",
        "i have epilepsy, what if i end up having a seizure on the table",
        "my toddler is having a fit about the needles",
    ],
)
def test_look_alikes_and_negations_are_not_red_flags(nlp, text):
    assert red_flags(nlp, text) == []


def test_a_negated_red_flag_is_kept_aside_not_dropped(nlp):
    assert red_flags(nlp, "no chest pain", "red_flags_negated") == ["chest_pain"]
    assert red_flags(nlp, "no chest pain") == []


def test_the_pipeline_survives_saving_and_loading(nlp, tmp_path):
    import spacy

    nlp.to_disk(tmp_path / "clinic_nlp")
    loaded = spacy.load(tmp_path / "clinic_nlp")
    doc = loaded("gonna kms, and my shoulder hurts after ims")
    assert [s.id_ for s in doc.spans["red_flags"]] == ["suicide"]
    assert {e.ent_id_ for e in doc.ents} == {"shoulder", "ims"}
