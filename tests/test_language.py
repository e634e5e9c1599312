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
        # cardiac: a present-tense cue, not any mention of a heart attack
        ("crushing pain in my chest and i'm sweating", "chest_pain"),
        ("feels like an elephant is sitting on my chest", "chest_pain"),
        ("my dad is clutching his chest and looks grey", "chest_pain"),
        ("the pain is spreading down my left arm and into my jaw", "chest_pain"),
        ("i think i'm having a heart attack", "chest_pain"),
        ("heartburn that won't go away and my arm aches", "chest_pain"),
        # stroke / TIA
        ("half my face feels numb and my smile is crooked", "stroke"),
        ("my mum's words are coming out all jumbled", "stroke"),
        ("he suddenly can't see out of his left eye", "stroke"),
        ("i think my husband is having a stroke", "stroke"),
        ("went blind in one eye for a few minutes and now it's back", "stroke"),
        ("sudden blinding headache out of nowhere", "stroke"),
        # breathing, pneumothorax after needling
        ("since the needles near my collarbone it hurts when i breathe in", "breathing"),
        ("can't take a deep breath after dry needling on my upper back", "breathing"),
        ("sharp stabbing pain under my shoulder blade when i inhale, had needles there today", "breathing"),
        ("i think i have a collapsed lung after acupuncture", "breathing"),
        ("my inhaler isn't doing anything and i can only say a few words", "breathing"),
        ("cant breath", "breathing"),
        ("my lips r blue", "breathing"),
        # anaphylaxis
        ("my tongue is swelling up after the bee sting", "anaphylaxis"),
        ("throat feels like it's closing", "anaphylaxis"),
        ("broke out in hives and now i feel faint", "anaphylaxis"),
        ("used my epipen but she's still wheezing", "anaphylaxis"),
        ("i think i'm going into anaphylactic shock", "anaphylaxis"),
        # severe bleeding
        ("blood is pouring out of the cut", "bleeding"),
        ("soaked through two towels already", "bleeding"),
        ("nosebleed for 30 minutes and it's not slowing down", "bleeding"),
        ("on warfarin and the needle spot still won't stop bleeding", "bleeding"),
        ("bleedin everywhere", "bleeding"),
        # cauda equina
        ("i can't pee even though i really need to", "cauda_equina"),
        ("numb between my legs and my back is agony", "cauda_equina"),
        ("i wet myself and didn't even feel it", "cauda_equina"),
        ("toilet paper feels different down there", "cauda_equina"),
        ("both my legs are going weak with this back pain", "cauda_equina"),
        ("lost control of my bowels this morning", "cauda_equina"),
        # spinal cord compression
        ("i have myeloma and my legs keep giving way", "spinal_cord_compression"),
        ("numb from the waist down", "spinal_cord_compression"),
        ("i can't move my legs", "spinal_cord_compression"),
        ("breast cancer and now my feet feel like cotton wool", "spinal_cord_compression"),
        ("my legs have gone completely numb", "spinal_cord_compression"),
        # DVT / PE, coughing up blood
        ("i'm coughing up blood", "dvt_pe"),
        ("coughed up bright red blood this morning", "dvt_pe"),
        ("i think i have a blood clot in my lung", "dvt_pe"),
        ("brought up blood when i coughed", "dvt_pe"),
        ("coughin up blood", "dvt_pe"),
        # sepsis / infection with systemic signs
        ("the needle site is oozing pus and i've got a fever and the shakes", "sepsis_infection"),
        ("shivering uncontrollably and i haven't peed since yesterday", "sepsis_infection"),
        ("i feel like i'm dying", "sepsis_infection"),
        ("my dad is really confused and his legs look mottled", "sepsis_infection"),
        ("the redness is spreading really fast up my arm", "sepsis_infection"),
        # meningitis
        ("stiff neck and a high fever", "meningitis"),
        ("high fever and i can't touch my chin to my chest", "meningitis"),
        ("a rash that doesn't fade when i press a glass on it", "meningitis"),
        ("my son is burning up and has a stiff neck", "meningitis"),
        ("terrible headache with a temperature and the light hurts", "meningitis"),
        # seizure
        ("my friend is on the floor shaking and it's been over 5 minutes", "seizure"),
        ("he's never had a fit before", "seizure"),
        ("she's havin a siezure", "seizure"),
        ("seizure after seizure and she isn't waking", "seizure"),
        # head injury
        ("hit my head on the cupboard and i've thrown up twice", "head_injury"),
        ("my son was knocked out at hockey and now he's very drowsy", "head_injury"),
        ("one of her pupils is bigger than the other", "head_injury"),
        ("fell off my bike and there's clear fluid coming from my nose", "head_injury"),
        ("been vomiting since i banged my head", "head_injury"),
        # overdose and poisoning
        ("i overdosed on my meds", "overdose"),
        ("my toddler ate some of grandma's pills", "overdose"),
        ("took a handful of sleeping pills", "overdose"),
        ("my kid drank bleach", "overdose"),
        ("his pupils are pinpoint and he won't wake up", "overdose"),
        ("took 2 many pills", "overdose"),
        # suicide and self-harm (typos included)
        ("im sucidal", "suicide"),
        ("feeling suicdal tonight", "suicide"),
        ("i want to slit my wrists", "suicide"),
        ("i keep cutting myself", "suicide"),
        ("thinking of ending it", "suicide"),
        ("i have a plan to kill myself", "suicide"),
        ("got a knife and want to use it on myself", "suicide"),
        ("my daughter said she's going to kill herself", "suicide"),
        ("tonight's the night, i've written the letters", "suicide"),
        ("i've got the pills in front of me", "suicide"),
        ("i want to kill my self", "suicide"),
        ("wana die", "suicide"),
        ("i don't see the point in living anymore", "suicide"),
        # someone collapsed or unresponsive
        ("my husband just collapsed", "collapse_unresponsive"),
        ("she's on the floor and not answering me", "collapse_unresponsive"),
        ("found my grandma unresponsive", "collapse_unresponsive"),
        ("he passed out and isn't waking up", "collapse_unresponsive"),
        ("we can't wake him", "collapse_unresponsive"),
        ("doing cpr on my dad", "collapse_unresponsive"),
        # bleeding in pregnancy
        ("i'm 10 weeks pregnant and bleeding through a pad every hour", "pregnancy_bleeding"),
        ("pregnant and passing big clots", "pregnancy_bleeding"),
        ("32 weeks, sudden gush of blood and my belly is rock hard", "pregnancy_bleeding"),
        ("i think i'm having a miscarriage", "pregnancy_bleeding"),
        ("sharp pain on one side and my shoulder hurts, just found out i'm pregnant", "pregnancy_bleeding"),
        # everyday words for the same signs (the seventh and eighth development sets)
        ("his words are coming out scrambled and his mouth is hanging on one side", "stroke"),
        ("my tongue feels too big for my mouth and swallowing is getting hard", "anaphylaxis"),
        ("gone through 3 dish towels pressing hard and it's still pouring", "bleeding"),
        ("since this morning wiping feels like it's someone else's skin", "cauda_equina"),
        ("found my jeans soaked and never felt it happen, my back has been awful", "cauda_equina"),
        ("my legs keep giving way since this morning", "spinal_cord_compression"),
        ("roommate is burning up and his neck won't bend", "meningitis"),
        ("teeth chattering and the needle spot is hot and red", "sepsis_infection"),
        ("whacked my head on the cupboard an hour ago and I've thrown up twice", "head_injury"),
        ("she's still not awake", "collapse_unresponsive"),
        ("the man next to me is having a fit", "seizure"),
        (
            "positive test last week and a weird ache at the tip of my shoulder, I feel faint",
            "pregnancy_bleeding",
        ),
        ("little purple dots on his legs that don't fade when I press a glass on them", "meningitis"),
        ("my 4 yr old ate some of our weed gummies and is super sleepy", "overdose"),
        ("had black sticky poo twice today", "bleeding"),
        ("the guy on the treadmill just dropped and isn't moving", "collapse_unresponsive"),
        ("i need to pee so bad but nothing will come out and my sciatica is awful", "cauda_equina"),
        ("deep cut on my thumb, i can see it pulsing out when i lift the towel", "bleeding"),
        ("now i can't feel anything between my legs or around my bum", "cauda_equina"),
        ("the needle spot got infected and today i have chills and a racing heart", "sepsis_infection"),
        ("itchy lumps coming up all over after the latex and my chest is wheezy", "anaphylaxis"),
        ("i'm ending things this weekend and i've got everything ready", "suicide"),
        ("there's a rope in my trunk and i'm doing it after work", "suicide"),
        ("jerking 7 min now not stopping", "seizure"),
        ("my partner had a seizure in the bath, i got him out, he's awake but confused", "seizure"),
        ("dad took his whole week of warfarin from the dosette at once", "overdose"),
        ("standing on the bridge now", "suicide"),
        ("son got stung, now he whistles like a tea kettle when he breathes", "anaphylaxis"),
        ("split my scalp on the cabinet, it has not slowed at all", "bleeding"),
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
        # risk questions
        "can dry needling puncture a lung?",
        "what is a pneumothorax?",
        "is a collapsed lung common after acupuncture?",
        "is there a risk of bleeding?",
        "will i bleed a lot from cupping?",
        "can acupuncture cause a heart attack?",
        "what are the warning signs of a stroke?",
        "can you overdose on turmeric?",
        "can needling cause an infection?",
        "could acupuncture make me cough up blood?",
        "what is the glass test?",
        "can acupuncture cause a miscarriage?",
        "does acupuncture cause seizures?",
        # past history, the writer's or someone else's
        "i had a stroke two years ago, can i have acupuncture?",
        "my dad had a heart attack last year",
        "i have a history of anaphylaxis to peanuts",
        "i had an allergic reaction to a plaster last year",
        "i had sepsis in 2020, is acupuncture safe?",
        "my dad had a blood clot in his lungs in 2020",
        "i had a blood clot in my leg five years ago",
        "i had breast cancer ten years ago, can i have acupuncture?",
        "my son had meningitis as a baby",
        "i hit my head last week but i'm fine now",
        "i had a miscarriage last year and want acupuncture for fertility",
        # the condition is the reason for treatment
        "acupuncture after a stroke",
        "can acupuncture help with stroke rehab?",
        "does acupuncture help anxiety",
        "can acupuncture help with bladder control?",
        "can ims help sciatica in my leg?",
        "i'm pregnant and have back pain, is ims safe?",
        "i can't lift my arm above my head because of frozen shoulder",
        # idioms and other topics
        "my heart skipped a beat at the price",
        "this traffic is killing me",
        "i'd die for a massage",
        "i'm dying of hunger, book me a table",
        "the bleeding edge of physio tech",
        "i nearly killed myself laughing",
        "i nearly wet myself laughing",
        "that session knocked me out, slept all afternoon",
        "the app is unresponsive",
        "my back is not responding to treatment",
        "my pills are ready to pick up at the pharmacy",
        "i want to end my treatment plan early",
        "i wish i could disappear from work for a week",
        "i don't want to be late for my appointment",
        "i won't be here tomorrow, can i reschedule?",
        "i can breathe fine now, thanks",
        # ordinary after-effects and other everyday messages
        "a drop of blood came out but it stopped",
        "the bleeding is stopping now",
        "the needle site is a bit red, no fever",
        "my legs feel heavy after the session",
        "i have a stiff neck from sleeping funny",
        "stiff neck and a headache from work stress",
        "the cupping marks are purple, is that normal?",
        "i bumped my head on the cupboard, it's fine, no vomiting",
        "i fell asleep on the table and woke up confused",
        "i fainted at my last session but came round straight away and feel fine now",
        "i took my tablets this morning",
        "i swallowed my pills before the session, is that ok?",
        "i drank a lot of water after the session",
        "i have a sinus infection and a fever, can i still come in?",
        "my gums bleed when i brush",
        "bleeding gums in pregnancy, can acupuncture help?",
        "pregnant and on blood thinners, can i have acupuncture?",
        "my leg goes numb when i sit cross legged",
        "i can't walk far because of my knee arthritis",
        "my legs give out sometimes because of my bad knees",
        "i can't wake up in the mornings, can acupuncture help with fatigue?",
        "are your staff trained in cpr?",
        "i'm allergic to latex, do you use latex gloves?",
        "i carry an epipen for bee stings, is that ok?",
        "my knees give way on the stairs, can physio help?",
        "my boss is having a fit about the schedule",
        "my 10 year old has asthma and gets breathless at soccer",
        "i won't be here next week, can we move my appointment?",
        "she has a couple of tiny pinprick marks from her needles and she's comfortable",
        "the bruise isn't spreading and there's no bleeding, just a purple mark",
        "my legs are jelly after that hill hike, can i book a massage",
        "i'm on blood thinners for 5 weeks after my knee replacement",
        "suicide squad movie tonight so i cant come",
    ],
)
def test_look_alikes_and_negations_are_not_red_flags(nlp, text):
    assert red_flags(nlp, text) == []


def test_indexed_patterns_find_what_one_matcher_would(nlp):
    """The component indexes patterns by their first word for speed; the matches must not change."""
    from spacy.matcher import Matcher

    detector = nlp.get_pipe("red_flags")
    plain = Matcher(nlp.vocab)
    for key, pattern in zip(detector.keys, detector.patterns, strict=True):
        plain.add(key, [pattern["pattern"]])
    texts = [
        "i think i'm having a heart attack and my left arm hurts",
        "my dad had a heart attack last year",
        "found my grandma unresponsive, she's not breathing",
        "i'm 10 weeks pregnant and bleeding through a pad every hour",
        "can dry needling puncture a lung? it hurts to breathe in since my session",
        "im sucidal and i have a plan, i've got the pills in front of me",
        "no chest pain, just a stiff neck",
        "my bladder isnt working and my legs are tingling",  # a `*` pattern: no window limit
        "hit my head on the cupboard this morning and since then i have been throwing up a lot",
        "positive test last week and now pain in the tip of my shoulder",  # a pattern with `with_words`
    ]
    for text in texts:
        doc = nlp(text)
        assert detector.matches(doc) == sorted(set(plain(doc)), key=lambda m: (m[1], m[2], m[0]))


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


@pytest.mark.parametrize(
    "typed, words",
    [
        ("<b>hi</b>", "hi"),
        ("<p>does it hurt?</p><p>and how long?</p>", "does it hurt? and how long?"),
        ('<a href="https://example.com">link</a> please', "link please"),
        ("chest pain&nbsp;now &amp; sweating", "chest pain now & sweating"),
        ("i <3 my physio, and 2 < 3", "i <3 my physio, and 2 < 3"),  # not tags: no letter after "<"
        ("numb legs\nsince this morning", "numb legs\nsince this morning"),  # line breaks stay
    ],
)
def test_the_pipeline_reads_the_words_typed_not_the_markup_around_them(typed, words):
    from bot.components import typed_words

    assert typed_words(typed) == words
