"""The partnership's quarterly access review, as its administrators see it (casework.access_reviews,
issue 20): each agency's progress this quarter, and the removals its managers asked for."""

from __future__ import annotations

from django.shortcuts import render

from casework import access, access_reviews
from casework.administration.views.common import _admin, _read_only


def access_review_progress(request):
    user = _admin(request)
    if refused := _read_only(request):
        return refused
    partnership = access.agency_of(user).partnership
    (first, last), agencies = access_reviews.agency_progress(partnership=partnership)
    return render(
        request,
        "casework/administration/access_reviews.html",
        {
            "partnership": partnership,
            "quarter": f"{first:%-d %B} to {last:%-d %B %Y}",
            "agencies": agencies,
            "removals": [review for row in agencies for review in row.removals],
            "nav_section": "administration",
        },
    )
