"""The partnership's background work (the outbox): what is waiting, what failed, and a retry."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from casework import access
from casework.administration import selectors
from casework.administration.views.common import PAGE_SIZE, _admin, _read_only


def background_work(request):
    """E-mails, packs and papers owed for the partnership: whether the background processes are
    running, what is waiting, and what failed (each can be tried again)."""
    from casework import outbox

    user = _admin(request)
    if refused := _read_only(request):
        return refused
    status = request.GET.get("status")
    if status not in selectors.JOB_STATES:
        status = "failed"
    page = Paginator(selectors.background_jobs(user=user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for job in page:
        job.label = outbox.label_for(job.kind)
    return render(
        request,
        "casework/administration/background_work.html",
        {
            "partnership": access.agency_of(user).partnership,
            "summary": selectors.background_summary(user=user),
            "relay": outbox.relay_health(),
            "status": status,
            "states": selectors.JOB_STATES,
            "page": page,
        },
    )


def background_job_retry(request, pk):
    from casework import outbox

    user = _admin(request)
    job = access.get_administered_background_job(user=user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    outbox.job_retry(actor=user, job=job)
    messages.success(request, f"{outbox.label_for(job.kind)} will be tried again: {job.summary}")
    return redirect(reverse("administration:background_work") + "?status=waiting")
