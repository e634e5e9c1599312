"""Every way in that checks a staff password counts the try against the same lock-out, and the
assistant's own route never checks one: guessing there tells nothing and goes on nowhere."""

from __future__ import annotations

import base64

import pytest

BOOKING = {
    "kind": "booking",
    "name": "Jordan Lee",
    "contact": "604 555 0142",
    "contact_type": "phone",
    "therapy": "ims",
    "consent": True,
}
WRONG = "not the password at all"


def basic(username, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def hand_over_as(api, username, password):
    return api.post("/api/handoffs", json=BOOKING, headers=basic(username, password))


def what_a_guesser_sees(response):
    return response.status_code, response.json(), response.headers.get("www-authenticate")


def test_staff_credentials_on_the_assistants_route_tell_a_guesser_nothing(api, staff):
    right = hand_over_as(api, *staff)
    wrong = hand_over_as(api, staff[0], WRONG)
    nobody = hand_over_as(api, "nobody", WRONG)

    assert what_a_guesser_sees(right) == what_a_guesser_sees(wrong) == what_a_guesser_sees(nobody)
    assert what_a_guesser_sees(right) == (
        401,
        {"detail": "Send the assistant's token as 'Authorization: Bearer <token>'"},
        "Bearer",
    )


def test_guesses_on_the_assistants_route_are_never_checked_so_they_lock_nothing(api, staff):
    for _ in range(10):
        assert hand_over_as(api, staff[0], WRONG).status_code == 401

    assert api.get("/api/handoffs", auth=staff).status_code == 200


def lock_on_the_form(api, username):
    for _ in range(5):
        api.post("/staff/login", data={"username": username, "password": WRONG})


def lock_by_basic_on_the_api(api, username):
    for _ in range(5):
        api.get("/api/handoffs", auth=(username, WRONG))


def lock_by_basic_on_health(api, username):
    for _ in range(5):
        api.get("/healthz", auth=(username, WRONG))


@pytest.mark.parametrize("lock", [lock_on_the_form, lock_by_basic_on_the_api, lock_by_basic_on_health])
def test_a_locked_account_stays_locked_on_every_path_even_to_its_right_password(api, staff, lock):
    lock(api, staff[0])

    form = api.post("/staff/login", data={"username": staff[0], "password": staff[1]})
    listing = api.get("/api/handoffs", auth=staff)
    one = api.patch("/api/handoffs/1", json={"note": "called"}, auth=staff)
    health = api.get("/healthz", auth=staff)
    handing_over = hand_over_as(api, *staff)

    assert form.status_code == 429 and "Too many failed logins: try again in 15 minutes." in form.text
    for response in (listing, one, health):
        assert response.status_code == 429, response.request.url
        assert response.json()["detail"] == "Too many failed logins: try again in 15 minutes."
        assert int(response.headers["retry-after"]) > 800
    assert what_a_guesser_sees(handing_over) == what_a_guesser_sees(hand_over_as(api, staff[0], WRONG))


def test_wrong_passwords_count_together_whichever_path_they_come_by(api, staff):
    api.post("/staff/login", data={"username": staff[0], "password": WRONG})
    api.get("/api/handoffs", auth=(staff[0], WRONG))
    api.get("/healthz", auth=(staff[0], WRONG))
    api.post("/staff/login", data={"username": staff[0], "password": WRONG})
    api.get("/api/handoffs", auth=(staff[0], WRONG))

    assert api.get("/api/handoffs", auth=staff).status_code == 429
