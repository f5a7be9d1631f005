"""An e-mail backend for tests that fails like a mail server going away: the first `FAILURES`
sends raise SMTPServerDisconnected, then it delivers to Django's outbox (mail.outbox)."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.locmem import EmailBackend

FAILURES = {"left": 0}


def fail_next(count: int) -> None:
    FAILURES["left"] = count


class FlakyBackend(EmailBackend):
    def send_messages(self, messages):
        if FAILURES["left"] > 0:
            FAILURES["left"] -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
