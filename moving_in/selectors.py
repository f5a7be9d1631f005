"""The reads the import's pages need, each a fixed number of queries whatever the rows."""

from __future__ import annotations

from django.db.models import QuerySet

from casework import access
from casework.models import Child, User
from moving_in.access import batches_visible_to
from moving_in.models import ImportBatch, ImportMapping, ImportRow, RowPlan

# The dry run's tabs: every row, or one kind.
SHOWS = {"all": None, **{plan.value: plan for plan in RowPlan}}


def batch_list(*, user: User) -> QuerySet[ImportBatch]:
    return batches_visible_to(user=user).defer("content", "table", "mapping").select_related("created_by")


def batch_table(*, batch: ImportBatch) -> tuple[list[list[str]], list[int]]:
    """The file's rows as text and their spreadsheet row numbers (left out of the batch's own read)."""
    table, lines = ImportBatch.objects.values_list("table", "line_numbers").get(pk=batch.pk)
    return table, lines


def remembered_headings(*, partnership: str) -> dict[str, str]:
    """What the partnership matched last time: our field -> their heading."""
    found = ImportMapping.objects.filter(partnership=partnership, kind="children").values_list(
        "headings", flat=True
    )
    return found.first() or {}


def batch_rows(*, batch: ImportBatch, show: str) -> QuerySet[ImportRow]:
    rows = ImportRow.objects.filter(batch=batch).select_related("child", "decided_child").order_by("number")
    plan = SHOWS.get(show)
    return rows.filter(plan=plan) if plan else rows


def candidates_by_row(*, user: User, rows: list[ImportRow]) -> dict[int, list[Child]]:
    """For the ambiguous rows shown, the children each could be: only those the person can see
    (one query)."""
    ids = {pk for row in rows for pk in row.candidates}
    if not ids:
        return {}
    found = {c.pk: c for c in access.children_visible_to(user=user).filter(pk__in=ids)}
    return {row.pk: [found[pk] for pk in row.candidates if pk in found] for row in rows if row.candidates}


def undecided_count(*, batch: ImportBatch) -> int:
    return ImportRow.objects.filter(batch=batch, plan=RowPlan.AMBIGUOUS, decision="").count()
