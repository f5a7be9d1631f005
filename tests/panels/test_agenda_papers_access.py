"""Papers access over time (seeds 002, Joint Funding Panel 3.3: papers are not held longer than
necessary): a member outside the child's agencies reads the referral and its evidence from
circulation to the end of the meeting day; afterwards only the chair's copy and the lead member's
item remain. A member of another panel and the outsider never see it.

The child here is known only to the council, so ICB members see her referral only through the papers.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from casework.models import Role
from panels import access as panel_access
from panels import services
from panels.models import Meeting, Membership, PapersGrant
from referrals import access
from referrals.models import Evidence
from tests.factories import MeetingFactory, PanelFactory, UserFactory
from tests.panels.conftest import CIRCULATION_DAY, MEETING_DAY, at, seat

D = dt.date


def version(meeting: Meeting) -> int:
    return Meeting.objects.values_list("version", flat=True).get(pk=meeting.pk)


@pytest.fixture
def icb_vice_chair(irap, hiow_icb):
    person = UserFactory(
        email="victor.vice@hiow.example.nhs.uk",
        full_name="Victor Vice",
        agency=hiow_icb,
        roles=[Role.PANEL_MEMBER],
    )
    Membership.objects.create(
        panel=irap, person=person, agency=hiow_icb, role="vice_chair", starts_on=D(2026, 1, 1)
    )
    return person


@pytest.fixture
def other_panel_member(hiow_icb, hampshire, clock):
    """Olga on another panel of the same partnership, whose own papers are circulated."""
    person = UserFactory(
        email="olga.other@hiow.example.nhs.uk",
        full_name="Olga Other",
        agency=hiow_icb,
        roles=[Role.PANEL_MEMBER],
    )
    panel = PanelFactory(name="Hampshire Joint Solutions Panel", host_agency=hampshire)
    Membership.objects.create(
        panel=panel, person=person, agency=hiow_icb, role="chair", starts_on=D(2026, 1, 1)
    )
    meeting = MeetingFactory(panel=panel, date=MEETING_DAY)
    services.agenda_item_add_other(actor=person, meeting=meeting, version=version(meeting), title="Budget")
    services.meeting_circulate(actor=person, meeting=meeting, version=version(meeting))
    return person


@pytest.fixture
def papers(
    irap, irap_meeting, make_submitted, council_only_child, panel_admin, second_icb_member, icb_vice_chair
):
    """The council-only child's referral on the IRAP agenda, Ivan Moss (ICB) leading it."""
    referral = make_submitted(child=council_only_child)
    item = services.agenda_item_add_referral(
        actor=panel_admin,
        meeting=irap_meeting,
        referral=referral,
        version=version(irap_meeting),
        lead_member=seat(irap, second_icb_member),
    )
    evidence = Evidence.objects.get(referral=referral)
    return referral, item, evidence


def circulate(clock, meeting, actor):
    clock.move_to(at(CIRCULATION_DAY), tick=False)
    services.meeting_circulate(actor=actor, meeting=meeting, version=version(meeting))


def status_codes(client, user, referral, evidence) -> tuple[int, int]:
    client.force_login(user)
    page = client.get(reverse("referrals:detail", args=[referral.pk])).status_code
    file = client.get(reverse("referrals:evidence_download", args=[referral.pk, evidence.pk])).status_code
    client.logout()
    return page, file


def sees(user, referral) -> bool:
    return access.referrals_visible_to(user=user).filter(pk=referral.pk).exists()


def test_member_reads_the_papers_only_from_circulation_to_the_end_of_the_meeting_day(
    client,
    clock,
    irap_meeting,
    papers,
    panel_admin,
    icb_member,
    icb_vice_chair,
    second_icb_member,
    outsider,
    other_panel_member,
):
    referral, item, evidence = papers
    # Before circulation: the ICB member cannot see a council-only child's referral.
    assert status_codes(client, icb_member, referral, evidence) == (404, 404)
    assert status_codes(client, second_icb_member, referral, evidence) == (404, 404)

    circulate(clock, irap_meeting, panel_admin)
    for person in (icb_member, icb_vice_chair, second_icb_member):
        assert status_codes(client, person, referral, evidence) == (200, 200), person
    for person in (other_panel_member, outsider):
        assert status_codes(client, person, referral, evidence) == (404, 404), person

    # Late on the meeting day: still open.
    clock.move_to(at(MEETING_DAY, 23, 50), tick=False)
    assert status_codes(client, icb_member, referral, evidence) == (200, 200)

    # The day after: members' copies are gone; the chair's copy and the lead member's item remain.
    clock.move_to(at(MEETING_DAY + dt.timedelta(days=1), 0, 1), tick=False)
    assert status_codes(client, icb_member, referral, evidence) == (404, 404)
    assert status_codes(client, icb_vice_chair, referral, evidence) == (200, 200)
    assert status_codes(client, second_icb_member, referral, evidence) == (200, 200)
    for person in (other_panel_member, outsider):
        assert status_codes(client, person, referral, evidence) == (404, 404), person


def test_a_revoked_grant_gives_nothing(clock, irap_meeting, papers, panel_admin, icb_member):
    referral, _item, _evidence = papers
    circulate(clock, irap_meeting, panel_admin)
    assert sees(icb_member, referral)
    PapersGrant.objects.filter(person=icb_member).update(revoked_at=timezone.now())
    assert not sees(icb_member, referral)


def test_a_grant_not_yet_started_gives_nothing(clock, irap_meeting, papers, panel_admin, icb_member):
    referral, _item, _evidence = papers
    circulate(clock, irap_meeting, panel_admin)
    PapersGrant.objects.filter(person=icb_member).update(starts_at=timezone.now() + dt.timedelta(hours=1))
    assert not sees(icb_member, referral)


def test_a_withdrawn_item_ends_the_lead_members_and_members_access(
    clock, irap_meeting, papers, panel_admin, icb_member, second_icb_member
):
    referral, item, _evidence = papers
    circulate(clock, irap_meeting, panel_admin)
    services.agenda_item_withdraw(
        actor=panel_admin, item=item, version=version(irap_meeting), reason="Moved away"
    )
    assert not sees(icb_member, referral)
    assert not sees(second_icb_member, referral)


def test_an_item_grant_covers_only_its_own_referral(
    clock, irap, irap_meeting, papers, make_submitted, council_only_child, panel_admin, second_icb_member
):
    referral, _item, _evidence = papers
    other = make_submitted(child=council_only_child)
    services.agenda_item_add_referral(
        actor=panel_admin, meeting=irap_meeting, referral=other, version=version(irap_meeting)
    )
    circulate(clock, irap_meeting, panel_admin)
    clock.move_to(at(MEETING_DAY + dt.timedelta(days=2)), tick=False)
    assert sees(second_icb_member, referral)
    assert not sees(second_icb_member, other)


def test_supplements_are_covered_by_the_meeting_wide_grant(
    clock, irap_meeting, papers, make_submitted, council_only_child, panel_admin, icb_member
):
    circulate(clock, irap_meeting, panel_admin)
    late = make_submitted(child=council_only_child)  # after the deadline: the chair accepts it
    from referrals import services as referral_services

    chair = Membership.objects.get(panel=irap_meeting.panel, role="chair").person
    referral_services.referral_accept_late(actor=chair, referral=late)
    item = services.agenda_item_add_referral(
        actor=panel_admin, meeting=irap_meeting, referral=late, version=version(irap_meeting)
    )
    assert item.is_supplement
    assert sees(icb_member, late)


def test_can_read_papers_helper(
    clock, irap_meeting, papers, panel_admin, icb_member, outsider, council_member
):
    assert not panel_access.can_read_papers(user=icb_member, meeting=irap_meeting)
    assert panel_access.can_read_papers(user=panel_admin, meeting=irap_meeting)
    circulate(clock, irap_meeting, panel_admin)
    assert panel_access.can_read_papers(user=icb_member, meeting=irap_meeting)
    assert not panel_access.can_read_papers(user=outsider, meeting=irap_meeting)
    assert list(panel_access.papers_visible_to(user=council_member)) == [irap_meeting]
    assert list(panel_access.papers_visible_to(user=outsider)) == []


def test_visibility_is_one_indexed_query(
    clock, irap_meeting, papers, panel_admin, icb_member, django_assert_num_queries
):
    """One SQL query, no id list read first; with sequential scans discouraged (the tables here are
    tiny) the planner reaches the grants through their indexes."""
    referral, _item, _evidence = papers
    circulate(clock, irap_meeting, panel_admin)
    visible = access.referrals_visible_to(user=icb_member)
    with django_assert_num_queries(1):
        assert list(visible.values_list("pk", flat=True)) == [referral.pk]
    sql, params = visible.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The grants are found by person (an index), the items by meeting (an index): nothing of the
    # panels tables is read whole, and the grants' subplan runs once per query (hashed).
    assert "Seq Scan on panels_" not in plan, plan
    assert "Index Cond: (person_id = " in plan, plan
    assert "hashed SubPlan" in plan, plan
