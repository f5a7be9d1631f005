"""A panel with its members, a meeting, and referrals in each panel-side state, for the panels tests.

The clock starts at Monday 2 March 2026, 09:30 in London. The meeting is Thursday 9 April 2026:
papers due 7 working days before (Friday 27 March), circulated 5 working days before (Tuesday
31 March: Good Friday 3 April and Easter Monday 6 April fall between circulation and the meeting).
Quorum: two members from each of Hampshire children's services and the HIOW ICB. The running tests
share `quorate` (the meeting day, everyone present) and the helpers `client_for`, `run_url` and
`run_item_url`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from casework.models import AgencyKind, Role
from panels import services as panel_services
from panels.models import Membership
from tests.factories import (
    AgencyFactory,
    ChildFactory,
    MeetingFactory,
    PanelFactory,
    SubmittedReferralFactory,
    UserFactory,
    agenda_item_for,
    attendance_for,
)

D = dt.date
LONDON = ZoneInfo("Europe/London")
MEETING_DAY = D(2026, 4, 9)
PAPERS_DUE = D(2026, 3, 27)
CIRCULATION_DAY = D(2026, 3, 31)
REVIEW = D(2026, 10, 9)


def at(day: dt.date, hour: int = 9, minute: int = 30) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def client_for(user) -> Client:
    """A test client signed in as `user`."""
    client = Client()
    client.force_login(user)
    return client


def run_url(meeting) -> str:
    """The chair's page: the running meeting's overview."""
    return reverse("panels:run_meeting", args=[meeting.pk])


def run_item_url(item) -> str:
    """One agenda item's page of the running meeting."""
    return reverse("panels:run_item", args=[item.meeting_id, item.pk])


@pytest.fixture(autouse=True)
def private_storage(private_storage):
    """tests/conftest.py's private_storage, for every panels test."""
    return private_storage


@pytest.fixture
def clock(time_machine):
    """Monday 2 March 2026, 09:30 London; move it with clock.move_to(at(day), tick=False)."""
    time_machine.move_to(at(D(2026, 3, 2)), tick=False)
    return time_machine


# --- The panel and its members -----------------------------------------------------------------


@pytest.fixture
def panel_admin(hampshire):
    """Adam Clerk, the panel administrator in the host council."""
    return UserFactory(
        email="adam.clerk@hants.example.gov.uk",
        full_name="Adam Clerk",
        agency=hampshire,
        roles=[Role.PANEL_ADMINISTRATOR],
    )


@pytest.fixture
def council_member(hampshire):
    """Paula Member, the council's second member."""
    return UserFactory(
        email="paula.member@hants.example.gov.uk",
        full_name="Paula Member",
        agency=hampshire,
        roles=[Role.PANEL_MEMBER],
    )


@pytest.fixture
def icb_member(hiow_icb):
    """Irene Grant, an ICB member."""
    return UserFactory(
        email="irene.grant@hiow.example.nhs.uk",
        full_name="Irene Grant",
        agency=hiow_icb,
        roles=[Role.PANEL_MEMBER],
    )


@pytest.fixture
def second_icb_member(hiow_icb):
    """Ivan Moss, the ICB's second member."""
    return UserFactory(
        email="ivan.moss@hiow.example.nhs.uk",
        full_name="Ivan Moss",
        agency=hiow_icb,
        roles=[Role.PANEL_MEMBER],
    )


@pytest.fixture
def irap(hampshire, hiow_icb, panel_chair, council_member, icb_member, second_icb_member, panel_admin, clock):
    """Hampshire IRAP: quorate with two members from each of the council and the ICB."""
    panel = PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)
    panel.quorum_agencies.set([hampshire, hiow_icb])
    start = D(2026, 1, 1)
    for person, agency, role in [
        (panel_chair, hampshire, "chair"),
        (council_member, hampshire, "member"),
        (icb_member, hiow_icb, "member"),
        (second_icb_member, hiow_icb, "member"),
        (panel_admin, hampshire, "administrator"),
    ]:
        Membership.objects.create(panel=panel, person=person, agency=agency, role=role, starts_on=start)
    return panel


def seat(panel, person) -> Membership:
    return Membership.objects.current().get(panel=panel, person=person)


@pytest.fixture
def irap_meeting(irap):
    return MeetingFactory(panel=irap, date=MEETING_DAY)


@pytest.fixture
def next_meeting(irap):
    return MeetingFactory(panel=irap, date=D(2026, 5, 14))


# --- Referrals ---------------------------------------------------------------------------------


def submit_referral(
    *, child, meeting, social_worker, team_manager, service_manager, hampshire, hiow_icb, urgency="routine"
):
    """A referral written, signed by both managers and submitted to `meeting` (status submitted)."""
    return SubmittedReferralFactory(
        child=child,
        referrer=social_worker,
        panel=meeting.panel,
        meeting=meeting,
        urgency=urgency,
        council=hampshire,
        icb=hiow_icb,
        team_manager=team_manager,
        service_manager=service_manager,
    )


@pytest.fixture
def make_submitted(irap_meeting, social_worker, team_manager, service_manager, hampshire, hiow_icb, child):
    """make_submitted() → a new submitted referral for Amelia (or child=...) to the IRAP meeting."""

    def make(*, child=child, meeting=irap_meeting, urgency="routine"):
        return submit_referral(
            child=child,
            meeting=meeting,
            social_worker=social_worker,
            team_manager=team_manager,
            service_manager=service_manager,
            hampshire=hampshire,
            hiow_icb=hiow_icb,
            urgency=urgency,
        )

    return make


@pytest.fixture
def submitted_referral(make_submitted):
    return make_submitted()


@pytest.fixture
def another_child(hampshire, social_worker, hiow_icb):
    return ChildFactory(
        given_name="Ben",
        family_name="Lowe",
        owning_agency=hampshire,
        created_by=social_worker,
        allocated_social_worker=social_worker,
        involved=[hiow_icb],
    )


@pytest.fixture
def item(submitted_referral, irap_meeting, panel_admin):
    """Amelia's submitted referral on the IRAP meeting's agenda."""
    return agenda_item_for(referral=submitted_referral, meeting=irap_meeting, actor=panel_admin)


@pytest.fixture
def meeting_day(item, clock):
    """The IRAP meeting, with the clock at 14:05 on its day; its agenda holds `item`."""
    clock.move_to(at(MEETING_DAY, 14, 5), tick=False)
    return item.meeting


@pytest.fixture
def quorate(meeting_day, panel_chair, council_member, icb_member, second_icb_member):
    """The IRAP meeting on its day with its four members present (tests/panels/test_decisions_services.py
    has its own `quorate`: Amelia's item at 14:10)."""
    attendance_for(meeting_day, panel_chair, council_member, icb_member, second_icb_member)
    return meeting_day


@pytest.fixture
def sen(hampshire):
    """Hampshire's SEN service: of the partnership, not a member of the panel."""
    return AgencyFactory(
        name="Hampshire SEN and Education", kind=AgencyKind.SEN, partnership=hampshire.partnership
    )


@pytest.fixture
def sen_manager(sen):
    """Sian Edwards, SEN's service manager: told of a recommendation to her agency."""
    return UserFactory(
        agency=sen, roles=["service_manager"], full_name="Sian Edwards", email="sian@sen.example.gov.uk"
    )


@pytest.fixture
def administrator(hampshire):
    """Ada Minter, a panel administrator of the host council with no seat on IRAP."""
    return UserFactory(full_name="Ada Minter", agency=hampshire, roles=["panel_administrator"])


@pytest.fixture
def council_only_child(hampshire, social_worker):
    """Cara Lane: only the council is involved, so the ICB must not see her referral."""
    return ChildFactory(
        given_name="Cara", family_name="Lane", owning_agency=hampshire, created_by=social_worker
    )


# --- The action log ------------------------------------------------------------------------------


@pytest.fixture
def action(irap, panel_admin, council_member, hampshire):
    return panel_services.action_create(
        actor=panel_admin,
        panel=irap,
        action="Children and young people attend the board",
        desired_outcome="The voice of the child is heard",
        owners=[council_member],
        owner_agencies=[hampshire],
        due_on=D(2026, 3, 20),
    )
