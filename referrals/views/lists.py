"""The lists of referrals: mine, awaiting my sign-off, all I can see, and a meeting's submissions.
Each page is logged as a list of the children it names (issue 12)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from casework.access import NOT_FOUND_MESSAGE
from casework.audit import filters_text, record_child_list_view
from referrals import selectors
from referrals.forms.lists import ReferralFilterForm
from referrals.models import Status

# panels' names, imported once in __init__.py (the import contract's declared exceptions)
from referrals.views import meeting_deadlines, panels_access

PAGE_SIZE = 25


def _logged_page(request, referrals):
    """A page of referrals, logged as a list of the children it names (issue 12)."""
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    record_child_list_view(
        user=request.user,
        child_ids=[referral.child_id for referral in page.object_list],
        channel="page",
        path=request.path,
        query=filters_text(request.GET),
    )
    return page


def _list_page(request, *, referrals, heading: str, tab: str, **extra):
    page = _logged_page(request, referrals)
    return render(
        request,
        "referrals/referral_list.html",
        {"page": page, "heading": heading, "tab": tab, **extra},
    )


def my_referrals(request):
    return _list_page(
        request,
        referrals=selectors.my_referrals(user=request.user),
        heading="My referrals",
        tab="mine",
        empty="You have not started any referrals. To start one, find the child and choose "
        "'Start a referral' on their record.",
    )


def awaiting_sign_off(request):
    return _list_page(
        request,
        referrals=selectors.awaiting_my_sign_off(user=request.user),
        heading="Awaiting my sign-off",
        tab="awaiting",
        empty="Nothing is waiting for your signature.",
    )


def all_referrals(request):
    form = ReferralFilterForm(
        request.GET or None,
        panels=panels_access.panels_visible_to(user=request.user),
        statuses=Status.choices,
    )
    filters = selectors.ReferralFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.ReferralFilters(
            status=data["status"] or "",
            panel=data["panel"].pk if data["panel"] else None,
            pathway=data["pathway"] or "",
            urgency=data["urgency"] or "",
        )
    return _list_page(
        request,
        referrals=selectors.referral_list(user=request.user, filters=filters),
        heading="All referrals I can see",
        tab="all",
        form=form,
        filtered=filters != selectors.ReferralFilters(),
        empty="No referrals match.",
    )


def meeting_referrals(request, meeting_pk):
    """A meeting's "Submitted for this meeting" list, for the partnership's panel people."""
    meeting = panels_access.get_meeting_for_user(user=request.user, pk=meeting_pk)
    if not selectors.can_see_panel_lists(user=request.user):
        raise Http404(NOT_FOUND_MESSAGE)
    referrals = selectors.submitted_for_meeting(user=request.user, meeting_id=meeting.pk)
    page = _logged_page(request, referrals)
    return render(
        request,
        "referrals/meeting_referrals.html",
        {"meeting": meeting, "deadlines": meeting_deadlines(meeting), "page": page},
    )
