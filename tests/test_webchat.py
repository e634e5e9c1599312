"""rasa-webchat 1.0.1, the widget most Rasa sites embed, against our real stack in a real browser.

Embedded as a clinic's web developer would embed it, on a page of the clinic's own site (its own origin,
allowed in CLINIC_ALLOWED_ORIGINS; tests/conftest.py's `site`): its npm package's standalone bundle
(build/webchat/, `make test` fetches it and checks its published integrity) and ten lines of set-up.
It must render every reply with its buttons, as our widget does.
"""

from __future__ import annotations

import pytest

from tests.conftest import page_at, running_stack

pytestmark = pytest.mark.e2e
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A clinic's page with rasa-webchat</title></head>
<body>
  <div id="webchat"></div>
  <script src="/rasa-webchat.js"></script>
  <script>
    WebChat.default({
      selector: "#webchat", initPayload: "/greet", socketUrl: "RASA_URL", socketPath: "/socket.io/",
      title: "Clinic", embedded: true, params: { storage: "local" }
    }, null);
  </script>
</body></html>
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory, site):
    _, origin = site
    yield from running_stack(tmp_path_factory, "webchat-stack", CLINIC_ALLOWED_ORIGINS=origin)


@pytest.fixture(scope="module")
def page(stack, site, browser):
    """One browser profile for the whole conversation, so that a reload keeps its localStorage."""
    folder, origin = site
    (folder / "index.html").write_text(PAGE.replace("RASA_URL", stack.urls["rasa"]), encoding="utf-8")
    page = page_at(browser, origin)
    page.goto("/index.html")
    return page


def replies(page):
    return page.locator(".rw-messages-container .rw-response:has(.rw-message-text)")


def type_message(page, text):
    before = replies(page).count()
    page.locator(".rw-new-message").fill(text)
    page.locator(".rw-send").click()
    replies(page).nth(before).wait_for()
    return replies(page).nth(before)


def buttons(page):
    return [title.strip() for title in page.locator(".rw-replies .rw-reply").all_inner_texts()]


def test_the_greeting_is_rendered(page):
    greeting = replies(page).first
    greeting.wait_for()
    assert "automated assistant" in greeting.inner_text()


def test_an_answer_is_rendered_with_its_quick_replies(page):
    answer = type_message(page, "does dry needling hurt?")
    assert "atraumatic" in answer.inner_text()
    page.locator(".rw-replies .rw-reply").first.wait_for()
    assert "What if I'm afraid of needles?" in buttons(page)


def test_a_clicked_quick_reply_gets_its_answer(page):
    before = replies(page).count()
    page.locator(".rw-replies .rw-reply", has_text="What if I'm afraid of needles?").click()
    replies(page).nth(before).wait_for()
    assert "You're not alone" in replies(page).nth(before).inner_text()


def test_a_booking_prompt_is_rendered_with_its_buttons(page):
    prompt = type_message(page, "I'd like to book an appointment")
    assert "Which treatment would you like to book?" in prompt.inner_text()
    page.locator(".rw-replies .rw-reply").first.wait_for()
    assert {"IMS (dry needling)", "Acupuncture", "An assessment", "Not sure"} <= set(buttons(page))


def test_a_reload_keeps_the_conversation_and_the_booking_goes_on(page):
    shown = replies(page).count()
    page.reload()
    replies(page).nth(shown - 1).wait_for()  # the conversation so far is shown again
    assert "Which treatment would you like to book?" in replies(page).last.inner_text()
    asked = type_message(page, "acupuncture")
    assert "What name should the booking be under?" in asked.inner_text()
    assert page.errors == []
