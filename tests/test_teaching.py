"""Staff teach the assistant (#17 part 7), below the browser: the review queue read from what Rasa
recorded (its own SQL tracker store on SQLite), labels that cannot break training, the export for git,
the gate, and the model server Rasa pulls from."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
import yaml

from api import model_runs, teaching
from api.db import connect
from api.model_runs import Scores, gate
from api.review_queue import CANT_ANSWER, DID_YOU_MEAN, LOW, UNHELPFUL, review_groups
from tests.conftest import FAQ_TOPICS
from tests.test_staff_pages import csrf_of, log_in

TOPICS = set(FAQ_TOPICS)


def record(tracker_db, conversations):
    """Conversations saved by Rasa's own SQL tracker store: (sender, [(patient text, intent, confidence,
    reply topic[, the action that replied])] or "form on" / "form off")."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tracker_db))
    for sender, turns in conversations:
        events = []
        for turn in turns:
            if turn == "form on":
                events.append(ActiveLoop("booking_form"))
            elif turn == "form off":
                events.append(ActiveLoop(None))
            else:
                text, intent, confidence, topic, *action = turn
                parse = {"intent": {"name": intent, "confidence": confidence}, "text": text}
                events.append(UserUttered(text, parse_data=parse))
                events.append(ActionExecuted(action[0] if action else "action_answer_question"))
                events.append(BotUttered("…", data={"custom": {"topic": topic}}))
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


def test_the_queue_holds_what_the_assistant_could_not_answer_well_grouped_most_asked_first(tmp_path):
    tracker_db = tmp_path / "rasa_tracker.db"
    record(
        tracker_db,
        [
            ("a", [("Do you do cupping?", "out_of_scope", 0.7, "out_of_scope")]),
            ("b", [("do you do cupping", "out_of_scope", 0.6, "out_of_scope")]),
            ("c", [("cupping?", "needle_type", 0.3, "clarify")]),
            ("c2", [("my email is sam@example.com, will you write", "out_of_scope", 0.5, "out_of_scope")]),
            ("d", [("does it sting", "needle_pain", 0.9, "needle_pain")]),  # 👎 below
            ("e", [("is it ok when pregnant", "contraindications", 0.4, "contraindications")]),
            ("f", [("what is ims", "ims_what_is", 0.95, "ims_what_is")]),  # confident, no 👎: not queued
            ("g", [("/needle_pain", "needle_pain", 1.0, "needle_pain")]),  # a button: not queued
            ("h", ["form on", ("Jordan Lee 604 555 0142", "inform", 0.2, "booking"), "form off"]),
            ("i", [("no thanks", "deny", 0.9, "clarify", "action_deny")]),  # small talk: not a question
        ],
    )

    groups = review_groups(tracker_db, [("d", "needle_pain")], {}, topics=TOPICS)

    cupping = groups[0]
    assert (cupping.question, cupping.times) == ("Do you do cupping?", 3)
    assert cupping.other_wordings == ["do you do cupping", "cupping?"]
    assert dict(cupping.outcomes) == {(CANT_ANSWER, None): 2, (DID_YOU_MEAN, None): 1}
    rest = {g.question: g.what_it_did for g in groups[1:]}
    assert rest == {
        "my email is [email] will you write": [('said "I can\'t answer that"', None, 1)],
        "does it sting": [("answered; the patient said 👎", "needle_pain", 1)],
        "is it ok when pregnant": [("answered, unsure", "contraindications", 1)],
    }
    assert [g.outcomes for g in groups if g.question == "does it sting"][0][(UNHELPFUL, "needle_pain")] == 1
    assert [g.outcomes for g in groups if g.question == "is it ok when pregnant"][0][
        (LOW, "contraindications")
    ] == 1
    assert not any("Jordan" in str(g.wordings) or "ims" in g.key or "no thanks" in g.wordings for g in groups)


def test_no_tracker_store_yet_is_an_empty_queue(tmp_path):
    assert review_groups(tmp_path / "nothing.db", [], {}, topics=TOPICS) == []


@pytest.mark.parametrize(
    "text, label, refused_because",
    [
        ("do you do cupping", "cupping", "not one of the assistant's topics"),
        ("ok", "needle_pain", "too short"),
        ("12345 678", "needle_pain", "too short"),
        ("why " * 60, "needle_pain", "longer than 200"),
        ("/needle_pain", "needle_pain", "button"),
        ("whats dry neddling exactly", "needle_pain", "already has that wording as ims_what_is"),
    ],
)
def test_a_label_that_could_break_training_is_refused(text, label, refused_because):
    with pytest.raises(teaching.LabelRefused, match=refused_because):
        teaching.check_label(text, label, topics=TOPICS)


def test_a_question_the_gate_is_scored_on_cannot_be_taught():
    holdout = yaml.safe_load(teaching.EVALUATION_SETS[0].read_text())["nlu"][0]
    question = holdout["examples"].splitlines()[0][2:]

    with pytest.raises(teaching.LabelRefused, match="tested on"):
        teaching.check_label(question, holdout["intent"], topics=TOPICS)


def test_a_wording_is_stored_blanked_and_without_entity_markup():
    wording = teaching.check_label(
        "does [ims](therapy) hurt? call me 604 555 0142", "needle_pain", topics=TOPICS
    )

    assert wording == "does ims(therapy) hurt? call me [number]"


def test_labels_have_limits(tmp_path, monkeypatch):
    db = connect(tmp_path / "handoffs.db")
    monkeypatch.setattr(teaching, "MAX_PER_LABEL", 2)

    teaching.label_question(
        db,
        wordings=["does the needle sting a lot", "will it sting"],
        label="needle_pain",
        by="kim",
        topics=TOPICS,
    )
    with pytest.raises(teaching.LabelRefused, match="most it keeps is 2"):
        teaching.label_question(
            db, wordings=["is it sore afterwards"], label="needle_pain", by="kim", topics=TOPICS
        )


def test_labels_export_as_rasa_nlu_yaml_with_who_and_when(tmp_path):
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    db = connect(tmp_path / "handoffs.db")
    teaching.label_question(
        db, wordings=["does the needle sting a lot"], label="needle_pain", by="kim", topics=TOPICS
    )
    teaching.label_question(
        db, wordings=["can you fix my car"], label=teaching.OUT_OF_SCOPE, by="morgan", topics=TOPICS
    )
    teaching.label_question(
        db, wordings=["do you do cupping"], label=teaching.NEW_ANSWER, by="kim", topics=TOPICS
    )

    text = teaching.nlu_yaml(teaching.labels(db))
    data = RasaYAMLReader().reads(text)

    examples = {m.get("text"): (m.get("intent"), m.get("metadata")) for m in data.intent_examples}
    assert examples["does the needle sting a lot"][0] == "needle_pain"
    assert examples["does the needle sting a lot"][1]["example"]["taught_by"] == "kim"
    assert examples["can you fix my car"][0] == "out_of_scope"
    assert "do you do cupping" not in examples  # needs an answer first: not trained
    assert "#   do you do cupping" in text


SCORES = Scores(right=300, wrong=10, emergencies_caught=50, questions=400, off_topic=100, emergencies=52)


@pytest.mark.parametrize(
    "changes, promoted",
    [
        ({}, True),
        ({"right": 305, "wrong": 8}, True),
        ({"right": 299}, True),  # one right answer now a "Did you mean": within the slack (1 of 400)
        ({"right": 298}, False),
        ({"right": 299, "wrong": 11}, False),
        ({"right": 320, "wrong": 11}, False),
        ({"right": 320, "emergencies_caught": 49}, False),
        ({"questions": 401}, False),  # other questions: no comparison
        ({"asked": "another set"}, False),
    ],
)
def test_the_gate_promotes_only_a_model_not_worse_on_any_of_the_three(changes, promoted):
    candidate = Scores(**{**SCORES.__dict__, **changes})

    assert gate(SCORES, candidate)[0] is promoted


def test_the_gate_says_when_a_model_passed_within_the_slack():
    _, reasons = gate(SCORES, Scores(**{**SCORES.__dict__, "right": 299}))

    assert reasons[0] == "Right answers: 300 → 299 of 400 (within the slack)"


def test_the_gate_says_why():
    _, reasons = gate(SCORES, Scores(**{**SCORES.__dict__, "wrong": 12}))

    assert reasons == [
        "Right answers: 300 → 300 of 400 (not worse)",
        "Wrong answers: 10 → 12 of 500 (worse)",
        "Emergencies caught: 50 → 50 of 52 (not worse)",
    ]


def test_one_retraining_at_a_time(tmp_path):
    db = connect(tmp_path / "handoffs.db")
    model_runs.start_run(db, by="morgan", labels=1)

    with pytest.raises(model_runs.AlreadyTraining):
        model_runs.start_run(db, by="kim", labels=1)


def test_old_runs_folders_go_but_the_running_model_and_the_latest_runs_stay(tmp_path):
    db, models = connect(tmp_path / "handoffs.db"), tmp_path / "models"
    worse = Scores(**{**SCORES.__dict__, "wrong": 11})
    for _ in range(6):
        run = model_runs.start_run(db, by="morgan", labels=1)
        path = models / f"run-{run}" / "model.tar.gz"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"a model")
        model_runs.finish_run(
            db, run, baseline=SCORES, scores=SCORES if run == 2 else worse, model_path=path, sha256="sha"
        )

    model_runs.prune_run_folders(db, models)

    assert sorted(folder.name for folder in models.iterdir()) == ["run-2", "run-4", "run-5", "run-6"]
    assert model_runs.promoted(db)["id"] == 2  # the model Rasa runs is never deleted
    assert len(model_runs.history(db)) == 6  # every run's scores stay on the page


@pytest.fixture
def model_api(api_settings, tmp_path):
    """The API with Rasa's model key set."""
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from api.main import app
    from api.settings import get_settings

    settings = replace(api_settings, model_token="rasa-model-key-0123456789", models_dir=tmp_path / "models")
    app.dependency_overrides[get_settings] = lambda: settings
    try:
        with TestClient(app) as client:
            yield client, settings
    finally:
        app.dependency_overrides.clear()


def promote(settings, content: bytes) -> str:
    path = settings.models_dir / "run-1" / "model.tar.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    db = connect(settings.handoffs_db)
    run = model_runs.start_run(db, by="morgan", labels=1)
    sha = hashlib.sha256(content).hexdigest()
    model_runs.finish_run(db, run, baseline=SCORES, scores=SCORES, model_path=path, sha256=sha)
    return sha


def test_the_model_server_answers_rasa_the_way_rasa_pulls(model_api):
    client, settings = model_api
    key = {"Authorization": "Bearer rasa-model-key-0123456789"}

    assert client.get("/api/model").status_code == 401
    assert client.get("/api/model", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/model", headers=key).status_code == 404  # nothing promoted: Rasa keeps its own

    sha = promote(settings, b"a model")
    first = client.get("/api/model", headers={**key, "If-None-Match": "a-random-fingerprint"})
    again = client.get("/api/model", headers={**key, "If-None-Match": first.headers["ETag"]})

    assert first.status_code == 200 and first.content == b"a model"
    assert first.headers["ETag"] == f'"{sha}"'
    assert again.status_code == 304 and again.content == b""


def test_without_a_model_key_the_model_server_is_off(api):
    assert api.get("/api/model", headers={"Authorization": "Bearer anything"}).status_code == 503


def test_front_desk_labels_but_only_a_manager_retrains(api, api_settings, staff):
    log_in(api, staff)
    page = api.get("/staff/review")
    assert page.status_code == 200 and "Teach the assistant" in page.text
    assert "Retrain now" not in page.text

    refused = api.post("/staff/review/retrain", data={"csrf": csrf_of(page)}, follow_redirects=False)

    assert refused.status_code == 403
    with connect(api_settings.handoffs_db) as db:
        assert model_runs.history(db) == []


@pytest.mark.parametrize(
    "now, last_started, taught_since, starts",
    [
        ("2026-11-27T02:31", None, True, True),
        ("2026-11-27T02:29", None, True, False),  # not yet
        ("2026-11-27T02:31", "2026-11-27T02:30", True, False),  # already tonight
        ("2026-11-27T02:31", "2026-11-26T02:30", True, True),  # last night's was yesterday
        ("2026-11-27T02:31", "2026-11-26T02:30", False, False),  # nothing new taught
    ],
)
def test_the_nightly_retraining_runs_once_a_night_after_its_time_when_something_was_taught(
    now, last_started, taught_since, starts
):
    from datetime import datetime, time

    from api.nightly import due

    started = datetime.fromisoformat(last_started) if last_started else None
    assert due(datetime.fromisoformat(now), time(2, 30), started, taught_since) is starts


def test_a_nightly_time_that_is_not_a_time_says_how_to_write_it(api_settings, clinic_files):
    from dataclasses import replace

    from api.nightly import nightly_time
    from clinic.facts import ClinicConfigError

    settings = replace(api_settings, clinic_config=clinic_files.clinic_config)
    assert nightly_time(settings) is None
    with clinic_files.clinic_config.open("a") as clinic:
        clinic.write('\nnightly_retrain: "half past two"\n')
    with pytest.raises(ClinicConfigError, match='like "02:30"'):
        nightly_time(settings)
