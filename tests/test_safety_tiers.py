"""Clinical safety (#12): a red flag happening now gets 911; asked about as a risk, told as history or
named as the reason for treatment it does not; a same-day sign gets the urgent tier.

The patterns and cues are data (bot/patterns/); these are the rules they must keep."""

import pytest

from bot.red_flags import DENIED, FOUND, NEGATED, NOT_NOW, SYMPTOMS


def spans(nlp, text, group):
    doc = nlp(text)
    return [(span.id_, span.label_) for span in doc.spans[group]]


def emergencies(nlp, text):
    """The ids of the red flags found that are emergencies, not same-day signs."""
    doc = nlp(text)
    return [span.id_ for span in doc.spans[FOUND] if span.label_ != "urgent"]


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
        ("i had an infected tattoo last year with a fever, am i more likely to get infected", "history"),
        ("my wife bled heavily in her first pregnancy, can she have acupuncture now", "history"),
        ("can the needles go too deep and hit my lung", "risk"),
        ("overdosed on pumpkin spice lattes this week lol", "idiom"),
        ("overdosed when i was 19, clean 10 years", "history"),
        ("i almost had a seizure when i saw my gym bill", "idiom"),
        ("my chest gets tight sometimes when i run, can acupuncture help", "history"),
        ("if i started bleeding heavily at 30 weeks would acupuncture have caused it?", "hypothetical"),
        ("can I bleed to death from an acupuncture needle?", "risk"),
        ("had a bad reaction to a bee sting as a kid and carry an epipen now", "history"),
        ("my dog had a seizure last night, can i move my appointment", "idiom"),
        ("I'm choking on the cost of physio this year", "idiom"),
        ("I have MS and my legs get weak and tingly, it has not changed in years", "history"),
        ("3 years self harm free, old scars on my forearms, ok to needle there?", "history"),
        ("can acupuncture set off a seizure?", "risk"),
        ("Six years ago, in a bad patch, I overdosed on my pills. Is acupuncture ok for stress?", "history"),
        ("breathless on the stairs for months now since covid, do you do rehab", "history"),
        ("had one seizure 10 yrs ago, never again since, can i do ims", "history"),
        ("my bank account is bleeding out after all these sessions", "idiom"),
        ("my boss is choking the life out of me with overtime", "idiom"),
        ("our league is having a heart attack over the new fees", "idiom"),  # a thing, not a person
        ("I'm going to overdose on protein shakes this week", "idiom"),  # even beside a crisis wording
        ("a bad allergic reaction to a wasp sting two summers ago, I carry an EpiPen", "history"),
        ("I went through a dark patch last year and attempted suicide, I'm doing much better", "history"),
        ("I had a concussion playing rugby two years ago and was knocked out cold", "history"),
        ("the website basically had a seizure when I tried to pay", "idiom"),
        ("What should I do if I get chest pain? Started IMS last week.", "hypothetical"),
        ("can acupuncture make a concussion worse?", "risk"),  # "worse" is part of what is asked
        ("I read about people's lungs collapsing after needling near the ribs", "risk"),
        ("i collapsed my umbrella and left it in your waiting room", "idiom"),
        ("I blacked out and collapsed at church two years back and they fitted a pacemaker", "history"),
        ("my neighbour bled a lot after acupuncture because of her warfarin years ago", "history"),
        ("my dad is having a heart attack... autocorrect, I meant had, it was 2 years ago", "history"),
        ("my daughter overdosed on tylenol when she was 15, she's doing well now", "history"),
        ("my grandpa fainted in church last sunday, he has been fine all week", "history"),
        ("what would an infected needle spot look like?", "risk"),
        ("took a deep breath and finally booked, I've been scared stiff of needles", "idiom"),
        ("suicide attempt long ago, doing well now", "history"),  # "well now" is recovered, not now
        ("my best friend tried to take her life in college, she's doing great", "history"),
        ("gave myself a heart attack this morning thinking I'd missed my 10am", "idiom"),
        ("my wallet is gasping for air after christmas", "idiom"),
        ("the booking app keeps collapsing on my phone", "idiom"),
        ("would dry needling near my shoulder blade puncture a lung?", "risk"),
        # a form's history heading dates its whole list
        (
            "dad's history:\n- heart attack 2019\n- chest pain on exertion back then\ncan he have acupuncture?",
            "history",
        ),
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
        "my mom hit her head on the cupboard door, shes on warfarin and now has a terrible headache",
        "the lady in the chair next to me just went stiff and started twitching all over",
        "my son drank some of the windshield washer fluid and hes getting drowsy",
        "ive had this crushing feeling behind my breastbone since i got up",
        "im having chest pain right now lol its scary",
        "since yesterday I have great difficulty passing water, as if it is not my own down there",
        "dad took all of this week's heart pills at once and he's dizzy",
        "my husband he say chest very tight, now 30 minutes already",
        "I've had a squeezing in the middle of my chest since lunch that won't go away",
        "its probably nothing lol but i peed today and didnt even notice, my back has been awful",
        "ive had to strain to pee all day and my back is killing me",
        "no fever, chest pain since an hour",  # a comma with no "or" after the flag ends the negation
        "Last year, I had a stroke. Now my face is drooping again.",
        "she's been bleeding and has had severe pain low on her right side for the last hour, shes pregnant",
        "mum's had back pain for weeks and today both her legs gave out and she can't move them",
        "I had a fall last week and was knocked out and now I can't move my legs",
        "she was fine at breakfast, now she can't say my name right and her face is drooping",
        "kid on my team collapsed, he's never had a fit before and his lips look blue",
        "my son just had his first seizure, first one ever, and he won't wake up properly",
        "is it ok to come if my chest goes sharp when I breathe in? Started this afternoon.",
        "is it safe to come in if my face is drooping? It started an hour ago.",
        "I've been saving up my pills for weeks and tonight is the night",  # stockpiling, however long ago
        "my tongue is swelling up after a cookie that must have had nuts in it",  # a guess, not a date
        # asking whether to act on it tells it: the what-if is what is happening
        "do I need to go in if I'm gasping and can't get a sentence out?",
        "should we go to emerg if he wet himself and didn't notice? his back has been bad all week",
        "my dad is having what looks like a seizure on the kitchen floor",
        "took a puck to the head, out for about 20 seconds, now foggy",
        "pins and needles in both legs since last night and my back is killing me",
        "mom went down in the hallway. not answering",
        "my mum had what looks like a seizure at the table and now shes not answering",  # typed into make run
        "he can't be woken properly since he hit his head this afternoon",
        # a what-if or a risk question the message then says is real
        "what does it mean if your chest is crushing and your left arm goes numb? because mine is",
        "what if you suddenly can't feel your legs and you've wet yourself? that's me right now",
    ],
)
def test_a_red_flag_happening_now_stays_an_emergency_beside_a_question(nlp, text):
    assert emergencies(nlp, text), text


@pytest.mark.parametrize(
    "text",
    [
        "i tried to kill myself two years ago, is acupuncture ok for depression",
        "can acupuncture cause suicidal thoughts?",
        "can acupuncture affect suicidal thoughts?",
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
        ("my leg is hot and swollen compared to the other one", "dvt_suspected"),
        ("found a needle still in my lower back when I got home", "retained_needle"),
        ("since the IMS in my forearm my thumb has been tingling and it hasn't stopped", "lasting_numbness"),
        ("I have lung cancer and new pain in the middle of my back", "cancer_back_pain"),
        (
            "had bowel cancer two years ago, now a new pain in my back that wakes me at night",
            "cancer_back_pain",
        ),
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


def test_sometimes_never_sets_aside_a_crisis(nlp):
    assert ("suicide", "mental_health") in spans(nlp, "sometimes i want to kill myself", FOUND)


@pytest.mark.parametrize(
    "text",
    [
        "I have no shortness of breath or chest discomfort; my shoulder is simply sore",  # a list under "no"
        "nobody collapsed, my mum just needs a chair in the waiting room",
        "breathing fine, just stiff",
        "not bleeding anymore, just a tiny bruise",
        "face drooping - no\narm weak - no\nspeech - normal\njust a stiff neck from sleeping funny",  # a form
    ],
)
def test_denied_or_played_down_symptoms_give_no_emergency(nlp, text):
    assert spans(nlp, text, FOUND) == []
    assert [label for _, label in spans(nlp, text, SYMPTOMS) if label == "serious"] == []


def test_only_an_ordinary_word_can_be_played_down(nlp):
    assert spans(nlp, "my back ache", SYMPTOMS) and spans(nlp, "a little ache", SYMPTOMS) == []
    assert [label for _, label in spans(nlp, "a little unresponsive", SYMPTOMS)] == ["serious"]


def test_still_is_now_unless_the_clause_dates_it(nlp):
    assert spans(nlp, "i still can't breathe properly", FOUND)
    assert not [
        label
        for _, label in spans(nlp, "my face is still weak on one side from last year's stroke", FOUND)
        if label != "urgent"
    ]


def test_symptom_words_happening_now_are_what_lets_the_classifiers_guess_stand(nlp):
    assert [label for _, label in spans(nlp, "my lips are blue", SYMPTOMS)] == ["serious"]
    assert spans(nlp, "email my boss about the meeting", SYMPTOMS) == []
    assert spans(nlp, "can dry needling puncture a lung?", SYMPTOMS) == []  # a question about risk
    assert spans(nlp, "no chest pain", NEGATED) and spans(nlp, "no chest pain", SYMPTOMS) == []


def symptom_words(nlp, text):
    doc = nlp(text)
    return [(span.text, span.label_) for span in doc.spans[SYMPTOMS]]


def guarded(nlp, text, ranking):
    """RedFlagGuard on a message the classifier ranked as given: (intent, ranking, entities) after it."""
    from rasa.nlu.constants import SPACY_DOCS
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.components import RedFlagGuard

    ranked = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    message = Message(
        data={TEXT: text, SPACY_DOCS[TEXT]: nlp(text), INTENT: ranked[0], INTENT_RANKING_KEY: ranked}
    )
    [message] = RedFlagGuard().process([message])
    return message.get(INTENT)["name"], message.get(INTENT_RANKING_KEY), message.get("entities") or []


def test_a_red_flag_leaves_no_close_runner_up_for_the_fallback_classifier(nlp):
    intent, ranking, _ = guarded(
        nlp, "a blister came up where they did the needling", [("out_of_scope", 0.97)]
    )
    assert intent == "emergency"
    assert ranking[0]["confidence"] - ranking[1]["confidence"] >= 0.5  # FallbackClassifier: ambiguity 0.05


@pytest.mark.parametrize(
    "text", ["can you email my boss that I'm running late", "book me a table for two tonight"]
)
def test_the_classifiers_emergency_alone_does_not_stand_without_symptom_words(nlp, text):
    intent, _, _ = guarded(nlp, text, [("emergency", 0.6), ("out_of_scope", 0.3)])
    assert intent == "out_of_scope"


@pytest.mark.parametrize(
    "text", ["I have sciatica, pain goes down my leg, 3 months now", "my shoulder aches after the session"]
)
def test_the_classifiers_emergency_does_not_stand_on_everyday_symptom_words(nlp, text):
    """Over eight development sets the guess beside only an everyday word (ache, pain, sore...) caught no
    emergency and sent look-alikes to 911 (docs/safety.md)."""
    intent, _, _ = guarded(nlp, text, [("emergency", 0.6), ("out_of_scope", 0.3)])
    assert intent == "out_of_scope"


def test_the_classifiers_emergency_stands_beside_a_serious_symptom_word(nlp):
    intent, _, _ = guarded(nlp, "my husband is unresponsive", [("emergency", 0.6), ("out_of_scope", 0.3)])
    assert intent == "emergency"


def test_a_flag_set_aside_travels_as_context_for_the_answer(nlp):
    intent, _, entities = guarded(
        nlp, "is chest pain a side effect of dry needling?", [("needle_safety", 0.8)]
    )
    assert intent == "needle_safety"
    assert [(e["entity"], e["value"], e["role"]) for e in entities if e["entity"] == "red_flag_context"] == [
        ("red_flag_context", "chest_pain", "risk")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "how long are the needles left in",
        "do they leave the needles in or take them right out",
        "are the needles still in when the timer goes off",
        "burning tingling under my shoulder blade since the needling",
        "why do you put needles in my feet when it's my neck that hurts",
        "are the needles left in my back the whole time?",
    ],
)
def test_questions_about_a_normal_session_raise_no_flag_beyond_same_day(nlp, text):
    doc = nlp(text)
    assert [
        span.id_ for span in doc.spans[FOUND] if span.label_ != "urgent" or span.id_ == "retained_needle"
    ] == []


@pytest.mark.parametrize(
    "text, flag",
    [
        (
            "positive test last week, and now there's pain in the tip of my shoulder and I feel faint",
            "pregnancy_bleeding",
        ),
        (
            "my dad has lymphoma and since this morning his legs just won't hold him",
            "spinal_cord_compression",
        ),
        ("we've had the gas heater on all night and now we all have headaches", "overdose"),
    ],
)
def test_signs_split_over_a_message_count_together(nlp, text, flag):
    assert (flag, "medical") in spans(nlp, text, FOUND)


@pytest.mark.parametrize(
    "text",
    [
        "pain in the tip of my shoulder after tennis",  # no pregnancy in the message
        "my legs just won't hold me after that leg day",  # no cancer
        "I have headaches most afternoons at my desk",  # no fumes
        "neck's stiff from sleeping funny, no fever, no headache",  # the word it needs is denied
    ],
)
def test_a_sign_that_needs_another_in_the_message_is_nothing_alone(nlp, text):
    assert spans(nlp, text, FOUND) == []


@pytest.mark.parametrize(
    "text",
    [
        "I don't have any thoughts of ending my life, my therapist asked me to tell you",
        "I'm not having any thoughts of harming myself, but I have felt low",
    ],
)
def test_a_negation_reaches_through_any_thoughts_of(nlp, text):
    assert spans(nlp, text, FOUND) == []


def test_a_negation_reaches_along_a_list_closed_by_or(nlp):
    text = "I've never had vision changes, slurred speech or numbness with my headaches"
    assert spans(nlp, text, FOUND) == [] and spans(nlp, text, NEGATED)


@pytest.mark.parametrize(
    "text, word",
    [
        ("there was a tiny spot of blood on the cotton ball", "blood"),
        ("the needle site bled a tiny bit and that was it", "bled"),
        ("6 weeks postpartum, bleeding has stopped, am I ready for pelvic floor physio?", "bleeding"),
        ("heart isn't racing, chest isn't tight, just sore quads", "chest"),
        ("small bleed at one needle spot, pressed a tissue on it", "bleed"),
        ("the needle spot bled one drop and that was it", "bled"),
    ],
)
def test_a_symptom_word_played_down_or_denied_after_it_is_not_happening(nlp, text, word):
    doc = nlp(text)
    assert word in {span.text for span in doc.spans[DENIED]}
    assert word not in {span.text for span in doc.spans[SYMPTOMS]}


def test_blood_that_has_gone_through_dressings_is_not_played_down(nlp):
    doc = nlp("the blood has gone through three dressings in the last 20 minutes")
    assert ("bleeding", "medical") in spans(nlp, doc.text, FOUND)


@pytest.mark.parametrize(
    "text",
    [
        "her calf on that side is swollen and tender, she breathes fine",  # the sign, breathing said fine
        "chemo for bowel cancer and my low back pain is worse this week",  # where the cancer is, not control
        "I'm on blood thinners and I was worried about bleeding, but there was none at all",  # a worry
    ],
)
def test_a_sign_said_fine_a_diagnosis_or_a_worry_is_no_emergency(nlp, text):
    doc = nlp(text)
    assert [span for span in doc.spans[FOUND] if span.label_ != "urgent"] == []


@pytest.mark.parametrize(
    "text",
    [
        "my wife not breathing normal, only grunting, she collapse while cooking",  # the flag denies "normal"
        "the neurologist said call 911 if his seizure goes past 5 minutes. it's at 6 and he's still going",
        "I was going to ask if you can see me today, but also both my legs feel numb and weak.",
        "Dad had a fit about an hour ago and he's still confused, doesn't know who I am.",  # not a tantrum
    ],
)
def test_what_a_patient_was_told_or_meant_to_ask_does_not_hide_an_emergency(nlp, text):
    assert emergencies(nlp, text), text


def test_a_same_day_sign_goes_to_911_on_the_classifiers_word_only_when_the_reader_half_agrees(nlp):
    """The serious word must be more than the sign itself, and the emergency-now reader must score 0.5+:
    on the development sets the same-day messages this sent to 911 scored at most 0.44 (docs/safety.md)."""
    text = "my thigh looks a bit purple and swollen on one side only, warm to touch. My chest is fine"
    intent, _, entities = guarded(nlp, text, [("emergency", 0.6), ("needle_safety", 0.3)])
    assert intent == "emergency" and {e["role"] for e in entities if e["entity"] == "red_flag"} == {"urgent"}


@pytest.mark.parametrize(
    "text",
    [
        "i can't breathe and had covid two years ago",  # a date after "and" dates only a story told in the past
        "I collapsed and hit my head, I had a stroke two years ago",  # ...and only the same person going on
        "I've had a squeezing feeling in my chest since I came in from the garden",  # since, and now
        "had knee surgery last week now i cant catch my breath",  # "last week now" is not "for a year now"
        "had dry needling in my upper back this morning and now i cant take a deep breath",  # no idiom here
        "can't breathe... sorry, I had IMS yesterday",  # a plain "sorry" corrects nothing
        "my nitro spray isn't touching this chest pressure, it's been 20 min",  # the remedy fails, not the sign
        "sudden double vision and I can't stand without falling to the left",  # can't ... without: it happens
    ],
)
def test_a_date_a_duration_or_an_apology_nearby_does_not_hide_an_emergency(nlp, text):
    assert emergencies(nlp, text), text


@pytest.mark.parametrize(
    "text",
    [
        "should I come in if I get a fever after the needling?",  # what might come is still a what-if
        "do I need to go to the ER if I ever get chest pain after IMS?",
        "can dry needling cause a collapsed lung? I ask because it is near my chest",  # no confirmation
        "could acupuncture cause a stroke? asking for a friend",
    ],
)
def test_asking_what_to_do_about_what_might_come_stays_a_what_if(nlp, text):
    assert spans(nlp, text, FOUND) == []


def test_not_answering_in_a_seizure_told_as_history_stays_history(nlp):
    text = "my dad had a seizure last year and wasn't answering for a minute, can he have acupuncture?"
    assert spans(nlp, text, FOUND) == []


def test_a_bleed_that_has_not_come_back_is_no_collapse(nlp):
    assert spans(nlp, "a tiny bit of blood on my arm after the session, hasn't come back", FOUND) == []


@pytest.mark.parametrize(
    "text",
    [
        "active SI, can't keep myself safe, alone tonight",  # the crisis line's own words
        "I don't think anyone would miss me, I've thought about how",
        "i want to stop the pain for good. i cant go on",  # ...ending the message: not "can't go on Tuesday"
        "my brother has his rifle out and keeps saying there's no point",
        "asthma attack, ten puffs and no relief, sats 87% on the finger thing",
        "fell off his bike, brief LOC, GCS 13 now and vomiting",
        "calf was swollen all week, now haemoptysis and short of breath",
        "needled near the ribs this morning, now pleuritic chest pain",
        "mum is diabetic and seizing",
        "he can't cough or speak and he's grabbing his throat",
        "had a bowel accident and didn't even feel it, back's been bad all week",
        "employee found unresponsive in the van, snoring-type breathing",  # an incident report
        "he says there's a rope in his truck and he plans to use it after shift",
    ],
)
def test_clinical_shorthand_and_crisis_wording_are_red_flags(nlp, text):
    assert emergencies(nlp, text), text


@pytest.mark.parametrize(
    "text",
    [
        "my calf keeps seizing up after long runs",  # a cramp
        "I can't go on Tuesday, can we do Wednesday?",
        "the Leafs collapsed again last night, can I move my appointment",  # a figure of speech
        "hx self harm, would rather the practitioner not needle my forearms",  # history, in shorthand
        "colleague OD'd last yr, it's made me rethink my own pain meds",
        "I'm choking on my own schedule, any Sunday openings?",
        "sats 98% on my watch after the run, is that fine for IMS",
        "there's a rope in his truck for the tow, can he come at 3",
    ],
)
def test_shorthand_histories_and_figures_of_speech_are_no_red_flags(nlp, text):
    assert emergencies(nlp, text) == [], text


@pytest.mark.parametrize(
    "text",
    [
        # unsure what it is, not supposing it
        "can't tell whether she's drunk or took something, she won't respond and she's barely breathing",
        # "had to" is no history, "never happened before" is new
        "dont think its serious but I've had to wear a pad today, bladder leaking, never happened before, and sciatica both legs",
        # a what-if the message says is real, about the writer's own person
        "what if the leg in your cast is fat and sore and now you feel faint and breathless? asking because thats my son",
        # a correction that tells more is no what-if
        "every breath in is stabbing since the needling. sorry, meant to say I'm breathless walking too",
        # "cause" here is "because", not a risk
        "not sure who to ask, cause my face is drooping on one side and my arm is weak",
    ],
)
def test_uncertainty_an_obligation_or_a_confirmed_what_if_does_not_hide_an_emergency(nlp, text):
    assert emergencies(nlp, text), text


def test_a_hedge_the_message_turns_from_does_not_hold_back_the_reader(nlp):
    """ "I don't think it's X but..." denies the writer's verdict, not what is happening after the "but"."""
    text = (
        "I don't think it's a heart attack but my chest feels like an elephant is on it and my left arm aches"
    )
    intent, _, _ = guarded(nlp, text, [("out_of_scope", 0.6), ("needle_safety", 0.3)])
    assert intent == "emergency"


def test_a_joke_the_message_turns_from_does_not_hold_back_the_classifiers_emergency(nlp):
    """ "lol no seriously" ends the joke: the blood after it is happening, so the classifier's guess stands."""
    text = (
        "can needling help a cut lol no seriously i sliced my finger deep and it's pooling blood on the floor"
    )
    assert ("serious", "blood") in [(label, word) for word, label in symptom_words(nlp, text)]
    intent, _, _ = guarded(nlp, text, [("emergency", 0.6), ("out_of_scope", 0.3)])
    assert intent == "emergency"
    assert symptom_words(nlp, "lol i'm pooling blood on the floor") == []  # the joke not turned from


@pytest.mark.parametrize(
    "text",
    [
        "the cut on my finger isn't bleeding anymore, it stopped right away, can I still come?",
        "my grandad died of a heart attack so I'm anxious about chest stuff",  # a death is history
    ],
)
def test_the_classifiers_emergency_does_not_stand_on_a_denied_or_past_symptom(nlp, text):
    intent, _, _ = guarded(nlp, text, [("emergency", 0.6), ("out_of_scope", 0.3)])
    assert intent == "out_of_scope"


@pytest.mark.parametrize(
    "text",
    [
        # what someone says, reported in the grammar of English as a second language, is no what-if
        "my husband have very bad dizziness since 20 minutes, he cannot stand, he say he see double",
        "my father is shaking since 10 minute, he has epilepsy but normally it stop in 1 minute",
        "after the car accident my friend speak slurred and one arm is weak",
        "my son 3 years drink from bottle of windshield washer, now he is acting not normal",
        "uncle he sit on sofa and suddenly go down, eyes open but no answer",
        # a now-word opening the sentence: new, not how walking always goes
        "I am treated for cancer in the past. Now pain in middle of back and my legs are giving way when I walk",
        "my mom has cancer that spread to her bones and shes dragging her legs",
        # "have had ... for days" has lasted until now
        "I feel like im dying ive had an infection for days",
    ],
)
def test_second_language_grammar_and_dictated_words_still_say_an_emergency(nlp, text):
    assert emergencies(nlp, text), text


@pytest.mark.parametrize(
    "text",
    [
        "Before I had overdose, 4 years ago, now I am clean and in recovery. Is okay to have acupuncture?",
        "I had self harm in past, scars on my arm. I want treatment for wrist",
        "my aunty had stroke and cannot use her left hand since 2 years. do you do home visit?",
        "I've had a stroke, I want acupuncture for the weak arm",  # "have had" with no "for days": history
        "my son has epilepsy, his hands were shaking for a minute after his last session years ago",
    ],
)
def test_a_history_dated_in_second_language_grammar_is_no_emergency(nlp, text):
    assert emergencies(nlp, text) == [], text


@pytest.mark.parametrize(
    "text",
    [
        # a quoted list of signs, then "I have exactly that"
        "read online that dry needling can collapse a lung, signs are sharp pain breathing in and short of "
        "breath. had IMS this morning and now I have exactly that",
        # a spaced dash ends the what-if the quote began
        "first aid site says if they cant cough or speak its serious - my dad is choking on steak, can't talk",
        "bad back for a week and haven't managed to pee all day even though I need to",
        "roommate burning up, can't touch chin to chest, confused",
        "kidney cancer, pain stops me sleeping, now unsteady and can't feel my feet",
        "son stepped on a nail, deep hole in his foot, still pouring after 10 min pressing hard",
        "he's been saying he's a burden for weeks, and he just gave me his dog",
        "no feeling during sex since yesterday and numb buttocks, on top of my back pain",
    ],
)
def test_signs_told_after_a_quoted_list_are_still_an_emergency(nlp, text):
    assert emergencies(nlp, text), text


@pytest.mark.parametrize(
    "text",
    [
        "husband read me the heart attack signs - no arm pain, no sweating. just heartburn after pizza",
        "symptom checker asked about chest pain and breathlessness, both no. just a pulled pec",
        "a left-sided headache when I read, is acupuncture good for that?",  # a hyphen inside a word
    ],
)
def test_a_list_of_signs_read_out_or_asked_about_is_no_emergency(nlp, text):
    assert emergencies(nlp, text) == [], text


@pytest.mark.parametrize(
    "text",
    [
        # a treatment question, then the next sentence says it began minutes ago
        "can acupuncture help with chest pressure? it started 20 min ago, my left arm is aching",
        # one side's arm and leg named apart
        "physio for leg weakness? my left leg and left arm just went numb together while i was cooking",
        # jumbled speech beside a weak hand
        "she's been mixing up her words since lunch and can't hold her cup in her right hand",
        # a risk the message turns from: "... but now"
        "I know tramadol can make it hard to pee but now I'm numb around my backside too and both legs tingle",
        "sciatica down both legs now and the toilet paper feels like it isn't touching",
        "my wife's hands went weak and clumsy today, she had breast cancer 3 yrs ago",
        # breathless: "not breathe well" is no denial
        "is it normal to not breathe well after acupuncture on the upper back? can barely finish a sentence now",
    ],
)
def test_an_emergency_told_inside_a_treatment_question_or_a_joke_is_still_an_emergency(nlp, text):
    assert emergencies(nlp, text), text


@pytest.mark.parametrize(
    "text",
    [
        "pain going down my left arm from my neck, is IMS good for that?",  # no heart sign beside it
        "my grandad had a stroke 2 years ago and still slurs his words a bit, can acupuncture help?",
        "my toddler mixes up his words, is that normal?",
        "since chemo my hands are weak and clumsy, can acupuncture help with that?",
        "can acupuncture help with chest tightness? it started after covid last year",
        "my roommate got meningitis in freshman year, is it contagious through needles?",
        "we're doing the suicide wing challenge at the pub after my appointment haha",
    ],
)
def test_referred_pain_what_a_stroke_left_behind_and_old_illnesses_are_no_emergency(nlp, text):
    assert emergencies(nlp, text) == [], text


@pytest.mark.parametrize(
    "text",
    [
        "man in your waiting room slumped over and isn't breathing normally",  # "normally" is no all-clear
        "after the bee sting he's gone pale and clammy and really sleepy, his lips look fat",
        "bad back since lifting the patio stones, now she's numb down below and leaking",
        "I know tramadol can make it hard to pee but now I'm numb around my backside",
        "had a stroke last year and my left side is weak again",  # "again": new
        "dad had a stroke last year but this morning his face drooped and he cant lift his arm",
    ],
)
def test_signs_in_ordinary_words_after_a_history_or_a_turn_are_still_an_emergency(nlp, text):
    assert emergencies(nlp, text), text


@pytest.mark.parametrize(
    "text",
    [
        "looking for rehab after a stroke, my left side is weak",  # what the stroke left behind
        "neighbour got sepsis after a knee replacement. Do you sterilise the needles?",
        "my inbox is overdosing on spam, did you send the confirmation?",
        "my leg is numb down below the knee from sciatica",
        "my lips look fat after the filler lol",  # no sting, food or medicine beside it
    ],
)
def test_what_a_stroke_left_behind_someone_elses_illness_and_figures_are_no_emergency(nlp, text):
    assert emergencies(nlp, text) == [], text


@pytest.mark.parametrize(
    "text",
    [
        "hey got home and there's still a needle in my knee lol what do i do",
        "found an acupuncture needle in her ankle hours after her appointment",
        "on the pill, left calf sore and puffy for 2 days",
    ],
)
def test_a_needle_left_in_or_a_sore_puffy_calf_is_a_same_day_sign(nlp, text):
    doc = nlp(text)
    assert [span.label_ for span in doc.spans[FOUND]] == ["urgent"], text
