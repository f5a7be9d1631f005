"""panels.access getters take what the caller needs (healthchecks' _get_rw_check_for_user, Zulip's
access_stream_by_id(require_...)): 404 for what the person cannot see, NotAllowed (403) with the
need's message, or the caller's own, for a role that may not."""

from __future__ import annotations

import pytest
from django.http import Http404

from casework.access import NotAllowed
from panels import access, services
from panels.access import REFUSALS


def test_an_outsider_gets_404_whatever_the_need(outsider, irap_meeting):
    for need in ("view", "follow", "run", "administer", "chair"):
        with pytest.raises(Http404):
            access.get_meeting_for_user(user=outsider, pk=irap_meeting.pk, need=need)
    with pytest.raises(Http404):
        access.get_panel_for_user(user=outsider, pk=irap_meeting.panel_id, need="manage")


def test_a_member_sees_the_meeting_but_may_not_administer_it(council_member, irap_meeting):
    assert access.get_meeting_for_user(user=council_member, pk=irap_meeting.pk) == irap_meeting
    with pytest.raises(NotAllowed, match=REFUSALS["administer"]):
        access.get_meeting_for_user(user=council_member, pk=irap_meeting.pk, need="administer")
    with pytest.raises(NotAllowed, match=REFUSALS["run"]):
        access.get_meeting_for_user(user=council_member, pk=irap_meeting.pk, need="run")
    with pytest.raises(NotAllowed, match="can build the agenda"):
        access.get_meeting_for_user(
            user=council_member,
            pk=irap_meeting.pk,
            need="administer",
            refusal="Only the panel's chair or administrators can build the agenda",
        )


def test_the_administrator_runs_but_does_not_chair(panel_admin, irap_meeting):
    for need in ("follow", "run", "administer"):
        assert access.get_meeting_for_user(user=panel_admin, pk=irap_meeting.pk, need=need) == irap_meeting
    with pytest.raises(NotAllowed, match=REFUSALS["chair"]):
        access.get_meeting_for_user(user=panel_admin, pk=irap_meeting.pk, need="chair")


def test_the_chair_chairs(panel_chair, irap_meeting):
    assert access.get_meeting_for_user(user=panel_chair, pk=irap_meeting.pk, need="chair") == irap_meeting


def test_minutes_are_refused_for_reading_before_the_need(outsider, council_member, irap_meeting):
    """Someone who may read the minutes but not write them is told what they lack."""
    with pytest.raises(NotAllowed, match="can change the minutes"):
        access.get_meeting_minutes_for_user(
            user=council_member,
            pk=irap_meeting.pk,
            need="administer",
            refusal="Only the panel's chair or administrators can change the minutes",
        )
    with pytest.raises(Http404):
        access.get_meeting_minutes_for_user(user=outsider, pk=irap_meeting.pk, need="administer")


def test_an_unknown_need_is_a_mistake(panel_admin, irap_meeting):
    with pytest.raises(ValueError, match="No such need"):
        access.get_meeting_for_user(user=panel_admin, pk=irap_meeting.pk, need="own")


def test_a_late_paper_waits_for_the_chair(submitted_referral):
    """seeds 002 3.7: the rule the agenda page shows is the one agenda_build applies."""
    assert not services.late_paper_awaiting_chair(referral=submitted_referral)
    submitted_referral.is_late_paper = True
    assert services.late_paper_awaiting_chair(referral=submitted_referral)
    submitted_referral.late_accepted_by_id = submitted_referral.submitted_by_id
    assert not services.late_paper_awaiting_chair(referral=submitted_referral)
