"""The quarterly access review's pages (casework.access_reviews, issue 20): a manager's list of the
people they review this quarter, and one page a person to keep or remove their access."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from casework import access_reviews
from casework.access import NOT_FOUND_MESSAGE
from casework.forms import GovUKForm
from casework.models import ReviewDecision, Role, User
from casework.my_work_team import _require_manager
from casework.team import get_managed_person
from casework.web import form_page


class ReviewForm(GovUKForm):
    decision = forms.ChoiceField(
        label="Do they still need this access?",
        choices=ReviewDecision.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Say whether they still need this access",
            "invalid_choice": "Say whether they still need this access",
        },
    )
    reason = forms.CharField(
        label="Why do they no longer need it?",
        help_text="For example, they have moved to a role that does not approve funding. The partnership "
        "administrators are told, and change or close the account.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
    reveals = {"decision": {ReviewDecision.REMOVE: ("reason",)}}


def _quarter_words(quarter) -> str:
    first, last = quarter
    return f"{first:%-d %B} to {last:%-d %B %Y}"


def _access_words(person: User) -> list[str]:
    roles = ", ".join(Role(role).label for role in person.roles if role in Role.values) or "no roles"
    said = [f"Roles: {roles}."]
    if person.delegated_limit is not None:
        said.append(f"Delegated limit: £{person.delegated_limit:,.2f} a year.")
    said.append(
        f"Last signed in: {person.last_login:%-d %B %Y}." if person.last_login else "Has never signed in."
    )
    return said


@require_GET
def review_list(request):
    """GET /my-work/team/access-review/: the people the manager reviews this quarter."""
    _require_manager(request.user)
    quarter, rows = access_reviews.review_rows(manager=request.user)
    return render(
        request,
        "casework/access_review.html",
        {
            "quarter": _quarter_words(quarter),
            "rows": rows,
            "to_review": sum(1 for row in rows if row.review is None),
            "nav_section": "home",
        },
    )


@require_http_methods(["GET", "POST"])
def review_person(request, pk):
    """GET/POST /my-work/team/<person>/access/: keep or remove one person's access this quarter."""
    _require_manager(request.user)
    person = get_managed_person(user=request.user, pk=pk)
    if not person.is_active:
        raise Http404(NOT_FOUND_MESSAGE)  # a closed account has no access to review
    name = person.full_name or person.email
    back = reverse("my_work_team_access_review")
    return form_page(
        request,
        form=ReviewForm(request.POST or None),
        run=lambda data: access_reviews.access_review_record(
            actor=request.user, person=person, decision=data["decision"], reason=data["reason"]
        ),
        then=back,
        message=lambda review: (
            f"{name}'s access "
            + (
                "confirmed"
                if review.decision == ReviewDecision.KEEP
                else "sent to the administrators to remove"
            )
        ),
        heading=f"Review {name}'s access",
        caption=f"Access review, {_quarter_words(access_reviews.quarter_of(timezone.localdate()))}",
        intro=_access_words(person),
        back_url=back,
        submit_label="Save",
    )
