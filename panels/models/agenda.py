"""A meeting's agenda, who may read its papers and when, and who came.

Sources: seeds 002 (Joint Funding Panel terms of reference 3.3: papers are not held longer than
necessary; 3.9: papers circulated 5 working days before; Leicester JSP: quorate with two members
from each organisation), seeds 003 (the action log reviewed at every meeting).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from panels.models.meetings import Meeting, Membership


class AgendaItemKind(models.TextChoices):
    REFERRAL = "referral", "Referral"
    ACTION_LOG = "action_log", "Action log review"
    OTHER_BUSINESS = "other_business", "Any other business"


class AgendaItem(models.Model):
    """One item of a meeting's agenda. Items added after circulation are supplements."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    kind = models.CharField(max_length=20, choices=AgendaItemKind.choices)
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="agenda_items"
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, max_length=5000, validators=[MaxLengthValidator(5000)])
    position = models.PositiveSmallIntegerField(default=1)
    is_supplement = models.BooleanField(
        default=False, help_text="Added after the agenda was circulated (seeds 002 3.9)"
    )
    # The member who presents the item keeps its papers after the meeting (seeds 002 3.3).
    lead_member = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="items_led"
    )
    added_by = models.ForeignKey("casework.User", on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "casework.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["meeting", "position"], name="agendaitem_meeting_position"),
            models.Index(fields=["referral"], name="agendaitem_referral"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "referral"],
                condition=Q(referral__isnull=False, withdrawn_at__isnull=True),
                name="agendaitem_referral_once_per_meeting",
            ),
            models.CheckConstraint(
                condition=Q(kind="referral", referral__isnull=False) | ~Q(kind="referral"),
                name="agendaitem_referral_item_has_referral",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class PapersGrantReason(models.TextChoices):
    MEMBER = "member", "Panel member"
    CHAIR = "chair", "Chair's copy"
    LEAD_MEMBER = "lead_member", "Lead member for the item"


class PapersGrant(models.Model):
    """Time-bound access to a meeting's papers (all items, or one item) for one person.

    Made when the papers are circulated; members' grants end after the meeting, the chair's copy and
    the lead member's item do not (seeds 002, Joint Funding Panel 3.3). Read only by panels/access.py
    and referrals/access.py.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="papers_grants")
    person = models.ForeignKey("casework.User", on_delete=models.CASCADE, related_name="papers_grants")
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.CASCADE, null=True, blank=True, related_name="papers_grants"
    )
    reason = models.CharField(max_length=20, choices=PapersGrantReason.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Empty: kept (the chair's copy)")
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "person", "id"]
        indexes = [
            models.Index(fields=["person", "meeting"], name="papersgrant_person_meeting"),
            models.Index(fields=["meeting", "agenda_item"], name="papersgrant_meeting_item"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_reason_display()} for {self.meeting}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Present"
    APOLOGIES = "apologies", "Apologies"
    ABSENT = "absent", "Absent"


class Attendance(models.Model):
    """A member's attendance at a meeting; a deputy attends for a named member (seeds 002)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(max_length=20, choices=AttendanceStatus.choices)
    deputy_for = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deputised_at",
        help_text="The member this person attends for",
    )
    recorded_by = models.ForeignKey("casework.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "membership__agency__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "membership"], name="attendance_once_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.membership.person}: {self.get_status_display()}"


class DeclarationAction(models.TextChoices):
    REMAINED = "remained", "Remained and took part"
    NO_PART_IN_DECISION = "no_part_in_decision", "Remained but took no part in the decision"
    LEFT_THE_ROOM = "left_the_room", "Left the meeting for this item"


class DeclarationQuerySet(models.QuerySet):
    def current(self) -> DeclarationQuerySet:
        """What each member has declared now: the latest entry of each chain of corrections, unless
        that entry withdraws the declaration."""
        return self.filter(correction__isnull=True, withdrawn=False)


class Declaration(models.Model):
    """A declaration of interest by a member on one agenda item (seeds 003 agenda: declarations).

    Append-only once the item's decision is signed (issue 13): a declaration is then never deleted
    or edited; a correction is a new row that names the row it corrects (`corrects`), with its own
    interest and action, or `withdrawn` (the declaration was recorded in error), and the reason.
    The row it corrects stays, so the record of what was declared is never lost. A member's
    declarations on an item are one chain: the first row (corrects nothing) is unique per member and
    item, and each row is corrected at most once."""

    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="declarations")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="declarations")
    interest = models.TextField(max_length=2000, validators=[MaxLengthValidator(2000)])
    action = models.CharField(max_length=30, choices=DeclarationAction.choices)
    recorded_by = models.ForeignKey("casework.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    corrects = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="correction",
        help_text="The earlier entry this one corrects; that entry is kept",
    )
    withdrawn = models.BooleanField(
        default=False, help_text="This entry withdraws the declaration it corrects (recorded in error)"
    )
    reason = models.TextField(
        blank=True, max_length=2000, validators=[MaxLengthValidator(2000)], help_text="Why it was corrected"
    )

    objects = DeclarationQuerySet.as_manager()

    class Meta:
        ordering = ["agenda_item", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agenda_item", "membership"],
                condition=Q(corrects__isnull=True),
                name="declaration_once_per_member_item",
            ),
            models.CheckConstraint(
                condition=Q(corrects__isnull=True, withdrawn=False, reason="")
                | (Q(corrects__isnull=False) & ~Q(reason="")),
                name="declaration_correction_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership.person}: {self.interest[:40]}"

    @staticmethod
    def current_in(rows: Iterable[Declaration]) -> list[Declaration]:
        """Of one item's entries (as prefetched, all of them), what stands now: the latest entry of
        each member's chain, unless it withdraws the declaration. The same rule as `current()`,
        without another query."""
        rows = list(rows)
        corrected = {row.corrects_id for row in rows if row.corrects_id}
        return [row for row in rows if row.pk not in corrected and not row.withdrawn]
