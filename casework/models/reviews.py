"""Quarterly access reviews (issue 20): each manager confirms, every quarter, that the people they
manage still need the roles and limits they hold, or asks for their access to be removed."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from casework.models.agencies import Agency
from casework.models.people import User


class ReviewDecision(models.TextChoices):
    KEEP = "keep", "Still needs this access"
    REMOVE = "remove", "No longer needs this access"


class AccessReview(models.Model):
    """One manager's decision on one person's access in one quarter, with what the access was when
    decided (roles, limit, last sign-in). Rows are added, never changed: a second decision in the
    same quarter is a new row, and the latest counts."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="access_reviews")
    quarter_start = models.DateField(help_text="The first day of the calendar quarter reviewed")
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices)
    reason = models.TextField(max_length=2000, blank=True)
    roles = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    delegated_limit = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    last_login = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(
                fields=["person", "quarter_start", "-decided_at"], name="access_review_person_quarter"
            ),
            models.Index(fields=["agency", "quarter_start"], name="access_review_agency_quarter"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.quarter_start:%Y-%m}: {self.get_decision_display()}"
