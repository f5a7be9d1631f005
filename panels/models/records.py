"""What is written after a meeting: the minutes, the decision letters, and the action log.

Sources: seeds 002 (Joint Funding Panel terms of reference: minutes within 3 working days;
section 4, a decision letter to the referrer and their service manager within 3 working days; a
log or tracker of referrals, decisions and budgets), seeds 003 (the action log's columns: number,
created, action, desired outcome, owners, partner agency, due, updates, completed, impact, status).
"""

from __future__ import annotations

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from casework.models import Agency
from panels.models.agenda import AgendaItem
from panels.models.decisions import Decision
from panels.models.meetings import Meeting, Panel


class MinutesStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved by the chair"
    CIRCULATED = "circulated", "Circulated"


class Minutes(models.Model):
    """A meeting's minutes: drafted from attendance, declarations and decisions, edited, approved by
    the chair, then circulated to members within N working days (the panel's setting)."""

    meeting = models.OneToOneField(Meeting, on_delete=models.PROTECT, related_name="minutes")
    body = models.TextField(max_length=100000, validators=[MaxLengthValidator(100000)])
    status = models.CharField(max_length=20, choices=MinutesStatus.choices, default=MinutesStatus.DRAFT)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every edit, to refuse stale ones")
    drafted_by = models.ForeignKey("casework.User", on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey("casework.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        "casework.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    circulated_at = models.DateTimeField(null=True, blank=True)
    # The approved minutes as a PDF in private storage (rendered after commit).
    pdf_name = models.CharField(max_length=100, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name_plural = "minutes"
        indexes = [models.Index(fields=["status"], name="minutes_status")]

    def __str__(self) -> str:
        return f"Minutes of {self.meeting}"


class DecisionLetter(models.Model):
    """The letter telling the referrer and their service manager (budget holder) what was decided,
    from the panel's template (seeds 002 section 4: within 3 working days)."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="letters")
    subject = models.CharField(max_length=300)
    body = models.TextField(max_length=20000, validators=[MaxLengthValidator(20000)])
    created_by = models.ForeignKey("casework.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    pdf_name = models.CharField(max_length=100, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["decision", "-created_at"], name="letter_decision_created")]

    def __str__(self) -> str:
        return self.subject


class LetterRecipient(models.Model):
    """Who received a decision letter, in what capacity, and when it went."""

    letter = models.ForeignKey(DecisionLetter, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey("casework.User", on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    capacity = models.CharField(max_length=100)  # e.g. "Referrer", "Service manager (budget holder)"
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "person"], name="letterrecipient_once_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.capacity})"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Action(models.Model):
    """One row of the panel's action log, with the seeds 003 columns. Updates are append-only."""

    panel = models.ForeignKey(Panel, on_delete=models.PROTECT, related_name="actions")
    number = models.PositiveIntegerField(help_text="Numbered per panel, in order of creation")
    created_on = models.DateField(default=timezone.localdate)
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="actions_raised"
    )
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    action = models.TextField(max_length=5000, validators=[MaxLengthValidator(5000)])
    desired_outcome = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    owners = models.ManyToManyField("casework.User", blank=True, related_name="panel_actions")
    owner_agencies = models.ManyToManyField(Agency, blank=True, related_name="panel_actions")
    partner_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    actual_impact = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    created_by = models.ForeignKey("casework.User", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(
        default=1, help_text="Bumped on every change, to refuse stale edits"
    )

    class Meta:
        ordering = ["panel", "number"]
        indexes = [
            models.Index(fields=["panel", "status", "due_on"], name="action_panel_status_due"),
            # The reminder sweep: open actions due in a window, across every panel (bench/reminders.py).
            models.Index(fields=["due_on"], condition=Q(status="open"), name="action_open_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["panel", "number"], name="action_number_once_per_panel"),
            models.CheckConstraint(
                condition=Q(status="open", completed_on__isnull=True)
                | Q(status="closed", completed_on__isnull=False),
                name="action_closed_has_completed_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Action {self.number}: {self.action[:60]}"


class ActionUpdate(models.Model):
    """An update on an action: the log's "updates" column as a timeline. Never changed or removed."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField(max_length=5000, validators=[MaxLengthValidator(5000)])
    author = models.ForeignKey("casework.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["action", "at"], name="actionupdate_action_at")]

    def __str__(self) -> str:
        return f"Update on action {self.action_id} at {self.at:%d %b %Y}"


class PackStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    BUILDING = "building", "Being built"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class MeetingPack(models.Model):
    """One version of a meeting's panel pack: cover, attendance list, agenda with page numbers,
    each item's paper and evidence, and the action log, as one PDF. A new version is built when the
    agenda or a paper changes (the fingerprint); built in the background with visible progress, by
    the "pack.build" job (panels/jobs.py), whose lease decides who builds it. `error` is why the
    last attempt ended (while it is tried again) or why it failed."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="packs")
    version = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=64, help_text="The agenda and papers it was built from")
    status = models.CharField(max_length=20, choices=PackStatus.choices, default=PackStatus.QUEUED)
    items_done = models.PositiveSmallIntegerField(default=0)
    items_total = models.PositiveSmallIntegerField(default=0)
    pdf_name = models.CharField(max_length=100, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    page_count = models.PositiveIntegerField(default=0)
    # Evidence that could not be included, with the reason: [{"item", "file", "reason"}].
    left_out = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        "casework.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # When the build under way started: a build taken over after its worker stopped starts again.
    started_at = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "version"], name="pack_version_once"),
        ]
        indexes = [models.Index(fields=["meeting", "fingerprint"], name="pack_meeting_fingerprint")]

    def __str__(self) -> str:
        return f"Pack {self.version} for {self.meeting}"
