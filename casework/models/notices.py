"""Notices to people, and the reminders already sent (so each goes once)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from casework.models.people import User


class Notification(models.Model):
    """An in-app notice for one person; the same notice is e-mailed (casework/tasks.py)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=2000, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.subject


class ReminderSent(models.Model):
    """One reminder to one person about one deadline. The unique row is claimed in the same
    transaction as the notice, so a reminder goes once even when two sweeps run at once."""

    kind = models.CharField(max_length=50)
    subject_key = models.CharField(max_length=100, help_text='What it is about, e.g. "meeting:12"')
    due_on = models.DateField(help_text="The deadline it reminds of; a moved deadline is a new reminder")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_key", "due_on", "user"], name="reminder_once_per_deadline_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_key} due {self.due_on} to {self.user_id}"
