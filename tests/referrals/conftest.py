"""What the referrals tests share: evidence files in the test's own folder, personas (sign-off by a
second team manager, a panel member's signature), Hampshire IRAP with its chair, a meeting far enough
ahead that nothing is a late paper, and Amelia's referral in its first states (draft, complete,
awaiting the team manager, signed by both managers). A test module may override `panel` or
`meeting`; the referral fixtures build on whichever it has."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casework.models import Role
from panels.models import Membership
from referrals import services
from tests.factories import DraftReferralFactory, MeetingFactory, PanelFactory, UserFactory
from tests.referrals.test_journey_services import complete_referral


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT


@pytest.fixture
def second_team_manager(hampshire, hampshire_team):
    user = UserFactory(
        email="tom.second@hants.example.gov.uk",
        full_name="Tom Second",
        agency=hampshire,
        roles=[Role.TEAM_MANAGER],
    )
    user.teams.add(hampshire_team)
    return user


@pytest.fixture
def panel_member(hampshire):
    return UserFactory(
        email="paula.member@hants.example.gov.uk",
        full_name="Paula Member",
        agency=hampshire,
        roles=[Role.PANEL_MEMBER],
    )


@pytest.fixture
def panel(hampshire, panel_chair):
    """Hampshire IRAP, chaired by Peter Hale."""
    panel = PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)
    Membership.objects.create(panel=panel, person=panel_chair, agency=hampshire, role="chair")
    return panel


@pytest.fixture
def meeting(panel):
    return MeetingFactory(panel=panel, date=timezone.localdate() + dt.timedelta(days=40))


# --- Amelia's referral, state by state ----------------------------------------------------------


@pytest.fixture
def draft(child, social_worker, panel):
    """Amelia's joint package referral, started by Sam."""
    return DraftReferralFactory(child=child, referrer=social_worker, panel=panel, pathway="joint_package")


@pytest.fixture
def complete(draft, social_worker, hiow_icb, hampshire):
    """A draft with every section, one option (50/50) and one document."""
    return complete_referral(draft, social_worker, hiow_icb, hampshire)


@pytest.fixture
def awaiting_team_manager(complete, social_worker):
    return services.referral_send_for_sign_off(actor=social_worker, referral=complete)


@pytest.fixture
def ready(awaiting_team_manager, team_manager, service_manager):
    """Signed by Tara (team manager) and Sunita (service manager): ready to submit."""
    signed = services.referral_sign(actor=team_manager, referral=awaiting_team_manager)
    return services.referral_sign(actor=service_manager, referral=signed)
