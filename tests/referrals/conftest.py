"""What the referrals tests share: evidence files in the test's own folder, personas (sign-off by a
second team manager, a panel member's signature), and Amelia's referral in its first states (draft,
complete, awaiting the team manager, signed by both managers), made for tests/conftest.py's
`meeting` of Hampshire IRAP (with its chair), far enough ahead that nothing is a late paper. A test
module may override `panel` or `meeting`; the referral fixtures build on whichever it has."""

from __future__ import annotations

import pytest

from casework.models import Role
from referrals import services
from tests.factories import DraftReferralFactory, UserFactory, complete_referral_rows


@pytest.fixture(autouse=True)
def private_storage(private_storage):
    """tests/conftest.py's private_storage, for every referrals test."""
    return private_storage


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


# --- Amelia's referral, state by state ----------------------------------------------------------


@pytest.fixture
def draft(child, social_worker, panel):
    """Amelia's joint package referral, started by Sam."""
    return DraftReferralFactory(child=child, referrer=social_worker, panel=panel, pathway="joint_package")


@pytest.fixture
def complete(draft, social_worker, hiow_icb, hampshire):
    """A draft with every section, one option (50/50) and one document: the rows
    test_journey_services.complete_referral's services write, written straight to the tables."""
    return complete_referral_rows(draft, social_worker, hiow_icb, hampshire)


@pytest.fixture
def awaiting_team_manager(complete, social_worker):
    return services.referral_send_for_sign_off(actor=social_worker, referral=complete)


@pytest.fixture
def ready(awaiting_team_manager, team_manager, service_manager):
    """Signed by Tara (team manager) and Sunita (service manager): ready to submit."""
    signed = services.referral_sign(actor=team_manager, referral=awaiting_team_manager)
    return services.referral_sign(actor=service_manager, referral=signed)
