"""The kinds of service a provider gives, and Care, Education and Treatment Reviews (CETRs)."""

from __future__ import annotations

import datetime as dt

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from casework.models.children import Child


class ProviderKind(models.TextChoices):
    """What kind of service a provider gives. Here, below referrals and funding, because an option
    in a referral and a funding package both name one (the 38-week residential rule reads it)."""

    RESIDENTIAL = "residential", "Residential"
    FOSTERING = "fostering", "Fostering"
    DOMICILIARY = "domiciliary_care", "Domiciliary care"
    EDUCATION = "education", "Education"
    HEALTH = "health", "Health"
    # A decision names a provider in words; its kind is confirmed when the package is varied.
    UNCONFIRMED = "unconfirmed", "Not yet confirmed"


class CetrRecord(models.Model):
    """A Care, Education and Treatment Review held for a child (date, outcome, where the report is
    filed), or a named senior person's decision to go ahead without one, with the reason.

    seeds 002 s3: "For autistic children and young people and children and young people with a
    learning disability a CeTR must be held before escalation occurs". seeds 003 supplementary
    recommendation 4: "All children with disabilities and complex health needs who are on a pathway
    for admission to residential placement longer than 38 weeks per year should be part of a Care,
    Education and Treatment Review process." Records are append-only.

    A record speaks for the referral it names (and so the placement that referral proposes and the
    package its decision makes) until `valid_until` (casework.cetr: CETR_VALID_DAYS after the CETR
    was held, or after the override was recorded); the checks use the latest one still valid for the
    referral. Rows from before the rule named no referral and count for none.
    """

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="cetr_records")
    # By name, not import: referrals sit above the core (docs/adr/0011-layers.md).
    referral = models.ForeignKey(
        "referrals.Referral",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cetr_records",
        help_text="The referral (and so the placement) the CETR was held, or the override given, for",
    )
    valid_until = models.DateField(
        "valid until", null=True, blank=True, help_text="The last day the CETR or override counts"
    )
    held_on = models.DateField("CETR held on", null=True, blank=True)
    outcome = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    document = models.CharField(
        "CETR report",
        max_length=300,
        blank=True,
        help_text="Where the report is filed, for example its record reference",
    )
    # The CETR's report itself, uploaded and checked as referral evidence is (casework.uploads), kept
    # privately and downloaded only through the child's access check.
    report_name = models.CharField("report file name", max_length=255, blank=True)
    report_stored_name = models.CharField(max_length=64, blank=True, editable=False)
    report_content_type = models.CharField(max_length=100, blank=True, editable=False)
    report_size = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    report_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    overridden_by = models.ForeignKey(
        "User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    overrider_role = models.CharField("their role", max_length=200, blank=True)
    override_reason = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    recorded_by = models.ForeignKey("User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["child", "recorded_at"], name="cetr_child_recorded"),
            models.Index(fields=["referral", "valid_until"], name="cetr_referral_valid"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(held_on__isnull=False, overridden_by__isnull=True, override_reason="") & ~Q(outcome="")
                )
                | (
                    Q(held_on__isnull=True, overridden_by__isnull=False, outcome="")
                    & ~Q(override_reason="")
                    & ~Q(overrider_role="")
                ),
                name="cetr_held_or_overridden",
            ),
        ]

    def __str__(self) -> str:
        return self.summary

    @property
    def is_override(self) -> bool:
        return self.overridden_by_id is not None

    @property
    def has_report(self) -> bool:
        return bool(self.report_stored_name)

    @property
    def summary(self) -> str:
        """What a panel paper and the chair's page say: "CETR held on 3 March 2026: <outcome>" or
        "CETR overridden by <name>, <role>: <reason>"."""
        if self.overridden_by_id is not None:
            name = self.overridden_by.full_name if self.overridden_by else ""
            return f"CETR overridden by {name}, {self.overrider_role}: {self.override_reason}"
        return f"CETR held on {self.held_on:%-d %B %Y}: {self.outcome}"

    def is_valid_on(self, day: dt.date) -> bool:
        """Whether it counts on `day`: it names a referral, and `day` is from the CETR's date (or the
        override's) to `valid_until`."""
        start = self.held_on or timezone.localdate(self.recorded_at)
        return (
            self.referral_id is not None and self.valid_until is not None and start <= day <= self.valid_until
        )

    @property
    def validity(self) -> str:
        """What the pages say of its reach: "For referral 12, valid until 31 August 2026"."""
        if self.referral_id is None:
            return "Recorded before a CETR named its referral: it counts for none"
        verb = "valid until" if self.is_valid_on(timezone.localdate()) else "no longer valid: it ran to"
        until = f"{self.valid_until:%-d %B %Y}" if self.valid_until else "no date"
        return f"For referral {self.referral_id}, {verb} {until}"
