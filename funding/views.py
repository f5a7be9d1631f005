"""Pages for funding packages, under /funding/. Thin: parse input, check access, call a service,
render. Packages and shares come only from funding/access.py (404 for anyone who may not see
them); NotAllowed → 403 page and InvalidTransition → 409 page are mapped in DomainErrorMiddleware.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from casework.access import NOT_FOUND_MESSAGE, NotAllowed, get_child_for_user, record_id
from casework.audit import filters_text, record_child_list_view, record_child_view
from casework.web import form_page, form_step
from funding import access, charts, exports, selectors, services
from funding.forms import (
    AnswerForm,
    ApproveForm,
    CetrForm,
    CommitmentsForm,
    DisputeForm,
    EndForm,
    NewPackageForm,
    QueryForm,
    VaryForm,
)
from funding.models import PackageStatus, ShareStatus

PAGE_SIZE = 25


def _detail_url(package) -> str:
    return reverse("funding:detail", args=[package.pk])


def log_children(request, child_ids, *, channel: str = "page") -> None:
    """The read log (issue 12), for the pages and the API: one row naming the children whose
    packages the list or export shows, from the rows already loaded, with its filters. A list that
    shows no child logs nothing: its filters name nobody."""
    ids = list(child_ids)
    if ids:
        record_child_list_view(
            user=request.user,
            child_ids=ids,
            channel=channel,
            path=request.path,
            query=filters_text(request.GET),
        )


@require_GET
def package_list(request):
    status = request.GET.get("status", "")
    packages = selectors.package_list(user=request.user, status=status)
    page = Paginator(packages, PAGE_SIZE).get_page(request.GET.get("page"))
    log_children(request, [package.child_id for package in page])
    return render(
        request,
        "funding/package_list.html",
        {
            "page": page,
            "status": status,
            "statuses": PackageStatus.choices,
            "can_record": access.can_manage(user=request.user),
            "can_see_commitments": access.can_see_commitments(user=request.user),
        },
    )


@require_GET
def tray(request):
    shares = selectors.awaiting_for(user=request.user)
    page = Paginator(shares, PAGE_SIZE).get_page(request.GET.get("page"))
    log_children(request, [share.package.child_id for share in page])
    return render(request, "funding/tray.html", {"page": page})


@require_GET
def package_detail(request, pk):
    package = selectors.package_for_page(user=request.user, pk=pk)
    record_child_view(user=request.user, child=package.child, path=request.path)
    versions = list(package.versions.all())
    current = next(v for v in versions if v.pk == package.current_version_id)
    matrix = selectors.matrix(user=request.user, package=package)
    mine = [
        row.share
        for row in matrix.rows
        if row.share.agency_id == request.user.agency_id
        and row.paid_until_version is None
        and access.is_finance_approver(request.user)
    ]
    return render(
        request,
        "funding/package_detail.html",
        {
            "package": package,
            "current": current,
            "versions": versions,
            "matrix": matrix,
            "mine": mine,
            "can_manage": access.can_manage(user=request.user) and not package.is_ended,
            "is_panel_admin": request.user.has_role("panel_administrator"),
            "events": list(package.events.all()),
            "disputes": list(package.disputes.all()),
            "ShareStatus": ShareStatus,
        },
    )


def _share_action(request, pk, *, form_class, heading, submit_label, run, warning=False):
    share = access.get_share_for_user(user=request.user, pk=pk)
    access.require_approver_of(user=request.user, share=share)
    package = share.package
    form = form_class(
        request.POST or None, initial={"version": package.version_number, "status": share.status}
    )
    done = form_step(
        request, form, lambda data: run(share, data), message=f"{heading}: done", then=_detail_url(package)
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading=heading,
        caption=f"Funding package {package.pk}, version {package.version_number}",
        intro=[
            f"{share.agency.name} pays £{share.amount:,.2f} {share.version.get_cost_period_display()} (£{share.annual_amount:,.2f} a year).",
            f"The share is {share.get_status_display().lower()}.",
        ],
        back_url=_detail_url(package),
        submit_label=submit_label,
        warning=warning,
    )


@require_http_methods(["GET", "POST"])
def share_approve(request, pk):
    return _share_action(
        request,
        pk,
        form_class=ApproveForm,
        heading="Approve your agency's share",
        submit_label="Approve share",
        run=lambda share, data: services.share_approve(
            actor=request.user, share=share, expected_version=data["version"], expected_status=data["status"]
        ),
    )


@require_http_methods(["GET", "POST"])
def share_query(request, pk):
    return _share_action(
        request,
        pk,
        form_class=QueryForm,
        heading="Ask a question about this share",
        submit_label="Send question",
        run=lambda share, data: services.share_query(
            actor=request.user,
            share=share,
            expected_version=data["version"],
            expected_status=data["status"],
            question=data["question"],
        ),
    )


@require_http_methods(["GET", "POST"])
def share_dispute(request, pk):
    return _share_action(
        request,
        pk,
        form_class=DisputeForm,
        heading="Dispute your agency's share",
        submit_label="Record dispute",
        warning=True,
        run=lambda share, data: services.share_dispute(
            actor=request.user,
            share=share,
            expected_version=data["version"],
            expected_status=data["status"],
            reason=data["reason"],
        ),
    )


@require_http_methods(["GET", "POST"])
def share_answer(request, pk):
    share = access.get_share_for_user(user=request.user, pk=pk)
    form = AnswerForm(request.POST or None)
    done = form_step(
        request,
        form,
        lambda data: services.share_answer_query(actor=request.user, share=share, answer=data["answer"]),
        message="Answer sent",
        then=_detail_url(share.package),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Answer the finance approver's question",
        inset=share.query_text,
        back_url=_detail_url(share.package),
        submit_label="Send answer",
    )


def _package_for_change(request, pk):
    package = access.get_package_for_user(user=request.user, pk=pk)
    access.require_manager(user=request.user)
    return package


@require_http_methods(["GET", "POST"])
def package_end(request, pk):
    package = _package_for_change(request, pk)
    form = EndForm(request.POST or None, initial={"version": package.version_number})
    done = form_step(
        request,
        form,
        lambda data: services.package_end(
            actor=request.user,
            package=package,
            expected_version=data["version"],
            ends_on=data["ends_on"],
            reason=data["reason"],
        ),
        message="Package ended",
        then=_detail_url(package),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="End this package",
        back_url=_detail_url(package),
        submit_label="End package",
        warning=True,
    )


@require_http_methods(["GET", "POST"])
def package_cetr(request, pk):
    package = _package_for_change(request, pk)
    form = CetrForm(request.POST or None)
    done = form_step(
        request,
        form,
        lambda data: services.package_record_cetr(
            actor=request.user,
            package=package,
            completed_on=data["completed_on"],
            multi_agency_agreed=data["multi_agency_agreed"],
        ),
        message="Care, Education and Treatment Review recorded",
        then=_detail_url(package),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Record the Care, Education and Treatment Review",
        intro=["A residential placement of 38 weeks or more needs a CETR and the agencies' agreement."],
        back_url=_detail_url(package),
        submit_label="Record review",
    )


def _terms_from(request, form):
    data = form.cleaned_data
    provider = data.get("provider")
    if not provider:
        provider = services.provider_create(
            actor=request.user,
            name=data["new_provider_name"],
            kind=data["new_provider_kind"],
            regulator_reference=data.get("new_provider_reference", ""),
        )
    return services.PackageTerms(
        provider=provider,
        service_description=data["service_description"],
        cost=data["cost"],
        cost_period=data["cost_period"],
        starts_on=data["starts_on"],
        ends_on=data.get("ends_on"),
        review_date=data.get("review_date"),
        weeks_per_year=data["weeks_per_year"],
        personal_budget=data.get("personal_budget") or "",
        lines=form.lines(),
    )


def _terms_page(request, form, *, heading, back_url, submit_label, package=None):
    return render(
        request,
        "funding/terms_form.html",
        {
            "form": form,
            "heading": heading,
            "back_url": back_url,
            "submit_label": submit_label,
            "package": package,
        },
    )


@require_http_methods(["GET", "POST"])
def package_new(request, child_pk):
    """Record a package for an arrangement that existed before the panel ran here, from the child's
    record (a child the person cannot see answers 404 before anything else)."""
    child = get_child_for_user(user=request.user, pk=child_pk)
    if not access.can_manage(user=request.user):
        raise NotAllowed(
            "Only panel administrators, finance approvers and service managers can record packages"
        )
    if request.method == "GET":  # the page names the child
        record_child_view(user=request.user, child=child, path=request.path)
    agencies = selectors.split_agencies(user=request.user)
    form = NewPackageForm(
        request.POST or None,
        agencies=agencies,
        actor=request.user,
        initial={"agency_1": request.user.agency_id},
    )

    def record(data):
        return services.package_create_existing(
            actor=request.user, child=child, pathway=data["pathway"], terms=_terms_from(request, form)
        )

    done = form_step(request, form, record, message="Package recorded", then=_detail_url)
    if done:
        return done
    return _terms_page(
        request,
        form,
        heading=f"Record an existing funding arrangement for {child.full_name}",
        back_url=reverse("children:detail", args=[child.pk]),
        submit_label="Record package",
    )


@require_http_methods(["GET", "POST"])
def package_vary(request, pk):
    package = _package_for_change(request, pk)
    current = package.current_version
    shares = selectors.version_shares(version=current)
    agencies = selectors.split_agencies(user=request.user)
    initial = {
        "version": package.version_number,
        "provider": current.provider_id,
        "service_description": current.service_description,
        "weeks_per_year": current.weeks_per_year,
        "cost": current.cost,
        "cost_period": current.cost_period,
        "starts_on": current.starts_on,
        "ends_on": current.ends_on,
        "review_date": current.review_date,
        "personal_budget": current.personal_budget,
    }
    for i, share in enumerate(shares, start=1):
        initial.update({f"agency_{i}": share.agency_id, f"basis_{i}": share.basis, f"value_{i}": share.value})
    form = VaryForm(request.POST or None, agencies=agencies, initial=initial)
    done = form_step(
        request,
        form,
        lambda data: services.package_vary(
            actor=request.user,
            package=package,
            expected_version=data["version"],
            effective_from=data["effective_from"],
            terms=_terms_from(request, form),
            change_reason=data["change_reason"],
            backdating_reason=data.get("backdating_reason", ""),
        ),
        message="New version saved",
        then=_detail_url(package),
    )
    if done:
        return done
    return _terms_page(
        request,
        form,
        heading="Change this package",
        back_url=_detail_url(package),
        submit_label="Save new version",
        package=package,
    )


@require_GET
def versions_compare(request, pk):
    package = selectors.package_for_page(user=request.user, pk=pk)
    versions = {v.number: v for v in package.versions.all()}
    try:
        a = versions[record_id(request.GET.get("a", 1))]
        b = versions[record_id(request.GET.get("b", package.version_number))]
    except KeyError:
        raise Http404(NOT_FOUND_MESSAGE) from None
    return render(
        request,
        "funding/compare.html",
        {
            "package": package,
            "a": a,
            "b": b,
            "rows": selectors.versions_compared(a, b),
            "versions": list(versions.values()),
        },
    )


def _year(request) -> int | None:
    form = CommitmentsForm(request.GET or None)
    return form.cleaned_data.get("year") if form.is_valid() else None


@require_GET
def commitments(request):
    if not access.can_see_commitments(user=request.user):
        raise NotAllowed("Only finance approvers, service managers and auditors can see commitments")
    data = selectors.commitments_for(user=request.user, year=_year(request))
    log_children(request, [line.package.child_id for line in data.lines])
    return render(
        request,
        "funding/commitments.html",
        {
            "c": data,
            "charts": [
                charts.bar_chart(title="By pathway", rows=data.by_pathway),
                charts.bar_chart(title="By provider", rows=data.by_provider),
                charts.bar_chart(title="By panel", rows=data.by_panel),
            ],
            "previous_year": data.year - 1,
            "next_year": data.year + 1,
        },
    )


def _export(request, file_format: str) -> FileResponse:
    """Every line of the year, read EXPORT_CHUNK packages at a time through a server-side cursor and
    written to a temporary file (in memory up to 1 MB, on disk beyond), then streamed: memory stays
    flat however many lines (bench/exports.py). Whether a package has a line is known only once its
    money is worked out, so the file is made before it is sent: the read log names exactly the
    children in it, and is written before anything goes out."""
    if not access.can_see_commitments(user=request.user):
        raise NotAllowed("Only finance approvers, service managers and auditors can export commitments")
    data, lines = selectors.commitments_export(user=request.user, year=_year(request))
    children: list[int] = []

    def noted() -> Iterator[selectors.CommitmentLine]:
        for line in lines():
            children.append(line.package.child_id)
            yield line

    if file_format == "csv":
        body, content_type = exports.csv_file(data, noted()), "text/csv; charset=utf-8"
    else:
        body = exports.xlsx_file(data, noted())
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    log_children(request, children, channel="export")
    return FileResponse(
        body, as_attachment=True, filename=exports.filename(data, file_format), content_type=content_type
    )


@require_GET
def export_csv(request):
    return _export(request, "csv")


@require_GET
def export_xlsx(request):
    return _export(request, "xlsx")
