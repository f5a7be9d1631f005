"""The chair's decision form shows every problem at once, not in turns (issue 16, "Forms and
words": "every field validated at once, not in stages"). What the outcome asks for is one rule,
panels.services.decision_rules.missing_answers: the service checks it with the rest, and the form
asks it too when something typed cannot be read (so the service is not reached yet)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from panels.models import Decision
from tests.panels.conftest import client_for
from tests.test_form_messages import _page_errors

pytestmark = pytest.mark.django_db


def _post(quorate, item, panel_admin, **values):
    prefix = f"item-{item.pk}"
    return client_for(panel_admin).post(
        reverse("panels:run_decision", args=[quorate.pk, item.pk]),
        {f"{prefix}-{name}": value for name, value in values.items()},
    )


def test_an_empty_decision_names_every_missing_answer(quorate, item, panel_admin):
    response = _post(quorate, item, panel_admin, outcome="", rationale="")
    prefix = f"item-{item.pk}"
    _page_errors(
        response,
        {
            f"{prefix}-outcome": "Choose the outcome",
            f"{prefix}-rationale": "Enter the rationale for the decision",
        },
    )
    assert not Decision.objects.exists()


def test_an_agreement_says_every_missing_answer_with_what_was_mistyped(quorate, item, panel_admin):
    """A cost that cannot be read stops the service, yet the lead agency, the option, the rationale
    and the review date are asked for on the same page."""
    response = _post(quorate, item, panel_admin, outcome="agreed_preferred_option", cost="twelve pounds")
    prefix = f"item-{item.pk}"
    _page_errors(
        response,
        {
            f"{prefix}-option": "Choose the option agreed",
            f"{prefix}-rationale": "Enter the rationale for the decision",
            f"{prefix}-lead_agency": "Choose the lead agency",
            f"{prefix}-cost": "Agreed cost in pounds must be a number, like 1234.56",
            f"{prefix}-cost_period": "Choose how often the cost is paid",
            f"{prefix}-review_date": "Enter the review date",
        },
    )
    assert not Decision.objects.exists()


def test_the_service_says_the_same_all_at_once(quorate, item, panel_admin):
    """Nothing mistyped: the service names every missing answer in one go, in the same words."""
    response = _post(
        quorate, item, panel_admin, outcome="agreed_with_conditions", rationale="Meets her needs."
    )
    prefix = f"item-{item.pk}"
    _page_errors(
        response,
        {
            f"{prefix}-option": "Choose the option agreed",
            f"{prefix}-conditions": "Enter the conditions of the agreement",
            f"{prefix}-cost": "Enter the agreed cost",
            f"{prefix}-cost_period": "Choose how often the cost is paid",
            f"{prefix}-lead_agency": "Choose the lead agency",
            f"{prefix}-review_date": "Enter the review date",
        },
    )
    assert not Decision.objects.exists()
