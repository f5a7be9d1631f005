"""The reports' precomputed figures (issue 18, "Speed at national scale": reports read precomputed
figures, never a national table per page view).

Time to decision reads two summary tables, written only by reporting.summaries (a refresh that is
idempotent: run twice, the same rows), never by a page:

- DecisionTimeline: one row per referral, with its milestones (started, signed off, submitted,
  decided, funding agreed, package starts), the working days of each stage, its panel, referring
  agency, pathway, month, latest outcome and its counts of deferrals and returns;
- RecommendationAnswer: one row per recommendation to an absent agency about a referral, with when
  it was due and answered and the working days it took.

Each row keeps the child, so the issue's access rule (an agency sees figures for the children it is
involved with, casework.access.visible_child_q) is a filter on the summary, not a join back to the
domain tables.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from casework.models import Agency, Child
from panels.models import Panel


class DecisionTimeline(models.Model):
    """One referral's way to a decision and a package (reporting.summaries says how each field is
    read). Stage lengths are working days (casework.working_days, with the panel's closure days);
    a stage not reached is null."""

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    partnership = models.CharField(max_length=200)  # the panel's
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")  # the referring agency
    pathway = models.CharField(max_length=30)
    month = models.DateField(help_text="The first day of the month the referral was started")
    status = models.CharField(max_length=30)
    is_late_paper = models.BooleanField(default=False)

    started_at = models.DateTimeField()
    signed_off_at = models.DateTimeField(null=True)
    submitted_at = models.DateTimeField(null=True)
    decided_at = models.DateTimeField(null=True)
    funding_agreed_at = models.DateTimeField(null=True)
    package_starts_on = models.DateField(null=True)

    # Working days of each stage, and of the whole way from started to decided.
    to_sign_off = models.IntegerField(null=True)
    to_submission = models.IntegerField(null=True)
    to_decision = models.IntegerField(null=True)
    to_funding = models.IntegerField(null=True)
    to_package_start = models.IntegerField(null=True)
    started_to_decided = models.IntegerField(null=True)

    outcome = models.CharField(max_length=30, blank=True)  # the latest current decision's
    deferrals = models.PositiveSmallIntegerField(default=0)
    returns = models.PositiveSmallIntegerField(default=0)
    decisions = models.PositiveSmallIntegerField(default=0)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["partnership", "month"], name="timeline_partnership_month"),
            models.Index(fields=["panel", "month"], name="timeline_panel_month"),
            models.Index(fields=["child"], name="timeline_child"),
        ]

    def __str__(self) -> str:
        return f"Timeline of referral {self.referral_id}"


class RecommendationAnswer(models.Model):
    """One recommendation to an absent agency (seeds 002: the absent agency answers within 3 working
    days, Panel.absent_agency_response_working_days) and how long its answer took."""

    recommendation = models.OneToOneField(
        "panels.AgencyRecommendation", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    timeline = models.ForeignKey(DecisionTimeline, on_delete=models.CASCADE, related_name="recommendations")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")  # the absent agency
    meeting_on = models.DateField()
    due_on = models.DateField()
    status = models.CharField(max_length=20)
    answered_on = models.DateField(null=True)
    answer_working_days = models.IntegerField(null=True)
    on_time = models.BooleanField(null=True)

    def __str__(self) -> str:
        return f"Answer to recommendation {self.recommendation_id}"


class RefreshMark(models.Model):
    """How far a summary's refresh from the audit trail has read (reporting.summaries): the time of
    the last audit event it took, so the next run reads on from there (with an overlap)."""

    name = models.CharField(max_length=100, primary_key=True)
    upto = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} up to {self.upto:%Y-%m-%d %H:%M}"
