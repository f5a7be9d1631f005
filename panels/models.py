"""Panels and their meetings. The deadlines each meeting shows come from its panel's settings.

Sources: seeds 002 (Leicestershire Joint Funding Panel terms of reference: papers 7 working days
before, circulation 5, decision letter and minutes within 3; Leicester JSP quorum of two members
from each organisation), seeds 000 (Hampshire IRAP, monthly).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from casework.models import Agency


class PanelKind(models.TextChoices):
    IRAP = "irap", "Integrated Resource Allocation Panel"
    JSP = "jsp", "Joint Solutions Panel"
    JFP = "jfp", "Joint Funding Panel"
    COMPLEX_NEEDS = "complex_needs", "Complex Needs Panel"
    RAPID_SOLUTIONS = "rapid_solutions", "Rapid Solutions Group"
    EXCEPTIONAL_RESOURCING = "exceptional_resourcing", "Exceptional Resourcing Group"
    OTHER = "other", "Other"


def _working_days(default: int, what: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        default=default,
        validators=[MinValueValidator(0), MaxValueValidator(60)],
        help_text=f"Working days {what}",
    )


class Panel(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=PanelKind.choices)
    partnership = models.CharField(max_length=200, db_index=True)
    host_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="hosted_panels")
    purpose = models.TextField(blank=True, max_length=5000)
    cadence = models.CharField(
        max_length=200, blank=True, help_text='For example "monthly on the second Tuesday 12:30 to 14:00"'
    )
    # seeds 002, Joint Funding Panel 3.7 and 3.9, 3.13, 3.14; JSP terms of reference.
    papers_due_working_days = _working_days(7, "before the meeting that papers are due")
    circulation_working_days = _working_days(5, "before the meeting that papers are circulated")
    decision_letter_working_days = _working_days(3, "after the meeting to send decision letters")
    minutes_working_days = _working_days(3, "after the meeting to send the minutes")
    absent_agency_response_working_days = _working_days(3, "for an absent agency to answer")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["partnership", "name"]

    def __str__(self) -> str:
        return self.name


class ClosureDay(models.Model):
    """A day a panel's administrators add as not working (e.g. a Christmas shutdown)."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="closure_days")
    day = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["panel", "day"], name="closure_day_once_per_panel")]

    def __str__(self) -> str:
        return f"{self.day:%d %b %Y} {self.reason}".strip()


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"
    HELD = "held", "Held"


class Meeting(models.Model):
    panel = models.ForeignKey(Panel, on_delete=models.PROTECT, related_name="meetings")
    date = models.DateField()
    starts_at = models.TimeField(default=dt.time(14, 0))
    ends_at = models.TimeField(default=dt.time(15, 30))
    location = models.CharField(max_length=300, blank=True)
    online_link = models.URLField(blank=True)
    status = models.CharField(max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED)

    class Meta:
        ordering = ["date", "starts_at"]
        indexes = [models.Index(fields=["panel", "date"], name="meeting_panel_date")]

    def __str__(self) -> str:
        return f"{self.panel.name}, {self.date:%-d %B %Y}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The meeting must end after it starts"})
