"""A Continuing Care decision names the panel referral that made it by choosing it among the
child's referrals, never by typing a database number (issue 16, "Forms and words": today's
"Panel referral number")."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from pathways import services
from tests.factories import DraftReferralFactory, PanelFactory
from tests.pathways.conftest import D, complete_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def recommended(cc_assessing, clinician):
    complete_assessment(cc_assessing, clinician, level="high")
    services.cc_recommend(actor=clinician, case=cc_assessing, recommendation="needs", reasons="High needs")
    return cc_assessing


@pytest.fixture
def amelias_referral(amelia, social_worker, hampshire):
    panel = PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)
    return DraftReferralFactory(child=amelia, referrer=social_worker, panel=panel)


def test_the_referral_is_chosen_from_the_childs_referrals(
    client, social_worker, recommended, amelias_referral, leicester_child
):
    other_childs = DraftReferralFactory(child=leicester_child)
    client.force_login(social_worker)
    url = reverse("pathways:cc_decision", args=[recommended.pk])

    page = client.get(url).content.decode()
    assert "Panel referral number" not in page
    assert "No panel made this decision" in page
    started = f"{amelias_referral.created_at:%-d %B %Y}"
    assert re.search(
        rf'<option value="{amelias_referral.pk}">Hampshire IRAP, started {started} \(draft\)</option>', page
    )
    assert f'value="{other_childs.pk}"' not in page

    response = client.post(
        url, {"decision": "needs", "decided_on": "1/3/2026", "panel_referral": amelias_referral.pk}
    )
    assert response.status_code == 302
    recommended.continuing_care.refresh_from_db()
    assert recommended.continuing_care.panel_referral == amelias_referral
    case_page = client.get(reverse("pathways:case", args=[recommended.pk])).content.decode()
    assert f"at Hampshire IRAP, referral started {started}" in case_page
    assert f"panel referral {amelias_referral.pk}" not in case_page


def test_another_childs_referral_cannot_be_sent(client, social_worker, recommended, leicester_child):
    other_childs = DraftReferralFactory(child=leicester_child)
    client.force_login(social_worker)
    response = client.post(
        reverse("pathways:cc_decision", args=[recommended.pk]),
        {"decision": "needs", "decided_on": "1/3/2026", "panel_referral": other_childs.pk},
    )
    assert response.status_code == 200
    assert "Choose one of the child&#x27;s referrals" in response.content.decode()
    recommended.continuing_care.refresh_from_db()
    assert recommended.continuing_care.decision == ""


def test_no_panel_referral_is_fine(client, social_worker, recommended):
    client.force_login(social_worker)
    response = client.post(
        reverse("pathways:cc_decision", args=[recommended.pk]),
        {"decision": "needs", "decided_on": "1/3/2026", "panel_referral": ""},
    )
    assert response.status_code == 302
    recommended.continuing_care.refresh_from_db()
    assert recommended.continuing_care.panel_referral is None
    assert recommended.continuing_care.decided_on == D(2026, 3, 1)
