"""The escalation ladder for a child in crisis (seeds 002, Complex Care Escalation Process).

An Escalation follows one crisis from its route of presentation (A&E or the Children's Hospital,
a place of safety, a placement breakdown, a delayed transfer of care) up the ladder: Rapid
Solutions Group → Joint Solutions Panel → Exceptional Resourcing Group. Each rung reached is an
EscalationStep recording who authorised it, why, when, and (once the child moves on or the crisis
is resolved) its outcome. RSG and ERG meetings, CETRs and the ERG's monthly reports hang off it.

Seniority ("Service Group Manager or Assistant Director or their equivalents", "a Director") is
DATA, not code: an EscalationAuthoriser row names a person's grade, and EscalationSettings names the
grade each decision needs. casework.models.Role has no grades, and an equivalent grade is named
differently in every partner organisation, so the system administrator records who holds which.
The clocks ("within 24 hours", "no less than twice each week", "not more frequent than once per
week", "monthly until resolved") are EscalationSettings columns too; the blank-partnership row is the
default, and with no row at all the model defaults (the seeds' numbers) apply.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from casework.models import Agency, Child, User
from pathways.models.cases import long_text


class Seniority(models.TextChoices):
    """Grades that may authorise escalation, lowest first (the order is the rank)."""

    SERVICE_GROUP_MANAGER = "service_group_manager", "Service Group Manager or equivalent"
    ASSISTANT_DIRECTOR = "assistant_director", "Assistant Director or equivalent"
    DIRECTOR = "director", "Director"


SENIORITY_RANK = {value: rank for rank, value in enumerate(Seniority.values)}


def seniority_field(verbose_name: str, default: str) -> models.CharField:
    return models.CharField(verbose_name, max_length=30, choices=Seniority.choices, default=default)


class EscalationSettings(models.Model):
    """The escalation clocks and the grade each decision needs, for one partnership (blank: default)."""

    partnership = models.CharField(
        max_length=200, blank=True, unique=True, help_text="Blank for the default used by every partnership"
    )
    rsg_first_meeting_hours = models.PositiveSmallIntegerField(
        "Rapid Solutions Group: hours to the first meeting",
        default=24,
        validators=[MinValueValidator(1)],
        help_text="seeds 002 s5: established within 24 hours",
    )
    rsg_meetings_per_week = models.PositiveSmallIntegerField(
        "Rapid Solutions Group: meetings each week (at least)",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(7)],
        help_text="seeds 002 s5: no less than twice each week. The next meeting is due 7 days / this after the last",
    )
    erg_min_days_between_meetings = models.PositiveSmallIntegerField(
        "Exceptional Resourcing Group: days between meetings (at least)",
        default=7,
        validators=[MinValueValidator(1)],
        help_text="seeds 002 s7: not more frequent than once per week",
    )
    erg_report_interval_months = models.PositiveSmallIntegerField(
        "Exceptional Resourcing Group: months between reports to the partnership",
        default=1,
        validators=[MinValueValidator(1)],
        help_text="seeds 002 s7: progress shared monthly until resolved",
    )
    rsg_min_seniority = seniority_field("Grade that sets up a Rapid Solutions Group", "service_group_manager")
    jsp_min_seniority = seniority_field(
        "Grade that escalates to a Joint Solutions Panel", "service_group_manager"
    )
    erg_min_seniority = seniority_field(
        "Grade that agrees and chairs an Exceptional Resourcing Group", "director"
    )
    cetr_override_min_seniority = seniority_field(
        "Grade that may escalate without a CETR (a senior override)", "assistant_director"
    )

    class Meta:
        verbose_name_plural = "escalation settings"

    def __str__(self) -> str:
        return f"Escalation settings for {self.partnership or 'every partnership'}"


class EscalationAuthoriser(models.Model):
    """A person's grade for authorising escalation (data kept by the system administrator)."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="escalation_authoriser")
    seniority = models.CharField(max_length=30, choices=Seniority.choices)
    job_title = models.CharField(max_length=200, help_text='For example "Service Group Manager, FYPC/LDA"')
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user__full_name"]

    def __str__(self) -> str:
        return f"{self.user.full_name}, {self.job_title}"

    def at_least(self, grade: str) -> bool:
        return self.active and SENIORITY_RANK[self.seniority] >= SENIORITY_RANK[grade]


class EscalationRoute(models.TextChoices):
    """seeds 002: the four routes of presentation."""

    EMERGENCY = "emergency", "Accident and Emergency or the Children's Hospital"
    PLACE_OF_SAFETY = "place_of_safety", "Place of safety (PSAU / Section 136 suite)"
    PLACEMENT_BREAKDOWN = "placement_breakdown", "Placement breakdown (Dynamic Support Pathway)"
    DELAYED_TRANSFER = "delayed_transfer", "Delayed transfer of care"


class EscalationLevel(models.TextChoices):
    """The rungs of the ladder, lowest first."""

    RSG = "rsg", "Rapid Solutions Group"
    JSP = "jsp", "Joint Solutions Panel"
    ERG = "erg", "Exceptional Resourcing Group"


class EscalationStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Escalation(models.Model):
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="escalations")
    route = models.CharField(max_length=30, choices=EscalationRoute.choices)
    level = models.CharField(max_length=10, choices=EscalationLevel.choices)
    status = models.CharField(max_length=10, choices=EscalationStatus.choices, default=EscalationStatus.OPEN)
    summary = long_text("the presenting crisis", blank=False)
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    outcome = long_text("outcome")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["child", "-opened_at"], name="escalation_child_opened")]

    def __str__(self) -> str:
        return f"Escalation for {self.child.full_name} ({self.get_level_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == EscalationStatus.OPEN


class EscalationStep(models.Model):
    """One rung reached: who authorised it, why, when; the chair; the JSP's panel; its outcome."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="steps")
    level = models.CharField(max_length=10, choices=EscalationLevel.choices)
    authorised_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    authoriser_seniority = models.CharField(
        max_length=30, choices=Seniority.choices, help_text="The authoriser's grade when they authorised"
    )
    authoriser_title = models.CharField(max_length=200)
    reason = long_text("why", blank=False)
    authorised_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    chair = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    target_panel = models.ForeignKey(
        "panels.Panel", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cetr_overridden = models.BooleanField("escalated without a CETR", default=False)
    cetr_override_reason = long_text("why escalation could not wait for a CETR")
    outcome = long_text("outcome")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["authorised_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["escalation", "level"], name="escalation_step_once_per_level"),
            models.CheckConstraint(
                condition=~Q(cetr_overridden=True) | ~Q(cetr_override_reason=""),
                name="escalation_cetr_override_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(level="jsp") | Q(target_panel__isnull=False), name="escalation_jsp_has_panel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} ({self.escalation_id})"


class EscalationMeeting(models.Model):
    """A Rapid Solutions Group or Exceptional Resourcing Group meeting, with notes and actions."""

    step = models.ForeignKey(EscalationStep, on_delete=models.CASCADE, related_name="meetings")
    held_at = models.DateTimeField()
    chair = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    agencies = models.ManyToManyField(Agency, related_name="+", blank=True)
    attendees = long_text("attendees", blank=False)
    notes = long_text("notes", blank=False)
    actions = long_text("actions (who, what, by when)")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_at", "id"]
        indexes = [models.Index(fields=["step", "held_at"], name="escalation_meeting_step_at")]

    def __str__(self) -> str:
        return f"Meeting on {timezone.localtime(self.held_at):%-d %B %Y %H:%M}"


class CareEducationTreatmentReview(models.Model):
    """A CETR held for the escalation (seeds 002 s3: before escalation for an autistic child or a
    child with a learning disability)."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="cetrs")
    held_on = models.DateField()
    chaired_by = models.CharField("independent chair", max_length=200)
    recommendations = long_text("recommendations", blank=False)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_on", "id"]
        verbose_name = "Care, Education and Treatment Review"

    def __str__(self) -> str:
        return f"CETR on {self.held_on:%-d %B %Y}"


class EscalationReport(models.Model):
    """An Exceptional Resourcing Group's progress report to the partnership (monthly until resolved)."""

    step = models.ForeignKey(EscalationStep, on_delete=models.CASCADE, related_name="reports")
    reported_on = models.DateField()
    progress = long_text("progress", blank=False)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["reported_on", "id"]

    def __str__(self) -> str:
        return f"Report on {self.reported_on:%-d %B %Y}"
