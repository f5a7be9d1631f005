"""Panels and their meetings. The deadlines each meeting shows come from its panel's settings.

Sources: seeds 002 (Leicestershire Joint Funding Panel terms of reference: papers 7 working days
before, circulation 5, decision letter and minutes within 3; Leicester JSP quorum of two members
from each organisation), seeds 000 (Hampshire IRAP, monthly).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from casework.models import Agency
from casework.working_days import add_working_days

DEFAULT_DECISION_LETTER = """Dear {referrer_name},

{panel_name}: decision on the referral for {child_initials}

The panel considered this referral at its meeting on {meeting_date}.

Decision: {outcome}

{rationale}

{conditions}

Lead agency: {lead_agency}
Key worker: {key_worker}
Where the costs fall:
{cost_split}

Review date: {review_date}

Yours sincerely,

{chair_name}
Chair, {panel_name}
"""


class PanelKind(models.TextChoices):
    IRAP = "irap", "Integrated Resource Allocation Panel"
    JSP = "jsp", "Joint Solutions Panel"
    JFP = "jfp", "Joint Funding Panel"
    COMPLEX_NEEDS = "complex_needs", "Complex Needs Panel"
    RAPID_SOLUTIONS = "rapid_solutions", "Rapid Solutions Group"
    EXCEPTIONAL_RESOURCING = "exceptional_resourcing", "Exceptional Resourcing Group"
    OTHER = "other", "Other"


class CadenceRule(models.TextChoices):
    MONTHLY = "monthly", "Monthly on a given weekday"
    WEEKLY = "weekly", "Every N weeks on a given weekday"


WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday")]
WEEKS_OF_MONTH = [(1, "First"), (2, "Second"), (3, "Third"), (4, "Fourth"), (-1, "Last")]


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
    purpose = models.TextField("purpose and remit", blank=True, max_length=5000)
    terms_of_reference_url = models.URLField("terms of reference document", blank=True)
    terms_of_reference_review_date = models.DateField("terms of reference review date", null=True, blank=True)
    cadence = models.CharField(
        max_length=200, blank=True, help_text='For example "monthly on the second Tuesday 12:30 to 14:00"'
    )
    # The cadence as a rule, so meetings can be generated from it.
    cadence_rule = models.CharField(max_length=20, choices=CadenceRule.choices, default=CadenceRule.MONTHLY)
    cadence_weekday = models.PositiveSmallIntegerField(
        choices=WEEKDAYS,
        default=3,
        validators=[MaxValueValidator(4)],
        help_text="The day of the week it meets",
    )
    cadence_week_of_month = models.SmallIntegerField(
        choices=WEEKS_OF_MONTH,
        default=2,
        help_text="For a monthly panel: which one of that weekday in the month",
    )
    cadence_interval_weeks = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(8)],
        help_text="For a weekly rule: every N weeks",
    )
    cadence_anchor = models.DateField(
        null=True, blank=True, help_text="For a weekly rule: a date of one meeting, to count the weeks from"
    )
    meeting_starts_at = models.TimeField(default=dt.time(14, 0))
    meeting_ends_at = models.TimeField(default=dt.time(15, 30))
    meeting_location = models.CharField(max_length=300, blank=True)
    # seeds 002, Leicester JSP terms of reference: quorate with two members from each organisation.
    quorum_members_per_agency = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    quorum_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="+", help_text="The agencies that must each be represented"
    )
    # When the WHOLE meeting is inquorate, so every item can only be recommended or deferred (seeds
    # 002, Joint Funding Panel: "Decisions and recommendations are not to be made if they impact
    # upon one of the agencies who may not be present"). Below a single agency's quorum only the
    # part that impacts that agency is a recommendation (panels.selectors.running.item_standing).
    inquorate_below_members = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(50)],
        help_text="The meeting is inquorate with fewer than this many deciding members present (0: no such rule)",
    )
    inquorate_without_chair = models.BooleanField(
        default=False, help_text="The meeting is inquorate with neither the chair nor a vice-chair present"
    )
    # seeds 002, Joint Funding Panel 3.7 and 3.9, 3.13, 3.14; JSP terms of reference.
    papers_due_working_days = _working_days(7, "before the meeting that papers are due")
    circulation_working_days = _working_days(5, "before the meeting that papers are circulated")
    decision_letter_working_days = _working_days(3, "after the meeting to send decision letters")
    minutes_working_days = _working_days(3, "after the meeting to send the minutes")
    absent_agency_response_working_days = _working_days(3, "for an absent agency to answer")
    # When reminders go (casework/reminders.py sweeps); settings, not constants.
    papers_reminder_working_days = _working_days(3, "before the papers deadline that referrers are reminded")
    sign_off_reminder_working_days = _working_days(2, "a referral waits for a signature before a reminder")
    review_reminder_days = models.PositiveSmallIntegerField(
        default=28,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
        help_text="Days before a decision's review date that a reminder goes",
    )
    # seeds 002 section 4: the letter to the referrer and their service manager. Placeholders in
    # braces are filled in from the decision (panels.services.letters lists them).
    decision_letter_template = models.TextField(
        blank=True, default=DEFAULT_DECISION_LETTER, max_length=20000, validators=[MaxLengthValidator(20000)]
    )
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
    moved_from = models.DateField(null=True, blank=True)
    change_reason = models.CharField("reason for the change", max_length=500, blank=True)
    changed_by = models.ForeignKey(
        "casework.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The agenda is fixed when the papers are circulated; later items are supplements (seeds 002 3.9).
    circulated_at = models.DateTimeField(null=True, blank=True)
    circulated_by = models.ForeignKey(
        "casework.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Bumped on every change, to refuse stale edits"
    )

    class Meta:
        ordering = ["date", "starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["panel", "date"],
                condition=Q(status="scheduled"),
                name="meeting_one_scheduled_per_day",
            )
        ]
        indexes = [models.Index(fields=["panel", "date"], name="meeting_panel_date")]

    def __str__(self) -> str:
        return f"{self.panel.name}, {self.date:%-d %B %Y}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The meeting must end after it starts"})

    @property
    def is_held(self) -> bool:
        """Held: marked so, or a scheduled meeting whose day has passed (nothing marks a meeting
        held when it happens, so its status is derived for display, never stored)."""
        return self.status == MeetingStatus.HELD or (
            self.status == MeetingStatus.SCHEDULED and self.date < timezone.localdate()
        )

    @property
    def status_label(self) -> str:
        """The status as people are shown it: "Held" once the day has passed (is_held)."""
        return MeetingStatus.HELD.label if self.is_held else self.get_status_display()


@dataclass(frozen=True)
class MeetingDeadlines:
    """A meeting's computed deadlines, each from its panel's settings (seeds 002)."""

    papers_due: dt.date
    circulation: dt.date
    decision_letters_due: dt.date
    minutes_due: dt.date
    absent_agency_response_due: dt.date


def meeting_deadlines(meeting: Meeting, closures: frozenset[dt.date] | None = None) -> MeetingDeadlines:
    """Counted in working days from the meeting's date, skipping the panel's closure days (read
    here unless given). Beside the models, not in panels.selectors, because referrals needs it
    too and may import panels' models only (docs/adr/0011-layers.md)."""
    panel = meeting.panel
    if closures is None:
        closures = frozenset(panel.closure_days.values_list("day", flat=True))
    day = meeting.date
    return MeetingDeadlines(
        papers_due=add_working_days(day, -panel.papers_due_working_days, closures),
        circulation=add_working_days(day, -panel.circulation_working_days, closures),
        decision_letters_due=add_working_days(day, panel.decision_letter_working_days, closures),
        minutes_due=add_working_days(day, panel.minutes_working_days, closures),
        absent_agency_response_due=add_working_days(day, panel.absent_agency_response_working_days, closures),
    )


class MemberRole(models.TextChoices):
    CHAIR = "chair", "Chair"
    VICE_CHAIR = "vice_chair", "Vice-chair"
    MEMBER = "member", "Member"
    ADVISER = "adviser", "Adviser"
    ADMINISTRATOR = "administrator", "Administrator"


CHAIRING_ROLES = (MemberRole.CHAIR, MemberRole.VICE_CHAIR)


class MembershipQuerySet(models.QuerySet):
    def current(self, on: dt.date | None = None) -> MembershipQuerySet:
        """Seats held on a day (today by default): started, and not ended before it."""
        day = on or timezone.localdate()
        return self.filter(starts_on__lte=day).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))


class Membership(models.Model):
    """A person's seat on a panel, for their agency, with dates; a deputy sits for a named member."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey("casework.User", on_delete=models.PROTECT, related_name="panel_memberships")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=MemberRole.choices)
    deputy_for = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="deputies"
    )
    starts_on = models.DateField(default=timezone.localdate)
    ends_on = models.DateField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["panel", "role", "id"]
        indexes = [models.Index(fields=["person", "panel"], name="membership_person_panel")]
        constraints = [
            models.UniqueConstraint(
                fields=["panel", "person"], condition=Q(ends_on__isnull=True), name="membership_one_open_seat"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="membership_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()}, {self.agency})"
