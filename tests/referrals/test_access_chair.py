"""Chairs act on a panel's referrals through their seat on that panel, not through their role alone."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from panels.access import can_chair
from panels.models import Membership
from tests.factories import PanelFactory, UserFactory


def test_only_a_seated_chair_or_vice_chair_chairs(hampshire):
    panel = PanelFactory(host_agency=hampshire)
    other_panel = PanelFactory(host_agency=hampshire)
    chair = UserFactory(agency=hampshire, roles=["panel_chair"])
    unseated = UserFactory(agency=hampshire, roles=["panel_chair"])
    member = UserFactory(agency=hampshire, roles=["panel_member"])
    Membership.objects.create(panel=panel, person=chair, agency=hampshire, role="chair")
    Membership.objects.create(panel=panel, person=member, agency=hampshire, role="member")
    assert can_chair(user=chair, panel=panel)
    assert not can_chair(user=chair, panel=other_panel)
    assert not can_chair(user=unseated, panel=panel)
    assert not can_chair(user=member, panel=panel)


def test_a_seat_that_has_ended_no_longer_chairs(hampshire):
    panel = PanelFactory(host_agency=hampshire)
    former = UserFactory(agency=hampshire, roles=["panel_chair"])
    Membership.objects.create(
        panel=panel,
        person=former,
        agency=hampshire,
        role="vice_chair",
        starts_on=timezone.localdate() - dt.timedelta(days=100),
        ends_on=timezone.localdate() - dt.timedelta(days=1),
    )
    assert not can_chair(user=former, panel=panel)


def test_a_chair_with_an_ended_seat_elsewhere_is_still_told_about_this_panel(hampshire):
    from referrals.services import _panel_chairs

    panel = PanelFactory(host_agency=hampshire)
    old_panel = PanelFactory(host_agency=hampshire)
    chair = UserFactory(agency=hampshire, roles=["panel_chair"])
    Membership.objects.create(panel=panel, person=chair, agency=hampshire, role="chair")
    Membership.objects.create(
        panel=old_panel,
        person=chair,
        agency=hampshire,
        role="chair",
        starts_on=timezone.localdate() - dt.timedelta(days=100),
        ends_on=timezone.localdate() - dt.timedelta(days=1),
    )
    assert _panel_chairs(panel) == [chair]
    assert _panel_chairs(old_panel) == []
