"""The inbox shows what is needed to act (#17): the phone as the front desk dials it, the question's
first words, who is calling whom, and the same patient's other requests; it updates itself."""

from __future__ import annotations

import pytest

from api.phone_numbers import contact_key, for_display
from api.rendering import first_words
from tests.test_staff_pages import csrf_of, log_in


@pytest.mark.parametrize(
    "stored, shown",
    [
        ("+16045550166", "604-555-0166"),
        ("604 555 0166", "604-555-0166"),
        ("(604) 555-0166", "604-555-0166"),
        ("+14165550123", "416-555-0123"),
        ("+12065550100", "206-555-0100"),  # Seattle: the same +1
        ("+442079460958", "+44 20 7946 0958"),  # abroad: with the country code, to dial it
        ("not a number", "not a number"),
    ],
)
def test_phones_are_shown_the_way_the_front_desk_dials_them(stored, shown):
    assert for_display(stored) == shown


@pytest.mark.parametrize(
    "contact, contact_type, key",
    [
        ("604 555 0166", "phone", "+16045550166"),
        ("+1 (604) 555-0166", "phone", "+16045550166"),
        ("Sam.Okafor@Example.COM", "email", "sam.okafor@example.com"),
    ],
)
def test_one_key_per_patient_whatever_the_format(contact, contact_type, key):
    assert contact_key(contact, contact_type) == key


def test_a_long_question_shows_its_first_words_cut_at_a_word():
    question = (
        "Do you direct bill Pacific Blue Cross for acupuncture, and how many sessions does it cover a year?"
    )

    assert first_words(question) == "Do you direct bill Pacific Blue Cross for acupuncture, and…"
    assert first_words("Open Sundays?") == "Open Sundays?"


def test_the_list_shows_phone_question_and_dialable_link(api, staff, hand_over):
    hand_over(contact="+16045550166")
    hand_over(
        kind="question",
        therapy=None,
        name="Quinn",
        contact="quinn@example.com",
        contact_type="email",
        question="Do you direct bill Pacific Blue Cross for acupuncture, and how many sessions does it cover?",
    )
    log_in(api, staff)

    page = api.get("/staff").text

    assert '<a href="tel:+16045550166">604-555-0166</a>' in page
    assert "+16045550166</a>" not in page
    assert "Question:</span> Do you direct bill Pacific Blue Cross for acupuncture, and…" in page
    assert '<th scope="col">Phone or email</th>' in page


def test_requests_from_the_same_phone_or_email_are_linked(api, staff, hand_over):
    first = hand_over(contact="604 555 0142")
    second = hand_over(contact="(604) 555-0142")
    latest = hand_over(contact="+16045550142")
    other = hand_over(contact="+17785550100")
    by_email = [
        hand_over(contact=address, contact_type="email") for address in ("kim@example.com", "KIM@example.com")
    ]
    log_in(api, staff)

    inbox = api.get("/staff").text
    latest_page = api.get(f"/staff/handoffs/{latest['id']}").text
    first_page = api.get(f"/staff/handoffs/{first['id']}").text
    other_page = api.get(f"/staff/handoffs/{other['id']}").text

    assert f'href="/staff/handoffs/{latest["id"]}#same-patient">2 earlier requests</a>' in inbox
    assert f'href="/staff/handoffs/{first["id"]}#same-patient">2 later requests</a>' in inbox
    assert f'href="/staff/handoffs/{by_email[1]["id"]}#same-patient">1 earlier request</a>' in inbox
    assert first["reference"] in latest_page and second["reference"] in latest_page
    assert latest_page.index(second["reference"]) < latest_page.index(first["reference"])  # newest first
    assert latest["reference"] in first_page
    assert "No other requests from this phone number or email." in other_page


# Claims: "I'm calling this patient"


def claim(api, staff, handoff):
    return api.put(f"/api/handoffs/{handoff['id']}/claim", auth=staff)


@pytest.fixture
def colleague(api_settings):
    from api import store
    from api.auth import hash_password
    from api.db import connect

    with connect(api_settings.handoffs_db) as db:
        store.add_staff(db, username="kim", password_hash=hash_password("another long password"))
    return ("kim", "another long password")


def test_a_claim_shows_who_is_calling_and_a_colleague_cannot_take_it(api, staff, colleague, hand_over):
    handoff = hand_over()

    mine = claim(api, staff, handoff)
    again = claim(api, staff, handoff)
    theirs = claim(api, colleague, handoff)

    assert mine.status_code == 200 and mine.json()["claimed_by"] == "frontdesk"
    assert mine.json()["claimed_at"] is not None
    assert again.status_code == 200  # claiming your own again changes nothing
    assert theirs.status_code == 409
    assert theirs.json() == {
        "detail": "frontdesk has claimed this request: ask them, or release their claim first"
    }
    assert [h["what"] for h in again.json()["history"]] == ["created", "claimed"]


def test_anyone_can_release_a_claim_and_the_history_says_whose(api, staff, colleague, hand_over):
    handoff = hand_over()
    claim(api, staff, handoff)

    released = api.delete(f"/api/handoffs/{handoff['id']}/claim", auth=colleague).json()
    taken = claim(api, colleague, handoff).json()

    assert released["claimed_by"] is None
    assert (released["history"][-1]["who"], released["history"][-1]["from"]) == ("kim", "frontdesk")
    assert taken["claimed_by"] == "kim"


def test_finishing_a_request_ends_its_claim_and_a_finished_one_cannot_be_claimed(api, staff, hand_over):
    handoff = hand_over()
    claim(api, staff, handoff)

    closed = api.patch(
        f"/api/handoffs/{handoff['id']}", json={"status": "closed", "close_reason": "no_answer"}, auth=staff
    ).json()
    refused = claim(api, staff, handoff)

    assert closed["claimed_by"] is None
    assert refused.status_code == 409 and "reopen it to claim it" in refused.json()["detail"]


def test_the_inbox_and_the_page_show_the_claim_and_the_page_claims_and_releases(
    api, staff, colleague, hand_over
):
    handoff = hand_over()
    log_in(api, staff)
    page = api.get(f"/staff/handoffs/{handoff['id']}")
    assert "I’m calling this patient</button>" in page.text

    claimed = api.post(
        f"/staff/handoffs/{handoff['id']}/claim", data={"csrf": csrf_of(page), "action": "claim"}
    )
    inbox = api.get("/staff").text
    forged = api.post(f"/staff/handoffs/{handoff['id']}/claim", data={"csrf": "forged", "action": "release"})

    assert "Claimed: colleagues see that you are calling." in claimed.text
    assert "You are calling this patient" in claimed.text
    assert '<span class="claimed">You calling</span>' in inbox
    assert "That form had expired" in forged.text
    assert api.get(f"/api/handoffs/{handoff['id']}", auth=staff).json()["claimed_by"] == "frontdesk"

    log_in(api, colleague)
    theirs = api.get(f"/staff/handoffs/{handoff['id']}")
    assert "frontdesk is calling this patient" in theirs.text
    refused = api.post(
        f"/staff/handoffs/{handoff['id']}/claim", data={"csrf": csrf_of(theirs), "action": "claim"}
    )
    assert "frontdesk has claimed this request" in refused.text
    released = api.post(
        f"/staff/handoffs/{handoff['id']}/claim", data={"csrf": csrf_of(refused), "action": "release"}
    )
    assert "Released: anyone can call this patient now." in released.text
    assert "released frontdesk’s claim" in released.text


# The live inbox: polling with an ETag


def test_a_quiet_inbox_answers_a_poll_with_304_and_a_new_request_changes_it(api, staff, hand_over):
    hand_over()
    log_in(api, staff)
    first = api.get("/staff", headers={"X-Inbox-Poll": "1"})
    etag = first.headers["etag"]

    quiet = api.get("/staff", headers={"X-Inbox-Poll": "1", "If-None-Match": etag})
    arrived = hand_over(name="Just Arrived")
    changed = api.get("/staff", headers={"X-Inbox-Poll": "1", "If-None-Match": etag})

    assert quiet.status_code == 304 and quiet.content == b""
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert arrived["reference"] in changed.text
    assert "<title>(2) Inbox · Clinic assistant</title>" in changed.text


def test_each_filter_has_its_own_etag_and_a_claim_or_note_changes_it(api, staff, hand_over):
    handoff = hand_over()
    log_in(api, staff)
    everything = api.get("/staff").headers["etag"]
    questions = api.get("/staff?kind=question").headers["etag"]

    claim(api, staff, handoff)
    after_claim = api.get("/staff").headers["etag"]
    api.patch(f"/api/handoffs/{handoff['id']}", json={"note": "Voicemail"}, auth=staff)
    after_note = api.get("/staff").headers["etag"]

    assert len({everything, questions, after_claim, after_note}) == 4


def test_a_poll_leaves_the_message_for_the_page(api, staff, hand_over):
    handoff = hand_over()
    log_in(api, staff)
    page = api.get(f"/staff/handoffs/{handoff['id']}")
    api.post(
        f"/staff/handoffs/{handoff['id']}",
        data={"csrf": csrf_of(page), "note": "x"},
        follow_redirects=False,
    )

    polled = api.get("/staff", headers={"X-Inbox-Poll": "1"})
    shown = api.get(f"/staff/handoffs/{handoff['id']}")

    assert "Saved." not in polled.text and "Saved." in shown.text


def test_the_title_counts_new_requests_and_the_poll_needs_a_session(api, staff, hand_over):
    for _ in range(3):
        hand_over()
    anonymous = api.get("/staff", headers={"X-Inbox-Poll": "1"}, follow_redirects=False)
    log_in(api, staff)

    page = api.get("/staff").text

    assert anonymous.status_code == 303
    assert "<title>(3) Inbox · Clinic assistant</title>" in page
    assert '<script src="/static/inbox.js" defer></script>' in page
    assert 'data-poll-seconds="10"' in page
