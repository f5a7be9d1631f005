"""Personas the referrals tests share (sign-off by a second team manager, a panel member's
signature)."""

from __future__ import annotations

import pytest

from casework.models import Role
from tests.factories import UserFactory


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
