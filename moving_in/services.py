"""Every write of an import: upload, sheet, columns (the dry run), decisions, confirm, the import
itself (run by a Celery task) and undo. Each is keyword-only with an actor and an audit event.

Children are written only through the child pages' services (casework.services: child_register,
child_update, involvement_add, involvement_end), so every rule, audit event and access check of
those pages applies to each row. Rows are imported one transaction each and record their outcome in
it: a run that stops part-way (a worker lost) goes on where it was, and the same file imported again
matches every child and changes nothing."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone

from casework import access
from casework import services as core
from casework.audit import record_event
from casework.models import Agency, AgencyKind, AuditEvent, Child, Involvement, InvolvementRole, User
from casework.services.common import InvalidTransition
from moving_in import fields as F
from moving_in import planning, reading, selectors
from moving_in.access import can_register_children
from moving_in.models import (
    OPEN_STATUSES,
    BatchStatus,
    Decision,
    ImportBatch,
    ImportMapping,
    ImportRow,
    RowOutcome,
    RowPlan,
)

KIND = "children"


def _require_importer(actor: User) -> None:
    access.require_partnership_administrator(actor)
    if not can_register_children(actor):
        raise access.NotAllowed(
            "Importing children registers them for your agency, as the child pages do: you need a "
            "role that registers children (social worker, team or service manager) as well"
        )


def _require_open(batch: ImportBatch) -> None:
    if batch.status not in OPEN_STATUSES:
        raise InvalidTransition(
            f"This import is {batch.get_status_display().lower()}: it can no longer be changed"
        )


def _remembered(partnership: str) -> dict[str, str]:
    return selectors.remembered_headings(partnership=partnership)


def _take_table(batch: ImportBatch, table: reading.Table) -> None:
    batch.table = table.rows
    batch.line_numbers = table.lines
    batch.neutralised_cells = table.neutralised
    batch.header_row = F.find_header_row(table.rows)
    batch.mapping = F.guess_mapping(batch.headings, _remembered(batch.partnership))
    batch.rows_total = len(table.rows) - batch.header_row - 1
    batch.status = BatchStatus.MAPPING


@transaction.atomic
def batch_upload(*, actor: User, name: str, content: bytes) -> ImportBatch:
    """Read an uploaded CSV or XLSX file into a new batch. A workbook with several sheets waits
    for one to be chosen; otherwise the columns are guessed (this partnership's last choice first)."""
    _require_importer(actor)
    kind = reading.file_type(name)
    reading.check_size(len(content))
    agency = access.agency_of(actor)
    batch = ImportBatch(
        agency=agency,
        partnership=agency.partnership,
        file_name=name[:255],
        file_size=len(content),
        file_sha256=hashlib.sha256(content).hexdigest(),
        file_type=kind,
        created_by=actor,
    )
    if kind == "csv":
        table = reading.read_csv(content)
        batch.encoding = table.encoding
        _take_table(batch, table)
    else:
        batch.sheet_names = reading.sheet_names(content)
        if len(batch.sheet_names) == 1:
            batch.sheet_name = batch.sheet_names[0]
            _take_table(batch, reading.read_xlsx(content, sheet=batch.sheet_name))
        else:
            batch.content = content
            batch.status = BatchStatus.CHOOSE_SHEET
    batch.save()
    record_event(
        actor=actor,
        action="import_batch.created",
        obj=batch,
        changes={
            "file_name": [None, batch.file_name],
            "file_size": [None, batch.file_size],
            "file_sha256": [None, batch.file_sha256],
            "encoding": [None, batch.encoding],
            "sheet_name": [None, batch.sheet_name],
        },
    )
    return batch


@transaction.atomic
def batch_choose_sheet(*, actor: User, batch: ImportBatch, sheet: str) -> ImportBatch:
    _require_importer(actor)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.CHOOSE_SHEET or batch.content is None:
        raise InvalidTransition("The sheet of this file has already been chosen")
    _take_table(batch, reading.read_xlsx(bytes(batch.content), sheet=sheet))
    batch.sheet_name = sheet
    batch.content = None
    batch.save()
    record_event(
        actor=actor, action="import_batch.sheet_chosen", obj=batch, changes={"sheet_name": [None, sheet]}
    )
    return batch


def check_mapping(mapping: Mapping[str, int | None], *, columns: int) -> dict[str, int]:
    chosen = {name: index for name, index in mapping.items() if index is not None and name in F.BY_NAME}
    errors: dict[str, list[str]] = {}
    for name in F.REQUIRED:
        if name not in chosen:
            errors[name] = [f"Choose the column that holds the {F.BY_NAME[name].label.lower()}"]
    used: dict[int, str] = {}
    for name, index in chosen.items():
        if not 0 <= index < columns:
            errors[name] = ["Choose one of the file's columns"]
        elif index in used:
            errors[name] = [f"That column is already matched to {F.BY_NAME[used[index]].label.lower()}"]
        else:
            used[index] = name
    if errors:
        raise ValidationError(errors)
    return chosen


@transaction.atomic
def batch_map(
    *, actor: User, batch: ImportBatch, header_row: int, mapping: Mapping[str, int | None]
) -> ImportBatch:
    """Save the columns chosen (and remember them for this partnership's next file), then work out
    the dry run: one ImportRow per row of the file, with its plan. Nothing else is written."""
    _require_importer(actor)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    _require_open(batch)
    if batch.status == BatchStatus.CHOOSE_SHEET:
        raise InvalidTransition("Choose the sheet first")
    if not 0 <= header_row < min(len(batch.table), reading.HEADER_ALLOWANCE + 1):
        raise ValidationError({"header_row": ["Choose a row among the first rows of the file"]})
    headings = batch.table[header_row]
    chosen = check_mapping(mapping, columns=max(len(headings), max((len(r) for r in batch.table), default=0)))
    batch.header_row = header_row
    batch.mapping = chosen
    data = batch.table[header_row + 1 :]
    limit = settings.MOVING_IN_MAX_ROWS
    if len(data) > limit:
        raise ValidationError({"header_row": [f"The file has more than {limit:,} rows: split it"]})
    batch.rows_total = len(data)
    remembered = {
        name: headings[index] for name, index in chosen.items() if index < len(headings) and headings[index]
    }
    ImportMapping.objects.update_or_create(
        partnership=batch.partnership,
        kind=KIND,
        defaults={"headings": remembered, "updated_by": actor, "updated_at": timezone.now()},
    )
    _build_dry_run(actor=actor, batch=batch, data=data)
    batch.status = BatchStatus.CHECKED
    batch.checked_at = timezone.now()
    batch.save()
    record_event(
        actor=actor,
        action="import_batch.checked",
        obj=batch,
        changes={
            "mapping": [None, remembered],
            "header_row": [None, header_row + 1],
            "counts": [None, batch.counts],
        },
    )
    return batch


def _build_dry_run(*, actor: User, batch: ImportBatch, data: list[list[str]]) -> None:
    agencies = planning.AgencyDirectory(partnership=batch.partnership)
    today = planning.today()
    lines = batch.line_numbers or list(range(1, len(batch.table) + 1))
    numbers = lines[batch.header_row + 1 :]
    raws = [planning.raw_values(row, batch.mapping) for row in data]
    parsed = [planning.parse_row(raw, agencies=agencies, today=today) for raw in raws]
    duplicates = planning.file_duplicates(parsed, numbers)
    matcher = planning.Matcher(actor=actor, parsed=[p for p in parsed if not p.reasons])
    rows = []
    for number, raw, one, dup in zip(numbers, raws, parsed, duplicates, strict=True):
        planned = planning.plan_row(parsed=one, matcher=matcher, actor=actor, file_reasons=dup)
        rows.append(
            ImportRow(
                batch=batch,
                number=number,
                values=raw,
                plan=planned.plan,
                reasons=planned.reasons,
                matched_by=planned.matched_by,
                changes=planned.changes,
                new_agencies=[a.pk for a in planned.new_agencies],
                candidates=[c.pk for c in planned.candidates],
                child=planned.child,
            )
        )
    ImportRow.objects.filter(batch=batch).delete()
    ImportRow.objects.bulk_create(rows, batch_size=500)
    batch.counts = {"plan": dict(Counter(row.plan for row in rows))}


@transaction.atomic
def batch_decide(*, actor: User, batch: ImportBatch, decisions: Mapping[int, str]) -> int:
    """Record what a person decided for ambiguous rows: `decisions` maps a row id to "new",
    "skip" or "child:<id>" (one of the row's candidates). Returns how many rows were decided."""
    _require_importer(actor)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.CHECKED:
        raise InvalidTransition("This import is no longer waiting for decisions")
    rows = {
        row.pk: row
        for row in ImportRow.objects.filter(batch=batch, plan=RowPlan.AMBIGUOUS, pk__in=list(decisions))
    }
    made = {}
    for row_id, choice in decisions.items():
        row = rows.get(row_id)
        if row is None or not choice:
            continue
        if choice in (Decision.NEW, Decision.SKIP):
            row.decision, row.decided_child_id = choice, None
        elif choice.startswith("child:") and choice[6:].isdigit() and int(choice[6:]) in row.candidates:
            row.decision, row.decided_child_id = Decision.MATCH, int(choice[6:])
        else:
            raise ValidationError({"decision": [f"Row {row.number}: choose one of the children listed"]})
        row.save(update_fields=["decision", "decided_child"])
        made[str(row.number)] = [None, choice]
    if made:
        record_event(actor=actor, action="import_batch.decided", obj=batch, changes=made)
    return len(made)


@transaction.atomic
def batch_confirm(*, actor: User, batch: ImportBatch) -> ImportBatch:
    """The person has seen the dry run: queue the import (after the commit)."""
    _require_importer(actor)
    undecided = ImportRow.objects.filter(batch=batch, plan=RowPlan.AMBIGUOUS, decision="").count()
    if undecided:
        raise ValidationError(
            {
                "decision": [
                    f"Decide the {undecided} row{'s' if undecided > 1 else ''} that could be more than one child"
                ]
            }
        )
    now = timezone.now()
    changed = ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.CHECKED).update(
        status=BatchStatus.QUEUED, confirmed_by=actor, confirmed_at=now
    )
    if changed != 1:
        raise InvalidTransition("This import has already been confirmed, or its columns are being changed")
    batch.refresh_from_db(fields=["status", "confirmed_by", "confirmed_at"])
    record_event(
        actor=actor, action="import_batch.confirmed", obj=batch, changes={"status": ["checked", "queued"]}
    )
    queue_import(batch_id=batch.pk)
    return batch


def queue_import(*, batch_id: int) -> None:
    from moving_in.tasks import import_batch

    transaction.on_commit(lambda: import_batch.delay(batch_id))


@transaction.atomic
def batch_requeue(*, actor: User, batch: ImportBatch) -> ImportBatch:
    """Queue again an import that stopped (an error, or a queue that lost it): rows already done
    are not done twice."""
    _require_importer(actor)
    changed = ImportBatch.objects.filter(
        pk=batch.pk, status__in=[BatchStatus.FAILED, BatchStatus.QUEUED, BatchStatus.IMPORTING]
    ).update(status=BatchStatus.QUEUED, last_error="")
    if changed != 1:
        raise InvalidTransition("This import is not waiting or stopped")
    record_event(actor=actor, action="import_batch.requeued", obj=batch)
    queue_import(batch_id=batch.pk)
    return batch


# --- The import itself (moving_in.tasks.import_batch) -----------------------------------------------


def batch_run(*, batch_id: int) -> str:
    """Import every row not yet done, one transaction each, as the person who confirmed. Safe to
    run twice or after a stop: a row's outcome is written with its child."""
    claimed = ImportBatch.objects.filter(
        pk=batch_id, status__in=[BatchStatus.QUEUED, BatchStatus.IMPORTING]
    ).update(status=BatchStatus.IMPORTING, started_at=timezone.now())
    if not claimed:
        return "not queued"
    batch = ImportBatch.objects.select_related("confirmed_by").defer("table", "content").get(pk=batch_id)
    actor = batch.confirmed_by
    assert actor is not None
    try:
        agencies = planning.AgencyDirectory(partnership=batch.partnership)
        for row_id in ImportRow.objects.filter(batch=batch, outcome="").values_list("pk", flat=True):
            _import_row(actor=actor, batch=batch, row_id=row_id, agencies=agencies)
            ImportBatch.objects.filter(pk=batch_id).update(
                rows_done=ImportRow.objects.filter(batch_id=batch_id).exclude(outcome="").count()
            )
    except access.NotAllowed as error:
        _stop(batch, f"The import stopped: {error}")
        return "stopped"
    except Exception as error:
        _stop(batch, f"The import stopped on an error ({type(error).__name__}): the rows done are kept")
        raise
    outcomes = dict(Counter(ImportRow.objects.filter(batch=batch).values_list("outcome", flat=True)))
    with transaction.atomic():
        mark = AuditEvent.objects.aggregate(m=Max("id"))["m"]
        ImportBatch.objects.filter(pk=batch_id).update(
            status=BatchStatus.IMPORTED,
            finished_at=timezone.now(),
            audit_mark=mark,
            counts={**batch.counts, "outcome": outcomes},
            rows_done=sum(outcomes.values()),
        )
        batch.refresh_from_db()
        record_event(
            actor=actor, action="import_batch.imported", obj=batch, changes={"outcome": [None, outcomes]}
        )
        ImportBatch.objects.filter(pk=batch_id).update(
            audit_mark=AuditEvent.objects.aggregate(m=Max("id"))["m"]
        )
    return "imported"


def _stop(batch: ImportBatch, message: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED, last_error=message[:500])


def _messages(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(m for messages in error.message_dict.values() for m in messages)
    return "; ".join(error.messages)


def _import_row(*, actor: User, batch: ImportBatch, row_id: int, agencies: planning.AgencyDirectory) -> None:
    with transaction.atomic():
        row = ImportRow.objects.select_for_update().filter(pk=row_id, outcome="").first()
        if row is None:
            return  # done by another run
        outcome, reason, child, before, involvements = _apply(actor=actor, row=row, agencies=agencies)
        row.outcome, row.outcome_reason, row.before, row.involvement_ids = (
            outcome,
            reason,
            before,
            involvements,
        )
        if child is not None:
            row.child = child
        row.save(update_fields=["outcome", "outcome_reason", "before", "involvement_ids", "child"])


def _apply(*, actor: User, row: ImportRow, agencies: planning.AgencyDirectory):
    if row.plan == RowPlan.REFUSE:
        return RowOutcome.REFUSED, "; ".join(row.reasons), None, {}, []
    if row.decision == Decision.SKIP:
        return RowOutcome.SKIPPED, "Left out by the person who confirmed the import", None, {}, []
    parsed = planning.parse_row(row.values, agencies=agencies, today=planning.today())
    if parsed.reasons:
        return RowOutcome.REFUSED, "; ".join(parsed.reasons), None, {}, []
    matcher = planning.Matcher(actor=actor, parsed=[parsed])
    if row.decision == Decision.MATCH:
        chosen = next((c for c in matcher.children if c.pk == row.decided_child_id), None)
        if chosen is None:
            return RowOutcome.REFUSED, "The child chosen for this row can no longer be seen", None, {}, []
        planned = planning.plan_for_child(
            parsed=parsed, child=chosen, matcher=matcher, actor=actor, matched_by="decision"
        )
    elif row.decision == Decision.NEW:
        planned = planning.Planned(
            plan=RowPlan.CREATE,
            updates=dict(parsed.child),
            new_agencies=[a for a in parsed.agencies if a.pk != actor.agency_id],
        )
    else:
        planned = planning.plan_row(parsed=parsed, matcher=matcher, actor=actor)
    if planned.plan == RowPlan.AMBIGUOUS:
        return (
            RowOutcome.REFUSED,
            "More than one child now matches this row: import it again to decide",
            None,
            {},
            [],
        )
    try:
        with transaction.atomic():  # a refusal part-way (an involvement) takes the child back too
            try:
                return _write(actor=actor, planned=planned)
            except core.NHSNumberHeldElsewhere as held:
                # The child pages' rule: nothing registered and the owners asked; caught inside
                # the savepoint so the ask is kept (child_register's docstring).
                return RowOutcome.REFUSED, _messages(held), None, {}, []
    except ValidationError as error:
        return RowOutcome.REFUSED, _messages(error), None, {}, []


def _write(*, actor: User, planned: planning.Planned):
    child: Child
    if planned.plan == RowPlan.CREATE:
        child = core.child_register(actor=actor, fields=planned.updates)
        outcome, before = RowOutcome.CREATED, {}
    else:
        assert planned.child is not None
        child = planned.child
        if planned.plan == RowPlan.UNCHANGED:
            return RowOutcome.UNCHANGED, "", child, {}, []
        before = {name: _jsonable(getattr(child, name)) for name in planned.updates}
        if planned.updates:
            child = core.child_update(actor=actor, child=child, fields=planned.updates)
        outcome = RowOutcome.UPDATED
    involvements = []
    for agency in planned.new_agencies:
        made = core.involvement_add(actor=actor, child=child, agency=agency, role=involvement_role(agency))
        involvements.append(made.pk)
    return outcome, "", child, before, involvements


def involvement_role(agency: Agency) -> str:
    """The role an agency named in the file is involved with, by its kind: the same defaults as an
    agency involved by an access request (casework.services.access_requests)."""
    roles: dict[str, str] = {
        AgencyKind.CHILDRENS_SERVICES: InvolvementRole.SOCIAL_CARE,
        AgencyKind.SEN: InvolvementRole.EDUCATION,
        AgencyKind.ICB: InvolvementRole.HEALTH_COMMISSIONER,
        AgencyKind.NHS_TRUST: InvolvementRole.HEALTH_PROVIDER,
    }
    return roles.get(agency.kind, InvolvementRole.OTHER)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


# --- Undo -----------------------------------------------------------------------------------------


def undo_blockers(*, batch: ImportBatch) -> list[ImportRow]:
    """The rows whose child has had work since the import (any audited write on it: a referral,
    an involvement, a change of details...): while there is one, the batch cannot be undone."""
    rows = list(
        ImportRow.objects.filter(
            batch=batch, outcome__in=[RowOutcome.CREATED, RowOutcome.UPDATED], child__isnull=False
        )
    )
    if batch.audit_mark is None or not rows:
        return []
    touched = set(
        AuditEvent.objects.filter(
            child_id__in=[r.child_id for r in rows], id__gt=batch.audit_mark
        ).values_list("child_id", flat=True)
    )
    return [row for row in rows if row.child_id in touched]


@transaction.atomic
def batch_undo(*, actor: User, batch: ImportBatch) -> ImportBatch:
    """Take the import back: children it registered are removed, details it changed go back to
    what they were, agencies it involved end. Refused (409) once anything has been built on one of
    its children since, or when a record changed since cannot be put back."""
    _require_importer(actor)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.IMPORTED:
        raise InvalidTransition("Only a finished import can be undone")
    blockers = undo_blockers(batch=batch)
    if blockers:
        listed = ", ".join(str(r.number) for r in blockers[:10])
        raise InvalidTransition(
            f"This import cannot be undone: work has been recorded since on the children of row{'s' if len(blockers) > 1 else ''} "
            f"{listed}{' and others' if len(blockers) > 10 else ''}"
        )
    rows = list(
        ImportRow.objects.filter(
            batch=batch, outcome__in=[RowOutcome.CREATED, RowOutcome.UPDATED]
        ).select_related("child")
    )
    for row in rows:
        child = row.child
        if child is None:
            continue
        if row.outcome == RowOutcome.UPDATED:
            for involvement in Involvement.objects.filter(pk__in=row.involvement_ids, ended_on__isnull=True):
                core.involvement_end(actor=actor, involvement=involvement)
            if row.before:
                core.child_update(actor=actor, child=child, fields=_typed(row.before))
        else:
            _remove_child(actor=actor, child=child, batch=batch)
    ImportRow.objects.filter(pk__in=[r.pk for r in rows]).update(outcome=RowOutcome.UNDONE)
    batch.status = BatchStatus.UNDONE
    batch.undone_by = actor
    batch.undone_at = timezone.now()
    batch.save(update_fields=["status", "undone_by", "undone_at"])
    record_event(
        actor=actor,
        action="import_batch.undone",
        obj=batch,
        changes={
            "rows": [
                None,
                {o: sum(1 for r in rows if r.outcome == o) for o in (RowOutcome.CREATED, RowOutcome.UPDATED)},
            ]
        },
    )
    return batch


def _typed(before: dict[str, Any]) -> dict[str, Any]:
    import datetime as dt

    out = dict(before)
    for name in ("date_of_birth", "ehc_plan_date"):
        if isinstance(out.get(name), str):
            out[name] = dt.date.fromisoformat(out[name])
    return out


def _remove_child(*, actor: User, child: Child, batch: ImportBatch) -> None:
    record_event(
        actor=actor,
        action="child.import_undone",
        obj=child,
        child=child,
        changes={"import_batch": [batch.pk, None], "name": [child.full_name, None]},
    )
    try:
        with transaction.atomic():
            child.delete()
    except ProtectedError:
        raise InvalidTransition(
            f"This import cannot be undone: {child.full_name}'s record has other records built on it"
        ) from None
