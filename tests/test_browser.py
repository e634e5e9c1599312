"""The chat widget and the staff pages in a real browser: Debian's Chromium, driven by Playwright,
against the real Rasa, action server and API started on free ports.

No browser is downloaded: Chromium must be at /usr/bin/chromium (`.ci/run` installs it). If it cannot
start, these tests fail; they never skip.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import httpx
import pytest

from tests.conftest import TIMEOUT, project_file, running_stack

pytestmark = pytest.mark.e2e
AXE = project_file("node_modules", "axe-core", "axe.min.js")
SOCKET_IO = project_file("api", "static", "vendor", "socket.io.min.js")
SCREENSHOTS = project_file("docs", "screenshots")
STAFF = ("robin", "a long enough password")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    for needed in (AXE, SOCKET_IO):
        assert needed.exists(), (
            f"{needed} is missing: run `make widget` (npm ci and the copy into api/static)"
        )
    yield from running_stack(tmp_path_factory, "browser-stack")


@pytest.fixture(scope="module")
def staff_account(stack):
    """A staff account made the way a clinic makes one: `clinic staff add` with the password on stdin."""
    subprocess.run(
        [str(Path(sys.executable).parent / "clinic"), "staff", "add", STAFF[0]],
        input=STAFF[1] + "\n",
        text=True,
        check=True,
        env={**os.environ, **stack.environment()},
        capture_output=True,
    )
    return STAFF


@pytest.fixture
def new_page(browser, stack):
    """A page in a fresh browser profile (its own localStorage), at the given viewport size."""
    contexts = []

    def make(viewport: Dict[str, int] = DESKTOP, **options: Any):
        context = browser.new_context(viewport=viewport, base_url=stack.urls["api"], **options)
        context.set_default_timeout(TIMEOUT)
        contexts.append(context)
        page = context.new_page()
        errors: List[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        # Anything the page's Content-Security-Policy blocked is an error too.
        page.on(
            "console",
            lambda message: "Content Security Policy" in message.text and errors.append(message.text),
        )
        page.errors = errors
        return page

    yield make
    for context in contexts:
        context.close()


def open_chat(page):
    page.goto("/")
    page.get_by_role("button", name="Questions? Chat with us").click()
    page.get_by_role("dialog").wait_for()
    page.locator(".cw-bot[data-topic=greet]").wait_for()


def ask(page, text):
    before = page.locator(".cw-bot").count()
    page.get_by_label("Your message").fill(text)
    page.get_by_label("Your message").press("Enter")
    page.locator(".cw-bot").nth(before).wait_for()
    page.locator(".cw-typing").wait_for(state="hidden")


def click_reply(page, title):
    before = page.locator(".cw-bot").count()
    page.locator(".cw-replies").get_by_role("button", name=title, exact=True).click()
    page.locator(".cw-bot").nth(before).wait_for()
    page.locator(".cw-typing").wait_for(state="hidden")


def last_reply(page):
    return page.locator(".cw-bot").last


def session_id(page) -> str:
    """The conversation's id: the token the browser holds, less its signature."""
    found: str = page.evaluate(
        "() => JSON.parse(Object.entries(localStorage).find(([k]) => k.endsWith(':session'))[1])"
    )
    return found.split(".")[0]


def serious_violations(page) -> List[Dict[str, Any]]:
    """axe-core's WCAG 2.x A/AA violations of impact serious or critical."""
    page.add_script_tag(path=str(AXE))
    violations: List[Dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}))
            .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                   nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))"""
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def log_in(page, staff):
    page.goto("/staff/login")
    page.get_by_label("Username").fill(staff[0])
    page.get_by_label("Password").fill(staff[1])
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Requests").wait_for()


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def test_the_chat_greets_answers_keeps_history_and_takes_feedback(new_page, stack, staff_account):
    page = new_page()
    open_chat(page)
    greeting = last_reply(page)
    assert "not a clinician" in greeting.inner_text()
    assert "Privacy notice" in page.locator(".cw-note").inner_text()
    suggestions = page.locator(".cw-replies button").all_inner_texts()
    assert "Book an appointment" in suggestions and "Talk to staff" in suggestions
    assert 3 <= len(suggestions) - 2 <= 5  # suggested questions besides those two

    ask(page, "does dry needling hurt?")
    answer = last_reply(page)
    assert answer.get_attribute("data-topic") == "needle_pain"
    assert "atraumatic" in answer.inner_text()
    assert answer.get_by_role("group", name="Was this helpful?").count() == 1
    links = answer.locator("a")
    assert links.count() >= 1
    for i in range(links.count()):
        assert links.nth(i).get_attribute("rel") == "noopener noreferrer"
        assert links.nth(i).get_attribute("target") == "_blank"

    click_reply(page, "What if I'm afraid of needles?")
    assert last_reply(page).get_attribute("data-topic") == "needle_fear"
    assert page.locator(".cw-user").last.inner_text().endswith("What if I'm afraid of needles?")

    page.reload()
    page.locator(".cw-bot[data-topic=needle_fear]").wait_for()  # the chat reopens with its history
    texts = page.locator(".cw-user p").all_inner_texts()
    assert texts == ["does dry needling hurt?", "What if I'm afraid of needles?"]
    assert page.locator(".cw-bot[data-topic=needle_pain]").count() == 1

    other_page = page.context.new_page()  # another page of the same site: the same conversation
    other_page.goto("/#contact")
    other_page.locator(".cw-bot[data-topic=needle_fear]").wait_for()
    other_page.close()

    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as posted:
        last_reply(page).get_by_role("button", name="No, this was not helpful").click()
    assert posted.value.status == 201
    assert page.locator(".cw-fb-done").last.inner_text() == "Thank you for your feedback."
    assert page.evaluate("document.activeElement.className") == "cw-fb cw-fb-done"

    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as unanswered:
        ask(page, "can you recommend a good car mechanic near me?")
    assert last_reply(page).get_attribute("data-topic") in ("out_of_scope", "clarify")
    assert unanswered.value.status == 201
    screenshot(page, "chat-desktop.png")

    staff_page = new_page()
    log_in(staff_page, staff_account)
    staff_page.get_by_role("link", name="Feedback on answers").first.click()
    staff_page.get_by_role("heading", name="Feedback on answers").wait_for()
    unhelpful = staff_page.locator("table").first.locator("tbody tr").first
    assert "What if I'm afraid of needles?" in unhelpful.inner_text()
    assert unhelpful.locator("td.count").first.inner_text() == "1"
    assert "good car mechanic" in staff_page.locator("table").nth(1).inner_text()
    screenshot(staff_page, "staff-feedback.png")


def test_a_message_typed_while_offline_is_sent_once_when_back(new_page, stack):
    page = new_page()
    open_chat(page)
    stack.stop("rasa")
    try:
        page.get_by_text("Reconnecting").wait_for()
        page.get_by_label("Your message").fill("what is acupuncture?")
        page.get_by_label("Your message").press("Enter")
        assert page.locator(".cw-user").last.inner_text().endswith("Waiting to send")
    finally:
        stack.start("rasa")
    stack.wait_until_ready(timeout=120)
    page.locator(".cw-bot[data-topic=acu_what_is]").wait_for(timeout=60_000)
    page.wait_for_timeout(3000)  # a second delivery would be answered by now
    assert page.locator(".cw-bot[data-topic=acu_what_is]").count() == 1
    assert page.locator(".cw-user p").all_inner_texts() == ["what is acupuncture?"]
    assert page.locator(".cw-meta").count() == 0
    with sqlite3.connect(str(stack.var_dir / "rasa_tracker.db")) as db:
        said = [
            json.loads(data).get("text")
            for (data,) in db.execute(
                "select data from events where sender_id = ? and type_name = 'user'", [session_id(page)]
            )
        ]
    assert said.count("what is acupuncture?") == 1


def test_a_booking_made_in_the_chat_reaches_staff_who_mark_it_contacted(new_page, stack, staff_account):
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    open_chat(page)
    click_reply(page, "Book an appointment")
    click_reply(page, "IMS (dry needling)")
    message_box = page.get_by_label("Your message")
    assert message_box.get_attribute("autocomplete") == "name"
    assert last_reply(page).locator(".cw-fb").count() == 0  # a booking prompt is not an FAQ answer
    ask(page, "Jordan Browser")
    assert message_box.get_attribute("autocomplete") == "tel"
    ask(page, "604 555 0199")
    ask(page, "weekday mornings")
    click_reply(page, "I'm new")
    ask(page, "lower back pain")
    screenshot(page, "chat-phone.png")
    click_reply(page, "Yes, I agree")
    click_reply(page, "Send it")
    confirmation = last_reply(page).inner_text()
    reference = re.search(r"REQ-[0-9A-Z]{5}", confirmation).group(0)

    staff = new_page()
    log_in(staff, staff_account)
    row = staff.locator("tr", has_text=reference)
    assert "Jordan Browser" in row.inner_text() and "New" in row.inner_text()
    screenshot(staff, "staff-inbox.png")
    row.get_by_role("link", name=reference).click()
    staff.get_by_role("heading", name=re.compile(reference)).wait_for()
    staff.get_by_label("Status").select_option("contacted")
    staff.get_by_role("button", name="Save").click()
    staff.get_by_text("Saved.").wait_for()
    assert "Contacted" in staff.get_by_role("heading", name=re.compile(reference)).inner_text()


def test_an_emergency_is_an_alert(new_page, stack):
    page = new_page()
    open_chat(page)
    ask(page, "I have crushing chest pain and can't breathe")
    alert = page.get_by_role("alert")
    assert "911" in alert.inner_text()
    assert "cw-emergency" in (alert.get_attribute("class") or "")


def test_a_same_day_sign_is_an_alert_with_the_clinics_number(new_page, stack):
    page = new_page()
    open_chat(page)
    ask(page, "the needle site on my back is hot and swollen")
    alert = page.get_by_role("alert")
    assert "811" in alert.inner_text()
    assert "cw-urgent" in (alert.get_attribute("class") or "")


def test_the_chat_works_from_the_keyboard(new_page, stack):
    page = new_page()
    page.goto("/")
    launcher = page.get_by_role("button", name="Questions? Chat with us")
    launcher.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "cw-input"
    assert launcher.get_attribute("aria-expanded") == "true"
    page.locator(".cw-bot[data-topic=greet]").wait_for()
    page.keyboard.type("what is IMS?")
    page.keyboard.press("Enter")
    page.locator(".cw-bot[data-topic=ims_what_is]").wait_for()
    page.locator(".cw-typing").wait_for(state="hidden")
    page.keyboard.press("Shift+Tab")  # from the message box back to the last suggestion
    assert page.evaluate("document.activeElement.className") == "cw-reply"
    page.keyboard.press("Enter")
    page.locator(".cw-user").nth(1).wait_for()
    assert page.evaluate("document.activeElement.id") == "cw-input"
    page.keyboard.press("Escape")
    assert page.get_by_role("dialog").is_hidden()
    assert page.evaluate("document.activeElement.className") == "cw-launcher"
    log = page.locator("#cw-log")
    assert (log.get_attribute("role"), log.get_attribute("aria-live")) == ("log", "polite")


def test_the_chat_fits_a_320_pixel_screen_and_respects_reduced_motion(new_page, stack):
    page = new_page({"width": 320, "height": 640}, reduced_motion="reduce")
    open_chat(page)
    ask(page, "how much does a session cost")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    for control in ("#cw-input", ".cw-send", ".cw-close"):
        box = page.locator(control).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, control
    dot = page.locator(".cw-dot").first
    assert dot.evaluate("d => getComputedStyle(d).animationName") == "none"


def test_axe_finds_no_serious_problems_on_the_page_with_the_chat_open(new_page, stack):
    page = new_page(bypass_csp=True)  # axe runs as an injected inline script, which our CSP refuses
    open_chat(page)
    ask(page, "does dry needling hurt?")
    assert serious_violations(page) == []
    phone = new_page(PHONE, bypass_csp=True)
    open_chat(phone)
    assert serious_violations(phone) == []
    assert page.errors == [] and phone.errors == []


def test_axe_finds_no_serious_problems_on_the_staff_pages(new_page, stack, staff_account):
    request = {
        "kind": "question",
        "name": "Sam Axe",
        "contact": "sam@example.com",
        "contact_type": "email",
        "question": "Do you bill my insurer directly?",
        "consent": True,
    }
    created = httpx.post(
        f"{stack.urls['api']}/api/handoffs",
        json=request,
        headers={"Authorization": f"Bearer {stack.bot_token}"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    page = new_page(bypass_csp=True)
    log_in(page, staff_account)
    assert serious_violations(page) == []
    page.goto(f"/staff/handoffs/{created.json()['id']}")
    page.get_by_role("heading", name="Update").wait_for()
    assert serious_violations(page) == []
    page.goto("/staff/feedback")
    assert serious_violations(page) == []


# Real payloads, each of which would set window.__xss if the browser ran it.
XSS_PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "<svg onload=window.__xss=1>",
    '"><script>window.__xss=1</script>',
    "' onmouseover='window.__xss=1' x='",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<a href="javascript:window.__xss=1">call me</a>',
    "{{ 7 * 7 }} ${7*7}",
]


def test_patient_text_never_runs_as_script_on_the_staff_pages(new_page, stack, staff_account):
    created = httpx.post(
        f"{stack.urls['api']}/api/handoffs",
        json={
            "kind": "question",
            "name": XSS_PAYLOADS[1][:100],
            "contact": "xss@example.com",
            "contact_type": "email",
            "question": " ".join(XSS_PAYLOADS),
            "consent": True,
            "transcript": [{"who": "patient", "text": payload} for payload in XSS_PAYLOADS],
        },
        headers={"Authorization": f"Bearer {stack.bot_token}"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    page = new_page(bypass_csp=True)  # escaping alone must hold, without the CSP's second line
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, staff_account)
    page.goto(f"/staff/handoffs/{created.json()['id']}")
    page.get_by_role("heading", name="Update").wait_for()
    page.mouse.move(200, 300)
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__xss") is None and dialogs == []
    for payload in XSS_PAYLOADS:
        assert page.get_by_text(payload, exact=False).count() >= 1  # shown as the text it is
    assert page.locator("main script, main img, main svg, main iframe").count() == 0
