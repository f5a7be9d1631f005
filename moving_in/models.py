"""An import of a partnership's children from its tracker: the batch (the file, its mapping and
where it has got to), one row per line of the file with its dry-run plan and what the import did,
and the mapping each partnership chose last time."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from casework.models import Agency, Child, User


class BatchStatus(models.TextChoices):
    CHOOSE_SHEET = "choose_sheet", "Choose a sheet"
    MAPPING = "mapping", "Match the columns"
    CHECKED = "checked", "Dry run ready"
    QUEUED = "queued", "Waiting to import"
    IMPORTING = "importing", "Importing"
    IMPORTED = "imported", "Imported"
    FAILED = "failed", "Stopped by an error"
    UNDONE = "undone", "Undone"


# A batch that can still be changed before it is confirmed.
OPEN_STATUSES = (BatchStatus.CHOOSE_SHEET, BatchStatus.MAPPING, BatchStatus.CHECKED)


class ImportBatch(models.Model):
    """One uploaded file of children, imported for `agency` (the uploader's, which registers them
    and becomes their lead agency, as on the child pages)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    partnership = models.CharField(max_length=200)
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveIntegerField()
    file_sha256 = models.CharField(max_length=64)
    file_type = models.CharField(max_length=4)  # csv or xlsx
    # The workbook, kept only until its sheet is chosen (then cleared).
    content = models.BinaryField(null=True, blank=True, editable=False)
    encoding = models.CharField(max_length=30, blank=True, help_text="For a CSV: the encoding that read it")
    sheet_names = models.JSONField(default=list, blank=True)
    sheet_name = models.CharField(max_length=100, blank=True)
    neutralised_cells = models.PositiveIntegerField(default=0)
    table = models.JSONField(default=list, blank=True, help_text="The file's non-blank rows, as text")
    line_numbers = models.JSONField(default=list, blank=True, help_text="Each row's line in the file")
    header_row = models.PositiveIntegerField(default=0, help_text="Index in `table` of the headings")
    mapping = models.JSONField(default=dict, blank=True, help_text="Our field -> their column index")
    status = models.CharField(max_length=20, choices=BatchStatus.choices, default=BatchStatus.MAPPING)
    counts = models.JSONField(default=dict, blank=True, help_text="Rows by plan, then by outcome")
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # The highest audit event id when the import finished: later events on its children are work
    # built on them since, which stops an undo.
    audit_mark = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "-created_at"], name="import_batch_agency_created")]

    def __str__(self) -> str:
        return f"Import of {self.file_name} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def headings(self) -> list[str]:
        return self.table[self.header_row] if self.table else []


class RowPlan(models.TextChoices):
    CREATE = "create", "New child"
    UPDATE = "update", "Update"
    UNCHANGED = "unchanged", "Matched, no change"
    AMBIGUOUS = "ambiguous", "Decide the match"
    REFUSE = "refuse", "Refused"


class RowOutcome(models.TextChoices):
    CREATED = "created", "Registered"
    UPDATED = "updated", "Updated"
    UNCHANGED = "unchanged", "No change"
    SKIPPED = "skipped", "Skipped"
    REFUSED = "refused", "Refused"
    UNDONE = "undone", "Undone"


class Decision(models.TextChoices):
    MATCH = "match", "This is the child"
    NEW = "new", "Register a new child"
    SKIP = "skip", "Leave this row out"


class ImportRow(models.Model):
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(help_text="The row's number in the spreadsheet")
    values = models.JSONField(default=dict, help_text="The row's values by our field, as read")
    plan = models.CharField(max_length=10, choices=RowPlan.choices)
    reasons = models.JSONField(default=list, blank=True, help_text="Why it is refused, in plain English")
    matched_by = models.CharField(max_length=60, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="Field -> [now, from the file]")
    new_agencies = models.JSONField(default=list, blank=True, help_text="Agency ids to involve")
    candidates = models.JSONField(default=list, blank=True, help_text="Child ids an ambiguous row may be")
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decided_child = models.ForeignKey(
        Child, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    child = models.ForeignKey(Child, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    outcome = models.CharField(max_length=10, choices=RowOutcome.choices, blank=True)
    outcome_reason = models.TextField(blank=True)
    before = models.JSONField(default=dict, blank=True, help_text="Updated fields' values before, for undo")
    involvement_ids = models.JSONField(default=list, blank=True, help_text="Involvements the import added")

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="import_row_once")]
        indexes = [models.Index(fields=["batch", "plan", "number"], name="import_row_plan")]

    def __str__(self) -> str:
        return f"Row {self.number} of import {self.batch_id}"


class ImportMapping(models.Model):
    """The columns a partnership matched last time, by heading text, offered first next time."""

    partnership = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, default="children")
    headings = models.JSONField(default=dict, help_text="Our field -> their heading")
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partnership", "kind"], name="import_mapping_once")]

    def __str__(self) -> str:
        return f"{self.kind} mapping for {self.partnership}"
