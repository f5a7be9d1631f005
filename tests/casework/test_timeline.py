"""The child's one timeline and "What is due next" (issue 8): casework/timeline.py and the child page.

The clock starts at Monday 2 March 2026, 09:30 London (the panels/pathways fixtures).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from casework.timeline import child_timeline
from pathways import services as escalation
from pathways import services as pathway_services
from tests.funding.conftest import *  # noqa: F403  (panels fixtures, make_decision, provider, terms)
from tests.funding.conftest import terms
from tests.pathways.conftest import amelia, cc_assessing, cc_case, icb_panel_admin, ifr_case  # noqa: F401
from tests.pathways.conftest import at as london
from tests.pathways.test_escalation_fixtures import rsg, sgm  # noqa: F401

D = dt.date


@pytest.fixture
def decision(make_decision, hampshire, hiow_icb):
    """IRAP's signed decision on Amelia's referral: review by 13 October 2026."""
    return make_decision(
        shares=[(hampshire, "percentage", Decimal("50")), (hiow_icb, "percentage", Decimal("50"))]
    )


@pytest.fixture
def reviewed_package(clock, hampshire, hiow_icb, child, council_finance, provider):  # noqa: F811
    from funding import services as funding_services

    return funding_services.package_create_existing(
        actor=council_finance,
        child=child,
        pathway="joint_package",
        terms=terms(
            provider,
            (hampshire, "percentage", "50"),
            (hiow_icb, "percentage", "50"),
            review_date=D(2026, 6, 1),
        ),
    )


@pytest.fixture
def everything(decision, reviewed_package, cc_assessing, ifr_case, rsg, icb_panel_admin):  # noqa: F811
    pathway_services.ifr_decide(
        actor=icb_panel_admin, case=ifr_case, decision="more_information", reasons="Secret scan result 42"
    )
    return {"cc": cc_assessing, "ifr": ifr_case, "rsg": rsg}


def kinds(timeline) -> set[str]:
    return {entry.kind for entry in timeline.entries}


def test_entries_from_every_source_newest_first(everything, child, clinician):
    timeline = child_timeline(user=clinician, child=child)
    assert {
        "Referral",
        "Panel decision",
        "Funding package",
        "Continuing Care",
        "Individual Funding Request",
        "Escalation",
    } <= kinds(timeline)
    titles = [e.title for e in timeline.entries]
    assert any(t.startswith("Referral submitted to Hampshire IRAP") for t in titles)
    assert any(t.startswith("Referral placed on the agenda") for t in titles)
    assert any(t.startswith("Hampshire IRAP decision at the meeting on 9 April 2026") for t in titles)
    assert "Individual Funding Request submitted" in titles
    assert "Rapid Solutions Group authorised" in titles
    keys = [e.sort_key() for e in timeline.entries]
    assert keys == sorted(keys, reverse=True)


def test_child_page_shows_timeline_and_due_next(everything, child, client, social_worker):
    client.force_login(social_worker)
    response = client.get(reverse("children:detail", args=[child.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="due-next"' in page and 'id="timeline"' in page
    assert page.index('id="due-next"') < page.index("Personal details")
    # The existing Referrals table and Pathway cases link are kept.
    assert 'id="referrals"' in page
    assert reverse("pathways:child_cases", args=[child.pk]) in page
    assert reverse("funding:detail", args=[everything_package_pk(child)]) in page
    assert reverse("pathways:escalation", args=[everything["rsg"].pk]) in page


def test_another_agency_sees_only_what_pathways_allows(everything, child, client, social_worker):
    """The council's social worker sees that the IFR exists and its status, never its detail."""
    timeline = child_timeline(user=social_worker, child=child)
    ifr = [e for e in timeline.entries if e.kind == "Individual Funding Request"]
    assert ifr[-1].title == "Individual Funding Request submitted"
    assert ifr[0].title.startswith("IFR panel: ") and ifr[0].status == "More information requested"
    client.force_login(social_worker)
    page = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    for secret in (
        "Off-licence drug X",
        "Unique presentation",
        "Two consultant letters",
        "Secret scan result 42",
    ):
        assert secret not in page


def test_package_and_decision_hidden_from_agency_without_a_share(
    everything, child, clinician, hampshire_sen, social_worker
):
    """A user of an agency involved with the child but holding no share sees no package; decisions
    follow the referrals they may see."""
    from casework.models import Involvement, Role
    from tests.factories import UserFactory

    Involvement.objects.create(child=child, agency=hampshire_sen, role="other", added_by=social_worker)
    sen_officer = UserFactory(agency=hampshire_sen, roles=[Role.SOCIAL_WORKER])
    timeline = child_timeline(user=sen_officer, child=child)
    assert "Funding package" not in kinds(timeline)
    assert all("funding package" not in item.label for item in timeline.due)


def test_outsider_gets_404_on_child_page(everything, child, client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 404


def test_due_next_ordering_and_overdue(everything, child, clinician, clock):
    cc_due = everything["cc"].continuing_care.decision_due_on
    timeline = child_timeline(user=clinician, child=child)
    dues = [(item.on, item.label, item.overdue) for item in timeline.due]
    assert [d[0] for d in dues] == sorted(d[0] for d in dues)
    # First the RSG's first meeting (24 hours after 09:30 on 2 March), not yet overdue.
    assert dues[0] == (D(2026, 3, 3), "Rapid Solutions Group: first meeting", False)
    assert ("Continuing Care: decision" in [d[1] for d in dues]) is True
    assert not any(d[2] for d in dues)

    clock.move_to(london(cc_due + dt.timedelta(days=1)), tick=False)
    timeline = child_timeline(user=clinician, child=child)
    overdue = {item.label: item.overdue for item in timeline.due}
    assert overdue["Rapid Solutions Group: first meeting"] is True
    assert overdue["Continuing Care: decision"] is True
    assert overdue["Review of funding package " + str(everything_package_pk(child))] is (
        cc_due + dt.timedelta(days=1) > D(2026, 6, 1)
    )

    clock.move_to(london(D(2026, 6, 2)), tick=False)
    timeline = child_timeline(user=clinician, child=child)
    labels = {item.label: item.overdue for item in timeline.due}
    assert labels["Review of funding package " + str(everything_package_pk(child))] is True
    assert labels["Review of the Hampshire IRAP decision"] is False


def everything_package_pk(child) -> int:
    from funding.models import FundingPackage

    return FundingPackage.objects.get(child=child).pk


def test_timeline_query_count_is_flat(
    everything,
    child,
    clinician,
    make_decision,
    make_submitted,
    hampshire,
    hiow_icb,
    social_worker,
    clock,
    django_assert_max_num_queries,
):
    for _ in range(2):
        make_decision(
            shares=[(hampshire, "percentage", Decimal("50")), (hiow_icb, "percentage", Decimal("50"))],
            referral=make_submitted(),
        )
    clock.move_to(london(D(2026, 3, 3), 17), tick=False)
    for hour in (9, 11, 13):
        escalation.escalation_record_meeting(
            actor=social_worker,
            escalation=everything["rsg"],
            held_at=london(D(2026, 3, 3), hour),
            chair=clinician,
            agencies=[hampshire, hiow_icb],
            attendees="Nadia, Sam",
            notes="Placement search",
        )
    # As the child page has them: the user with their agency, the child with its owning agency.
    from casework import selectors
    from casework.models import User

    clinician = User.objects.select_related("agency").get(pk=clinician.pk)
    child = selectors.child_detail(user=clinician, pk=child.pk)
    # status changes with referral and panel, signed decisions with meeting and panel, packages with
    # current version, pathway cases, their events, reviews, Continuing Care's DST scores (the
    # case shape carries its fingerprint), pathway settings, escalations, steps, steps' meetings,
    # reports, escalation settings
    with django_assert_max_num_queries(13):
        timeline = child_timeline(user=clinician, child=child)
    assert len(timeline.entries) >= 20
