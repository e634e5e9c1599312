"""Tells staff a new request arrived, by email and/or webhook, after the assistant has its answer.

Only the reference, the kind and a link leave the building: patient details stay in the inbox.
A failed notification is logged and dropped; the request itself is already stored.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

import httpx

from api.settings import Settings

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(5.0)


def new_handoff(settings: Settings, *, handoff_id: int, reference: str, kind: str) -> None:
    """Runs as a background task; never raises."""
    if settings.notify_webhook:
        try:
            _post_webhook(settings.notify_webhook, reference=reference, kind=kind)
        except Exception as error:  # any failure is logged, none may escape
            log.warning("Webhook notification for %s failed: %s", reference, _describe(error))
        else:
            log.info("Webhook notified for %s", reference)
    if settings.email_notifications:
        try:
            _send_email(settings, handoff_id=handoff_id, reference=reference, kind=kind)
        except Exception as error:
            log.warning("Email notification for %s failed: %s", reference, _describe(error))
        else:
            log.info("Email notification sent for %s", reference)


def _describe(error: Exception) -> str:
    # The exception's class and an HTTP status only: messages can carry URLs with secrets in them.
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    return type(error).__name__


def _post_webhook(url: str, *, reference: str, kind: str) -> None:
    response = httpx.post(url, json={"reference": reference, "kind": kind}, timeout=TIMEOUT)
    response.raise_for_status()


def _send_email(settings: Settings, *, handoff_id: int, reference: str, kind: str) -> None:
    what = "booking request" if kind == "booking" else "question"
    message = EmailMessage()
    message["Subject"] = f"New {what} {reference}"
    message["From"] = settings.notify_email_from
    message["To"] = settings.notify_email_to
    message.set_content(
        f"A new {what} ({reference}) is waiting in the staff inbox:\n\n"
        f"{settings.staff_url}/handoffs/{handoff_id}\n"
    )
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user and settings.smtp_password:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)
