"""E-mail backends for tests: Django's in-memory outbox (`django.core.mail.outbox`), with a mail
server that fails on chosen sends, as a real one does when it drops the connection.

    settings.EMAIL_BACKEND = "tests.mail_backends.FailingSends"
    FailingSends.fail_on = {2}   # the second message this test sends is refused; others go
"""

from __future__ import annotations

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class FailingSends(EmailBackend):
    """Counts every message offered (`attempts`, across connections), refuses those whose number
    (1-based) is in `fail_on` with an SMTP error before anything reaches the outbox, and delivers
    the rest to `mail.outbox`. Reset with `FailingSends.reset()` at the start of a test."""

    fail_on: set[int] = set()
    attempts: int = 0

    @classmethod
    def reset(cls, *, fail_on: set[int]) -> None:
        cls.fail_on, cls.attempts = set(fail_on), 0

    def send_messages(self, messages):
        delivered = []
        for message in messages:
            type(self).attempts += 1
            if type(self).attempts in self.fail_on:
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            delivered.append(message)
        return super().send_messages(delivered)
