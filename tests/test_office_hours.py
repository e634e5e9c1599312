"""When the front desk will see a request, from the clinic's office hours and time zone."""

from datetime import datetime

import pytest

from actions.office_hours import desk_reopens

NEARBY_DAYS = ["today", "tomorrow"]  # as content/booking.yml names them
CLINIC = {
    "time_zone": "America/Vancouver",
    "office_hours": {d: "08:00-19:00" for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": "09:00-14:00"},
}


@pytest.mark.parametrize(
    "utc, expected",
    [
        ("2026-11-25T20:00:00+00:00", None),  # Wednesday 12:00 in Vancouver: open
        ("2026-11-25T05:00:00+00:00", ("tomorrow", "8:00 am")),  # Tuesday 21:00
        ("2026-11-25T14:00:00+00:00", ("today", "8:00 am")),  # Wednesday 6:00
        ("2026-11-28T23:30:00+00:00", ("Monday", "8:00 am")),  # Saturday 15:30, closed Sunday
        ("2026-11-28T16:00:00+00:00", ("today", "9:00 am")),  # Saturday 8:00, opens at 9:00
    ],
)
def test_the_desk_is_open_or_says_when_it_reopens(utc, expected):
    assert desk_reopens(datetime.fromisoformat(utc), CLINIC, NEARBY_DAYS) == expected


def test_without_office_hours_the_desk_counts_as_open():
    assert (
        desk_reopens(datetime.fromisoformat("2026-11-25T05:00:00+00:00"), {"time_zone": "UTC"}, NEARBY_DAYS)
        is None
    )
