"""Staff teach the assistant, end to end (#17 part 7): a patient's phrasing the model misses, labelled by a
front-desk colleague in the browser, "Retrain now" by the manager (the real pipeline, config.yml), the
gate, the running Rasa pulling the promoted model from the API without a restart, and the same
phrasing answered right, while a booking started before the switch carries on after it. A batch of
wrong labels makes a worse model, which the gate refuses.

Real processes throughout: Rasa, the action server and the API on free ports (Rasa asks the API for a
new model every 2 seconds), Chromium driven by Playwright, SQLite files in a temporary folder.
"""

from __future__ import annotations

import time

import httpx
import pytest

from api import teaching
from api.db import connect
from tests import test_browser
from tests.conftest import BOOKING, FAQ_TOPICS, add_staff_account, running_stack, say
from tests.test_browser import ask, last_reply, log_in, open_chat, screenshot, serious_violations

pytestmark = pytest.mark.e2e
# The chat tests' pages, on this module's stack (Chromium itself is conftest's `browser`).
new_page = test_browser.new_page
KIM = ("kim", "a long enough password")  # front desk
MORGAN = ("morgan", "the manager's long password")
MISSED = "can I drive home after the pins"  # not answered by the model `make train` builds
# "Did you mean ...?" or "I can't answer": both are queued, each shown as what the assistant did.
MISSED_GETS = {"clarify": 'asked "Did you mean …?"', "out_of_scope": 'said "I can\'t answer that"'}
RIGHT_TOPIC = "preparation_aftercare"
RETRAINING = 400  # seconds: training and scoring two models on a busy 2-core machine
# Wrong labels a tired colleague might give: questions about pain taught as cost and insurance.
WRONG_LABELS = [
    "will the needles hurt me a lot",
    "is ims painful for most people",
    "does acupuncture hurt much",
    "how much does the needling hurt",
    "are the needles going to be sore",
    "will I feel pain with the needles",
    "is it painful to get ims",
    "how painful is dry needling",
    "does ims hurt more than acupuncture",
    "is the needling going to be painful for me",
    "how bad is the pain from ims",
    "will acupuncture be painful",
    "do the acupuncture needles hurt going in",
    "is there much pain with dry needling",
    "does it hurt a lot",
    "is ims a painful treatment",
    "are acupuncture needles painful",
    "will the ims needles hurt",
    "does needling cause a lot of pain",
    "will the treatment be very painful",
    "how much will it hurt",
    "does the needle hurt when it goes in",
    "is acupuncture painful at all",
    "can ims be really painful",
    "do the needles sting",
    "does acupuncture sting",
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from running_stack(tmp_path_factory, "teach-loop", CLINIC_MODEL_PULL_SECONDS="2")


@pytest.fixture(scope="module")
def accounts(stack):
    add_staff_account(stack, KIM)
    add_staff_account(stack, MORGAN, manager=True)


def topic_of(stack, sender, message):
    return say(stack, sender, message)[-1]["custom"]["topic"]


def model_etag(stack):
    response = httpx.get(
        f"{stack.urls['api']}/api/model", headers={"Authorization": f"Bearer {stack.model_token}"}, timeout=30
    )
    return response.status_code, response.headers.get("ETag")


def retrain_in_the_browser(page):
    """The manager's "Retrain now", then the page reloaded until the run has its result."""
    page.goto("/staff/review")
    page.get_by_role("button", name="Retrain now").click()
    page.get_by_role("status").filter(has_text="Retraining started").first.wait_for()
    deadline = time.monotonic() + RETRAINING
    while time.monotonic() < deadline:
        result = page.locator("table[aria-label='Model history'] tbody tr").first.locator("td").nth(2)
        if result.inner_text() in ("Promoted", "Refused by the check", "Failed"):
            return result.inner_text()
        time.sleep(3)
        page.reload()
    raise AssertionError("The retraining did not finish in time")


def test_a_missed_phrasing_is_taught_in_the_browser_retrained_pulled_and_then_answered(
    new_page, stack, accounts
):
    patient = new_page()
    open_chat(patient)
    ask(patient, MISSED)
    missed_got = last_reply(patient).get_attribute("data-topic")
    assert missed_got in MISSED_GETS
    assert model_etag(stack) == (404, None)  # nothing promoted: Rasa runs the model it started with
    booking = "teach-loop-booking"
    for message in BOOKING[:2]:  # a booking begun before the switch: it asks for the name next
        reply = say(stack, booking, message)
    assert reply[-1]["custom"]["asks"] == "name"

    kim = new_page(bypass_csp=True)  # axe is injected as an inline script
    log_in(kim, KIM)
    kim.goto("/staff/review")
    row = kim.locator("tr", has_text=MISSED)
    assert MISSED_GETS[missed_got] in row.inner_text()
    row.get_by_label(f"What “{MISSED}” should have got").select_option(RIGHT_TOPIC)
    row.get_by_role("button", name=f"Teach: {MISSED}").click()
    kim.get_by_role("status").filter(has_text="Taught").wait_for()
    assert kim.get_by_role("button", name="Retrain now").count() == 0  # a manager's button
    assert serious_violations(kim) == []

    morgan = new_page()
    log_in(morgan, MORGAN)
    assert retrain_in_the_browser(morgan) == "Promoted"
    promoted_at = time.monotonic()
    assert "Right answers:" in morgan.locator("table[aria-label='Model history']").inner_text()

    deadline, tries = time.monotonic() + 60, 0
    while topic_of(stack, f"teach-loop-probe-{tries}", MISSED) != RIGHT_TOPIC:
        assert time.monotonic() < deadline, "Rasa did not pick the promoted model up"
        tries += 1
        time.sleep(0.5)
    print(f"answered right {time.monotonic() - promoted_at:.1f} s after the page showed Promoted")

    ask(patient, MISSED)  # the same patient, the same conversation
    assert last_reply(patient).get_attribute("data-topic") == RIGHT_TOPIC
    assert say(stack, booking, BOOKING[2])[-1]["custom"]["asks"] == "contact"  # the booking carries on
    assert model_etag(stack)[0] == 200


def test_a_worse_model_is_refused_by_the_gate_and_the_assistant_keeps_the_one_it_runs(
    new_page, stack, accounts
):
    _, running_before = model_etag(stack)
    with connect(stack.var_dir / "handoffs.db") as db:
        for wording in WRONG_LABELS:
            teaching.label_question(
                db, wordings=[wording], label="cost_insurance", by="kim", topics=set(FAQ_TOPICS)
            )

    morgan = new_page()
    log_in(morgan, MORGAN)
    assert retrain_in_the_browser(morgan) == "Refused by the check"
    assert "(worse)" in morgan.locator("table[aria-label='Model history'] tbody tr").first.inner_text()
    morgan.goto("/staff/review#models")
    screenshot(morgan, "staff-review.png")

    time.sleep(3)  # more than one pull
    assert model_etag(stack)[1] == running_before
    assert topic_of(stack, "teach-loop-after-refusal", "does acupuncture hurt much") == "needle_pain"
