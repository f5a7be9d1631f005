"""The partnership administrator's import pages (GOV.UK, no JavaScript needed): upload a file,
choose its sheet, match its columns, read the dry run and decide the ambiguous rows, confirm, watch
the progress, undo. Thin: check access (moving_in.access, 404 for anyone else), parse, call the
service, render. Access is checked before the method, so another partnership's POST is the same 404."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from casework import access
from casework.audit import record_child_list_view
from casework.forms import add_service_errors
from casework.web import form_page
from moving_in import fields as F
from moving_in import reading, selectors, services
from moving_in.access import can_register_children, get_batch_for_user, require_importer
from moving_in.forms import ConfirmForm, MappingForm, SheetForm, UploadForm, column_name
from moving_in.models import BatchStatus, ImportBatch, RowPlan

PAGE_SIZE = 50


def _only(request, *methods: str) -> HttpResponseNotAllowed | None:
    if request.method in methods or (request.method == "HEAD" and "GET" in methods):
        return None
    return HttpResponseNotAllowed(list(methods))


def _batch_url(batch: ImportBatch) -> str:
    return reverse("moving_in:batch", args=[batch.pk])


def index(request):
    user = require_importer(request.user)
    if refused := _only(request, "GET"):
        return refused
    page = Paginator(selectors.batch_list(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "moving_in/index.html",
        {
            "partnership": access.agency_of(user).partnership,
            "agency": access.agency_of(user),
            "can_import": can_register_children(user),
            "page": page,
        },
    )


class _SizeLimit(FileUploadHandler):
    """Stop reading an upload once it passes the limit, rather than spool a huge file to disk
    first (the page then says how large a file may be)."""

    def __init__(self, request, limit: int) -> None:
        super().__init__(request)
        self.limit, self.received, self.too_big = limit, 0, False

    def receive_data_chunk(self, raw_data, start):
        self.received = start + len(raw_data)
        if self.received > self.limit:
            self.too_big = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


@csrf_exempt  # checked below, once the upload's size limit is in place (Django's documented way)
def upload(request):
    user = require_importer(request.user)
    if refused := _only(request, "GET", "POST"):
        return refused
    limit = _SizeLimit(request, settings.MOVING_IN_MAX_UPLOAD_BYTES)
    request.upload_handlers.insert(0, limit)
    return csrf_protect(_upload)(request, user, limit)


def _upload(request, user, limit: _SizeLimit):
    agency = access.agency_of(user)
    limits = {"max_bytes": settings.MOVING_IN_MAX_UPLOAD_BYTES, "max_rows": settings.MOVING_IN_MAX_ROWS}
    if not can_register_children(user):
        return render(request, "moving_in/cannot_import.html", {"agency": agency}, status=200)
    form = UploadForm(request.POST or None, request.FILES or None, **limits)
    if limit.too_big:
        form.is_valid()
        form.errors["file"] = form.error_class([reading.size_message(settings.MOVING_IN_MAX_UPLOAD_BYTES)])
    elif request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            if upload_file.size > settings.MOVING_IN_MAX_UPLOAD_BYTES:
                services.reading.check_size(upload_file.size)  # the same refusal, before reading it
            batch = services.batch_upload(actor=user, name=upload_file.name, content=upload_file.read())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if batch.status == BatchStatus.CHOOSE_SHEET:
                return redirect("moving_in:sheet", pk=batch.pk)
            return redirect("moving_in:columns", pk=batch.pk)
    return form_page(
        request,
        form=form,
        heading="Upload a file of children",
        caption=agency.partnership,
        intro=[
            f"The children are registered for {agency.name}, which becomes their lead agency, as when "
            "you register a child from its page. A column of other agencies involves them too.",
            "Nothing is saved until you have seen what the import would do and confirmed it.",
        ],
        back_url=reverse("moving_in:index"),
        submit_label="Upload and continue",
    )


def sheet(request, pk):
    user = require_importer(request.user)
    batch = get_batch_for_user(user=user, pk=pk)
    if refused := _only(request, "GET", "POST"):
        return refused
    if batch.status != BatchStatus.CHOOSE_SHEET:
        return redirect(_batch_url(batch))
    form = SheetForm(request.POST or None, sheets=batch.sheet_names)
    return form_page(
        request,
        form=form,
        heading="Choose a sheet",
        caption=batch.file_name,
        intro=[f"The workbook has {len(batch.sheet_names)} sheets. Choose the one that lists the children."],
        back_url=reverse("moving_in:index"),
        submit_label="Continue",
        run=lambda data: services.batch_choose_sheet(actor=user, batch=batch, sheet=data["sheet"]),
        then=lambda done: reverse("moving_in:columns", args=[done.pk]),
    )


def columns(request, pk):
    user = require_importer(request.user)
    batch = get_batch_for_user(user=user, pk=pk)
    if refused := _only(request, "GET", "POST"):
        return refused
    if batch.status == BatchStatus.CHOOSE_SHEET:
        return redirect("moving_in:sheet", pk=batch.pk)
    if not batch.is_open:
        return redirect(_batch_url(batch))
    table, lines = selectors.batch_table(batch=batch)
    header_row = batch.header_row
    if request.method == "POST" and str(request.POST.get("header_row", "")).isdigit():
        header_row = min(int(request.POST["header_row"]), max(len(table) - 1, 0))
    mapping = batch.mapping
    changing_row = request.method == "POST" and "change_row" in request.POST
    if changing_row and header_row != batch.header_row and table:
        # Other headings: guess their columns afresh, and show the form unanswered.
        mapping = F.guess_mapping(
            table[header_row], selectors.remembered_headings(partnership=batch.partnership)
        )
    initial = {"header_row": header_row, **{name: str(i) for name, i in mapping.items()}}
    data = None if changing_row or request.method != "POST" else request.POST
    form = MappingForm(data, table=table, lines=lines, header_row=header_row, initial=initial)
    if data is not None and form.is_valid():
        try:
            services.batch_map(
                actor=user, batch=batch, header_row=form.cleaned_data["header_row"], mapping=form.mapping()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect(_batch_url(batch))
    headings = table[header_row] if table else []
    sample = table[header_row + 1 : header_row + 4]
    return render(
        request,
        "moving_in/columns.html",
        {
            "batch": batch,
            "form": form,
            "fields": [form[f.name] for f in F.FIELDS],
            "preview": [
                (
                    column_name(i, headings[i] if i < len(headings) else ""),
                    [r[i] if i < len(r) else "" for r in sample],
                )
                for i in range(max((len(r) for r in [headings, *sample]), default=0))
            ],
        },
    )


def batch_detail(request, pk):
    user = require_importer(request.user)
    batch = get_batch_for_user(user=user, pk=pk)
    if refused := _only(request, "GET"):
        return refused
    if batch.status == BatchStatus.CHOOSE_SHEET:
        return redirect("moving_in:sheet", pk=batch.pk)
    if batch.status == BatchStatus.MAPPING:
        return redirect("moving_in:columns", pk=batch.pk)
    show = request.GET.get("show", "all")
    if show not in selectors.SHOWS:
        show = "all"
    page = Paginator(selectors.batch_rows(batch=batch, show=show), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    for row in rows:
        row.change_list = [(f.label, *row.changes[f.name]) for f in F.FIELDS if f.name in row.changes]
    candidates = selectors.candidates_by_row(user=user, rows=rows)
    shown = {r.child_id for r in rows if r.child_id} | {c.pk for found in candidates.values() for c in found}
    if shown:
        record_child_list_view(
            user=user, child_ids=sorted(shown), channel="page", path=request.path, query=show
        )
    counts = batch.counts.get("plan", {})
    return render(
        request,
        "moving_in/batch.html",
        {
            "batch": batch,
            "page": page,
            "rows": [(row, candidates.get(row.pk, [])) for row in rows],
            "show": show,
            "tabs": [("all", "All rows", batch.rows_total)]
            + [(plan.value, plan.label, counts.get(plan.value, 0)) for plan in RowPlan],
            "counts": counts,
            "outcomes": batch.counts.get("outcome", {}),
            "Plan": RowPlan,
            "Status": BatchStatus,
            "can_import": can_register_children(user),
            "undecided": counts.get(RowPlan.AMBIGUOUS, 0) and selectors.undecided_count(batch=batch),
            "percent": int(100 * batch.rows_done / batch.rows_total) if batch.rows_total else 100,
        },
    )


def decide(request, pk):
    user = require_importer(request.user)
    batch = get_batch_for_user(user=user, pk=pk)
    if refused := _only(request, "POST"):
        return refused
    decisions = {
        int(key[4:]): value
        for key, value in request.POST.items()
        if key.startswith("row-") and key[4:].isdigit()
    }
    if not any(decisions.values()):
        messages.error(request, "Choose which child each row is, a new child, or to leave the row out")
        return redirect(reverse("moving_in:batch", args=[batch.pk]) + "?show=ambiguous")
    try:
        made = services.batch_decide(actor=user, batch=batch, decisions=decisions)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"{made} decision{'s' if made != 1 else ''} saved")
    return redirect(reverse("moving_in:batch", args=[batch.pk]) + "?show=ambiguous")


def confirm(request, pk):
    user = require_importer(request.user)
    batch = get_batch_for_user(user=user, pk=pk)
    if refused := _only(request, "GET", "POST"):
        return refused
    if batch.status != BatchStatus.CHECKED:
        return redirect(_batch_url(batch))
    counts = batch.counts.get("plan", {})
    return form_page(
        request,
        form=ConfirmForm(request.POST if request.method == "POST" else None),
        heading="Import these children?",
        caption=batch.file_name,
        intro=[
            f"{counts.get('create', 0)} children will be registered and {counts.get('update', 0)} records updated. "
            f"{counts.get('unchanged', 0)} rows match a child with nothing to change and {counts.get('refuse', 0)} "
            "rows are refused: they are left out.",
            "The import runs in the background; its page shows how far it has got. You can undo it "
            "while nothing has been recorded on its children since.",
        ],
        back_url=_batch_url(batch),
        submit_label="Import",
        run=lambda data: services.batch_confirm(actor=user, batch=batch),
        then=_batch_url,
        message="The import has started",
    )


def retry(request, pk):
    user = require_importer(request.user)
    batch = get_batch_for_user(user=user, pk=pk)
    if refused := _only(request, "GET", "POST"):
        return refused
    if batch.status not in (BatchStatus.FAILED, BatchStatus.QUEUED, BatchStatus.IMPORTING):
        return redirect(_batch_url(batch))
    return form_page(
        request,
        form=ConfirmForm(request.POST if request.method == "POST" else None),
        heading="Start the import again?",
        caption=batch.file_name,
        intro=[
            "The rows already imported are kept and not imported twice; the import goes on from where it stopped."
        ],
        back_url=_batch_url(batch),
        submit_label="Start again",
        run=lambda data: services.batch_requeue(actor=user, batch=batch),
        then=_batch_url,
        message="The import has started again",
    )


def undo(request, pk):
    user = require_importer(request.user)
    batch = get_batch_for_user(user=user, pk=pk)
    if refused := _only(request, "GET", "POST"):
        return refused
    if batch.status != BatchStatus.IMPORTED:
        raise services.InvalidTransition("Only a finished import can be undone")
    blockers = services.undo_blockers(batch=batch)
    if blockers:
        raise services.InvalidTransition(
            "This import cannot be undone: work has been recorded since on the children of rows "
            + ", ".join(str(r.number) for r in blockers[:10])
        )
    outcomes = batch.counts.get("outcome", {})
    return form_page(
        request,
        form=ConfirmForm(request.POST if request.method == "POST" else None),
        heading="Undo this import?",
        caption=batch.file_name,
        intro=[
            f"The {outcomes.get('created', 0)} children it registered will be removed, and the "
            f"{outcomes.get('updated', 0)} records it updated will go back to what they said before. "
            "The audit trail keeps a record of both.",
        ],
        back_url=_batch_url(batch),
        submit_label="Undo the import",
        warning=True,
        run=lambda data: services.batch_undo(actor=user, batch=batch),
        then=_batch_url,
        message="The import has been undone",
    )
