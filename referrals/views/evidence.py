"""Evidence: uploading, downloading and removing documents."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from casework.web import form_step
from referrals import access, selectors, services
from referrals.evidence import open_stored
from referrals.forms.journey import EvidenceForm
from referrals.views.common import _require_editable, _saved


@require_http_methods(["GET", "POST"])
def evidence_list(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    _require_editable(referral)
    max_mb = settings.EVIDENCE_MAX_UPLOAD_MB
    form = EvidenceForm(request.POST or None, request.FILES or None, max_mb=max_mb)
    before = referral.status

    def upload(data):
        evidence = services.evidence_add(
            actor=request.user, referral=referral, upload=data["file"], title=data["title"]
        )
        referral.refresh_from_db(fields=["status"])
        return evidence

    done = form_step(
        request,
        form,
        upload,
        message=lambda evidence: _saved(request, referral, before, f"{evidence.original_name} uploaded"),
        then=request.path,
    )
    if done:
        return done
    return render(
        request,
        "referrals/evidence.html",
        {
            "referral": referral,
            "form": form,
            "evidence": selectors.evidence_on(referral=referral),
        },
    )


def evidence_download(request, pk, evidence_pk):
    evidence = access.get_evidence_for_user(user=request.user, referral_pk=pk, pk=evidence_pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    services.evidence_record_download(actor=request.user, evidence=evidence)
    response = FileResponse(
        open_stored(evidence),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def evidence_remove(request, pk, evidence_pk):
    evidence = access.get_evidence_for_user(user=request.user, referral_pk=pk, pk=evidence_pk)
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    _require_editable(referral)
    back = reverse("referrals:evidence", args=[referral.pk])
    if request.method == "POST":
        evidence.referral = referral
        services.evidence_remove(actor=request.user, evidence=evidence)
        messages.success(request, f"{evidence.original_name} removed")
        return redirect(back)
    return render(
        request,
        "referrals/confirm.html",
        {
            "referral": referral,
            "heading": f"Remove {evidence.title or evidence.original_name}?",
            "intro": ["It will no longer be part of the referral. The file is kept in the record's history."],
            "back_url": back,
            "submit_label": "Remove evidence",
            "warning": True,
        },
    )
