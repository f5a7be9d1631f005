"""The shared panel fixtures build what the other panels tests assume."""

from __future__ import annotations

from referrals.models import Status


def test_irap_is_quorate_with_two_from_each_agency(irap, hampshire, hiow_icb):
    assert set(irap.quorum_agencies.all()) == {hampshire, hiow_icb}
    assert irap.quorum_members_per_agency == 2
    assert irap.memberships.count() == 5


def test_submitted_referral_is_on_time_for_the_meeting(submitted_referral, irap_meeting):
    assert submitted_referral.status == Status.SUBMITTED
    assert submitted_referral.meeting == irap_meeting
    assert not submitted_referral.is_late_paper
