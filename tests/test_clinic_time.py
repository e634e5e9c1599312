"""The clinic's local time everywhere (clinic.yml `time_zone`): the pages read like the clinic's clock,
the API sends ISO 8601 with the offset, and staff type appointment times in clinic time (#17)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from api import store
from api.clinic_time import clinic_zone, in_clinic_time, parse_local
from api.db import connect
from api.rendering import when
from clinic.facts import ClinicConfigError
from tests.conftest import project_file
from tests.test_staff_pages import csrf_of, log_in

VANCOUVER = ZoneInfo("America/Vancouver")


def received_at(api_settings, handoff_id, moment):
    """Pretends the request arrived at `moment` (a UTC ISO time)."""
    db = connect(api_settings.handoffs_db)
    db.execute("update handoffs set created_at = ? where id = ?", [moment, handoff_id])
    db.execute("update handoff_history set at = ? where handoff_id = ?", [moment, handoff_id])
    db.conn.commit()


def test_a_request_received_at_0226_utc_was_the_evening_before_in_vancouver(
    api, api_settings, staff, hand_over
):
    handoff = hand_over()
    received_at(api_settings, handoff["id"], "2026-11-27T02:26:00+00:00")
    log_in(api, staff)

    body = api.get(f"/api/handoffs/{handoff['id']}", auth=staff).json()
    page = api.get(f"/staff/handoffs/{handoff['id']}").text

    assert body["created_at"] == "2026-11-26T18:26:00-08:00"
    assert body["history"][0]["at"] == "2026-11-26T18:26:00-08:00"
    assert "Thu 26 Nov 2026, 6:26 pm PST" in page
    assert '<time datetime="2026-11-26T18:26:00-08:00">' in page
    assert "UTC" not in page


def test_summer_times_carry_daylight_saving_time(api, api_settings, staff, hand_over):
    handoff = hand_over()
    received_at(api_settings, handoff["id"], "2026-07-01T16:05:00+00:00")

    body = api.get(f"/api/handoffs/{handoff['id']}", auth=staff).json()

    assert body["created_at"] == "2026-07-01T09:05:00-07:00"
    assert when("2026-07-01T16:05:00+00:00") == "Wed 1 Jul 2026, 9:05 am PDT"


def test_every_time_in_the_list_is_in_clinic_time(api, staff, hand_over):
    hand_over()

    item = api.get("/api/handoffs", auth=staff).json()["items"][0]

    for moment in (item["created_at"], item["updated_at"], item["history"][0]["at"]):
        parsed = datetime.fromisoformat(moment)
        assert parsed.utcoffset() == parsed.astimezone(VANCOUVER).utcoffset()


def test_the_assistant_gets_clinic_time_back_too_and_a_retry_gets_the_same_bytes(api, bot, hand_over):
    body = {
        "kind": "question",
        "name": "Ari",
        "contact": "ari@example.com",
        "contact_type": "email",
        "question": "Open on Sunday?",
        "consent": True,
    }
    first = api.post("/api/handoffs", json=body, headers={**bot, "Idempotency-Key": "k-1"})
    again = api.post("/api/handoffs", json=body, headers={**bot, "Idempotency-Key": "k-1"})

    assert first.content == again.content
    assert first.json()["created_at"].endswith(("-08:00", "-07:00"))


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("2026-12-01T09:30", "2026-12-01T17:30:00+00:00"),  # from <input type=datetime-local>: clinic time
        ("2026-07-01 09:30", "2026-07-01T16:30:00+00:00"),  # summer
        ("2026-12-01T09:30:00-05:00", "2026-12-01T14:30:00+00:00"),  # an explicit offset wins
    ],
)
def test_appointment_times_typed_by_staff_are_clinic_time(typed, stored):
    assert store.timestamp(parse_local(typed, VANCOUVER)) == stored


def test_a_booking_appointment_goes_into_the_api_in_clinic_time(api, staff, hand_over):
    handoff = hand_over()
    api.patch(f"/api/handoffs/{handoff['id']}", json={"status": "contacted"}, auth=staff)

    body = api.patch(
        f"/api/handoffs/{handoff['id']}",
        json={"status": "booked", "appointment_at": "2026-12-01T09:30:00"},
        auth=staff,
    ).json()

    assert body["appointment_at"] == "2026-12-01T09:30:00-08:00"


def test_a_time_zone_that_does_not_exist_fails_with_a_fix_it_message(tmp_path):
    clinic = tmp_path / "clinic.yml"
    example = project_file("clinic.yml").read_text()
    clinic.write_text(example.replace("America/Vancouver", "America/Atlantis"))

    with pytest.raises(ClinicConfigError, match="time_zone .* 'America/Atlantis'.*America/Vancouver"):
        clinic_zone(clinic)


def test_nested_notes_and_history_are_converted_with_the_request():
    record = {
        "created_at": "2026-11-27T02:26:00+00:00",
        "name": "2026-11-27T02:26:00+00:00",  # not a time field: left as written
        "notes": [{"at": "2026-11-27T02:30:00+00:00", "text": "x"}],
        "history": [{"at": "2026-11-27T02:26:00+00:00", "to": "new"}],
    }

    local = in_clinic_time(record, VANCOUVER)

    assert local["created_at"] == "2026-11-26T18:26:00-08:00"
    assert local["name"] == "2026-11-27T02:26:00+00:00"
    assert local["notes"][0]["at"] == "2026-11-26T18:30:00-08:00"
    assert local["history"][0]["at"] == "2026-11-26T18:26:00-08:00"


def test_the_booking_form_takes_the_appointment_in_clinic_time(api, staff, hand_over):
    handoff = hand_over()
    api.patch(f"/api/handoffs/{handoff['id']}", json={"status": "contacted"}, auth=staff)
    log_in(api, staff)
    page = api.get(f"/staff/handoffs/{handoff['id']}")
    assert '<input id="appointment_at" name="appointment_at" type="datetime-local">' in page.text

    after = api.post(
        f"/staff/handoffs/{handoff['id']}",
        data={"csrf": csrf_of(page), "status": "booked", "appointment_at": "2026-12-01T09:30"},
    )

    assert "Saved." in after.text
    assert "Tue 1 Dec 2026, 9:30 am PST" in after.text
    assert 'value="2026-12-01T09:30"' in after.text  # to move it, the field starts where it is
