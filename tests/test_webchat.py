"""rasa-webchat 1.0.1, the widget most Rasa sites embed, against our real stack in a real browser.

Embedded as a clinic's web developer would embed it, on a page of the clinic's own site (its own origin,
allowed in CLINIC_ALLOWED_ORIGINS): its npm package's standalone bundle (build/webchat/, `make test`
fetches it and checks its published integrity) and ten lines of set-up. It must render every reply with
its buttons, as our widget does.
"""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scripts.stack import free_port
from tests.conftest import project_file, running_stack
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT

pytestmark = pytest.mark.e2e
WEBCHAT = project_file("build", "webchat", "rasa-webchat-1.0.1.js")
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
def site(tmp_path_factory):
    """The clinic's own web site: a static server on its own port, serving the page and the bundle."""
    assert WEBCHAT.exists(), f"{WEBCHAT} is missing: `make test` fetches it"
    folder = tmp_path_factory.mktemp("clinic-site")
    shutil.copy(WEBCHAT, folder / "rasa-webchat.js")
    server = ThreadingHTTPServer(
        ("127.0.0.1", free_port()), functools.partial(QuietFiles, directory=str(folder))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield folder, f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def stack(tmp_path_factory, site):
    _, origin = site
    yield from running_stack(tmp_path_factory, "webchat-stack", CLINIC_ALLOWED_ORIGINS=origin)


@pytest.fixture(scope="module")
def page(stack, site):
    """One browser profile for the whole conversation, so that a reload keeps its localStorage."""
    from playwright.sync_api import sync_playwright

    folder, origin = site
    (folder / "index.html").write_text(PAGE.replace("RASA_URL", stack.urls["rasa"]), encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=origin)
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto("/index.html")
        try:
            yield page
        finally:
            browser.close()


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
