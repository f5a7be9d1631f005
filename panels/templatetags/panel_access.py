"""Template tags that ask panels/access.py, so a page links only to what the person may open
(issue 16: no link to a page the person cannot use)."""

from __future__ import annotations

from django import template

from casework.models import User
from panels import access
from panels.models import AgencyRecommendation, Panel

register = template.Library()


@register.simple_tag
def may_see_recommendation(user: User, recommendation: AgencyRecommendation, panel: Panel) -> bool:
    """{% may_see_recommendation request.user r meeting.panel as visible %}: whether the person may
    open the recommendation's page (panels.access.can_see_recommendation)."""
    return access.can_see_recommendation(user=user, recommendation=recommendation, panel=panel)
