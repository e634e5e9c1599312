"""The front desk's Monday in a real browser (#17): Debian's Chromium, driven by Playwright, against the
API started on a free port with its own database (no Rasa needed: requests arrive as the assistant
sends them, over HTTP). Search, live arrival, claim, local time, reopen, duplicates, the phone layout,
the skip link and axe. They fail, never skip, if Chromium cannot start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import httpx
import pytest

from tests.conftest import project_file

AXE = project_file("node_modules", "axe-core", "axe.min.js")
SCREENSHOTS = project_file("docs", "screenshots")
BIN = Path(sys.executable).parent
TOKEN = "browser-test-token-0123456789abcdef"
ROBIN = ("robin", "a long enough password")
KIM = ("kim", "another long password")
MORGAN = ("morgan", "the manager's long password")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FrontDesk:
    """The API on a free port, and the assistant's way of handing it requests."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "CLINIC_HANDOFFS_DB": str(folder / "handoffs.db"),
            "CLINIC_OUTBOX_DB": str(folder / "outbox.db"),
            "CLINIC_RASA_TRACKER_DB": str(folder / "rasa_tracker.db"),
            "CLINIC_BOT_TOKEN": TOKEN,
            "CLINIC_INBOX_POLL_SECONDS": "1",
            "RASA_URL": "http://127.0.0.1:9",
            "ACTION_SERVER_URL": "http://127.0.0.1:9",
        }
        self.log_path = folder / "api.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                str(BIN / "uvicorn"),
                "api.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--ws",
                "none",
            ],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/staff/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"The API did not start: {(folder / 'api.log').read_text()[-2000:]}")
        for username, password, *role in (ROBIN, KIM, (*MORGAN, "--manager")):
            subprocess.run(
                [str(BIN / "clinic"), "staff", "add", username, *role],
                input=password + "\n",
                text=True,
                check=True,
                env=self.env,
                capture_output=True,
            )

    def hand_over(self, **changes: Any) -> Dict[str, Any]:
        body = {
            "kind": "booking",
            "name": "Jordan Lee",
            "contact": "+16045550142",
            "contact_type": "phone",
            "therapy": "ims",
            "preferred_time": "Friday after 3",
            "consent": True,
            **changes,
        }
        response = httpx.post(
            f"{self.url}/api/handoffs", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        assert response.status_code == 201, response.text
        created: Dict[str, Any] = response.json()
        return created

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    front_desk = FrontDesk(tmp_path_factory.mktemp("front-desk"))
    try:
        yield front_desk
    finally:
        front_desk.stop()


@pytest.fixture
def new_page(browser, desk):
    contexts = []

    def make(viewport: Dict[str, int] = DESKTOP, **options: Any):
        context = browser.new_context(viewport=viewport, base_url=desk.url, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        errors: List[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda message: "Content Security Policy" in message.text and errors.append(message.text),
        )
        page.errors = errors
        return page

    yield make
    for context in contexts:
        context.close()


def log_in(page, account):
    page.goto("/staff/login")
    page.get_by_label("Username").fill(account[0])
    page.get_by_label("Password").fill(account[1])
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Requests").wait_for()


def serious_violations(page) -> List[Dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    violations: List[Dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}))
            .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                   nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))"""
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def test_a_new_request_appears_without_a_reload_with_the_count_in_the_title(new_page, desk):
    page = new_page()
    log_in(page, ROBIN)
    page.evaluate("window.__same_document = true")
    before = page.title()

    arrived = desk.hand_over(name="Live Arrival", contact="+16045550111")

    row = page.locator(f"tr[data-reference='{arrived['reference']}']")
    row.wait_for()
    assert page.evaluate("window.__same_document") is True  # no reload happened
    assert "604-555-0111" in row.inner_text()
    assert page.title() != before and page.title().startswith("(")
    assert page.get_by_role("status").filter(has_text="new request").count() == 1
    assert page.errors == []


def test_a_patient_who_calls_back_is_found_by_phone_in_another_format(new_page, desk):
    wanted = desk.hand_over(name="Priya Natarajan", contact="+17785550123", reason="Sciatica")
    for number in range(3):
        desk.hand_over(name=f"Someone {number}", contact=f"+1604555020{number}")
    page = new_page()
    log_in(page, ROBIN)

    page.get_by_label("Find a patient").fill("(778) 555-0123")
    page.get_by_role("button", name="Search").click()

    rows = page.locator("table.inbox tbody tr")
    assert rows.count() == 1
    assert wanted["reference"] in rows.first.inner_text() and "778-555-0123" in rows.first.inner_text()
    page.get_by_label("Find a patient").fill("sciat")
    page.get_by_role("button", name="Search").click()
    assert page.locator("table.inbox tbody tr").count() == 1
    assert "Priya Natarajan" in page.locator("table.inbox tbody tr").first.inner_text()


def test_two_receptionists_do_not_call_the_same_patient(new_page, desk):
    handoff = desk.hand_over(name="Claimed Patient", contact="+16045550177")
    robin, kim = new_page(), new_page()
    log_in(robin, ROBIN)
    log_in(kim, KIM)
    kim.goto("/staff")

    robin.goto(f"/staff/handoffs/{handoff['id']}")
    robin.get_by_role("button", name="I’m calling this patient").click()
    robin.get_by_text("You are calling this patient").wait_for()

    # Kim's open inbox shows it within a poll, without a reload.
    kim.locator(f"tr[data-reference='{handoff['reference']}'] .claimed").filter(
        has_text="robin calling"
    ).wait_for()
    kim.goto(f"/staff/handoffs/{handoff['id']}")
    assert kim.get_by_text("robin is calling this patient").count() == 1
    assert kim.get_by_role("button", name="I’m calling this patient").count() == 0


def test_times_are_the_clinics_and_a_wrong_close_is_reopened(new_page, desk):
    handoff = desk.hand_over(name="Reopened Patient", contact="+16045550188")
    page = new_page(timezone_id="Asia/Tokyo")  # the browser's own zone must not matter
    log_in(page, ROBIN)
    page.goto(f"/staff/handoffs/{handoff['id']}")
    received = page.locator("dd time").first.inner_text()
    assert received.endswith(("PST", "PDT"))

    page.get_by_label("Status").select_option("closed")
    page.get_by_label("Reason, when closed").select_option("no_answer")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()
    page.get_by_label("Why reopen").fill("Closed the wrong one: she is waiting for a call")
    page.get_by_role("button", name="Reopen").click()

    page.get_by_text("Reopened.").wait_for()
    history = page.locator("ol.plain").inner_text()
    assert "changed status from new to closed (No answer)" in history
    assert "reopened it (closed → new): “Closed the wrong one: she is waiting for a call”" in history


def test_a_repeat_request_is_linked_and_closed_as_its_duplicate(new_page, desk):
    first = desk.hand_over(name="Repeat Patient", contact="+16045550199")
    again = desk.hand_over(name="Repeat Patient", contact="+16045550199")
    page = new_page()
    log_in(page, ROBIN)
    page.get_by_label("Find a patient").fill("604 555 0199")
    page.get_by_role("button", name="Search").click()

    page.get_by_role("link", name="1 earlier request").click()
    page.get_by_role("heading", name="Same phone or email").wait_for()
    page.get_by_label("Status").select_option("closed")
    page.get_by_label("Reason, when closed").select_option("duplicate")
    page.get_by_label("Duplicate of (reference, optional)").fill(first["reference"])
    page.get_by_role("button", name="Save").click()

    page.get_by_text("Saved.").wait_for()
    assert page.url.endswith(f"/staff/handoffs/{again['id']}")
    assert f"Duplicate of {first['reference']}" in page.locator("main").inner_text()
    screenshot(page, "staff-request.png")


def test_on_a_phone_the_list_starts_on_the_first_screen(new_page, desk):
    desk.hand_over(
        kind="question",
        therapy=None,
        name="Phone Layout",
        contact="+16045550155",
        question="Can I use my extended health benefits for IMS, and do I need a doctor's referral first?",
    )
    page = new_page(PHONE)
    log_in(page, ROBIN)

    first_card = page.locator("table.inbox tbody tr").first.bounding_box()
    width = page.evaluate("document.documentElement.scrollWidth")

    assert first_card is not None and first_card["y"] < PHONE["height"]
    assert width <= PHONE["width"]  # no sideways scrolling
    screenshot(page, "staff-inbox-phone.png")


def test_the_skip_link_focus_ring_and_axe(new_page, desk):
    handoff = desk.hand_over(name="Axe Check", contact="+16045550166")
    page = new_page(bypass_csp=True)
    log_in(page, ROBIN)
    screenshot(page, "staff-front-desk.png")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert skip.is_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    assert ring == "rgb(180, 83, 9)"  # #b45309: 5.0:1 on white
    assert serious_violations(page) == []
    page.goto(f"/staff/handoffs/{handoff['id']}")
    assert serious_violations(page) == []
    page.goto("/staff?q=nobody-at-all")
    assert serious_violations(page) == []
    for n, question in enumerate(["Do you do cupping?", "cupping?", "Is there parking?"]):
        body = {
            "kind": "unanswered",
            "topic": "out_of_scope",
            "question": question,
            "conversation_id": f"axe-{n:08}",
        }
        assert httpx.post(f"{desk.url}/api/feedback", json=body, timeout=10).status_code == 201
    page.goto("/staff/feedback")
    page.get_by_role("button", name="Mark handled: Is there parking?").click()
    page.get_by_text("Marked handled").wait_for()
    assert serious_violations(page) == []
    screenshot(page, "staff-feedback-handled.png")


def test_what_was_searched_stays_out_of_the_server_log(new_page, desk):
    page = new_page()
    log_in(page, ROBIN)
    page.get_by_label("Find a patient").fill("Zanzibar Quickfoot 604-555-0123")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("No requests match").wait_for()

    desk.log.flush()
    log = desk.log_path.read_text()
    assert "GET /staff?… HTTP/1.1" in log  # the search was logged, as a path only
    for detail in ("Zanzibar", "Quickfoot", "555-0123", "5550123", "Priya", "(778)", "778-555", "sciat"):
        assert detail not in log


def test_a_manager_adds_a_colleague_who_changes_their_password(new_page, desk):
    manager = new_page(bypass_csp=True)
    log_in(manager, MORGAN)
    manager.get_by_role("link", name="Team").click()
    manager.get_by_label("Username").fill("sasha")
    manager.get_by_label("First password").fill("a first password to change soon")
    manager.get_by_role("button", name="Add").click()
    manager.get_by_text("Added sasha (front desk).").wait_for()
    assert serious_violations(manager) == []
    with manager.expect_download() as download:
        manager.get_by_role("button", name="Download requests (CSV)").click()
    assert download.value.suggested_filename.startswith("requests-")
    manager.goto("/staff/team")
    screenshot(manager, "staff-team.png")

    colleague = new_page(bypass_csp=True)
    log_in(colleague, ("sasha", "a first password to change soon"))
    assert colleague.get_by_role("link", name="Team").count() == 0
    colleague.get_by_role("link", name="My account").click()
    colleague.get_by_label("Current password").fill("a first password to change soon")
    colleague.get_by_label("New password", exact=True).fill("lantern orchard velvet")
    colleague.get_by_label("New password again").fill("lantern orchard velvet")
    colleague.get_by_role("button", name="Change my password").click()
    colleague.get_by_text("Password changed. You are logged out everywhere else.").wait_for()
    assert serious_violations(colleague) == []
    assert (
        httpx.get(
            f"{desk.url}/api/handoffs", auth=("sasha", "lantern orchard velvet"), timeout=10
        ).status_code
        == 200
    )


def test_an_update_of_the_list_keeps_the_keyboard_focus_where_it_was(new_page, desk):
    first = desk.hand_over(name="Focus Kept", contact="+16045550133")
    page = new_page()
    log_in(page, ROBIN)
    link = page.get_by_role("link", name=first["reference"])
    link.focus()

    arrived = desk.hand_over(name="Focus Newcomer", contact="+16045550134")
    page.locator(f"tr[data-reference='{arrived['reference']}']").wait_for()

    assert page.evaluate("document.activeElement.textContent") == first["reference"]
