"""Rate limits count events per key in a sliding window, and forget the oldest keys first."""

from __future__ import annotations

from clinic.limits import SlidingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_its_limit_then_waits_for_the_window_to_slide():
    clock = Clock()
    window = SlidingWindow(3, 60, clock=clock)
    assert [window.take("patient") for _ in range(4)] == [True, True, True, False]
    assert window.retry_after("patient") == 60
    clock.now += 59
    assert not window.take("patient")
    clock.now += 1
    assert window.take("patient") and window.retry_after("patient") == 0


def test_keys_are_counted_apart():
    window = SlidingWindow(1, 60)
    assert window.take("one") and window.take("two")
    assert not window.take("one")


def test_a_forgotten_key_starts_afresh():
    window = SlidingWindow(2, 900)
    assert window.take("frontdesk") and window.take("frontdesk")
    assert not window.take("frontdesk") and window.retry_after("frontdesk") == 900
    window.forget("frontdesk")
    assert window.take("frontdesk")


def test_zero_means_no_limit():
    window = SlidingWindow(0, 60)
    assert all(window.take("bench") for _ in range(1000))
    assert window.retry_after("bench") == 0


def test_only_the_most_recent_keys_are_remembered():
    window = SlidingWindow(1, 60, max_keys=2)
    for key in ("a", "b", "c"):
        window.take(key)
    assert window.take("a")  # forgotten, so it starts afresh
    assert not window.take("c")


def test_looking_keys_up_never_pushes_out_a_key_that_holds_events():
    window = SlidingWindow(1, 900, max_keys=2)
    window.take("frontdesk")
    for n in range(100):  # a flood of made-up usernames, looked up
        assert window.retry_after(f"guess{n}") == 0
    assert window.retry_after("frontdesk") == 900 and not window.take("frontdesk")


def test_an_event_can_be_given_back():
    window = SlidingWindow(2, 60)
    window.take("office")
    window.take("office")
    window.give_back("office")
    assert window.take("office") and not window.take("office")
