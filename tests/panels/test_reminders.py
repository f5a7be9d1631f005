"""Deadline reminders for referrals and panels: due and not due around bank holidays, sent once,
and never to someone who has lost access.

The IRAP meeting is Thursday 9 April 2026: papers due Friday 27 March (reminder 3 working days
before: Tuesday 24 March; and the day before: Thursday 26 March); papers circulated Tuesday 31 March
(5 working days before, Good Friday and Easter Monday between).
"""

from __future__ import annotations

import datetime as dt

import pytest

from casework.models import Notification, ReminderSent
from casework.reminders import run_sweeps
from referrals import services as referral_services
from tests.panels.conftest import D, at
from tests.referrals.test_journey_services import complete_referral


def kinds(user) -> list[str]:
    return sorted(ReminderSent.objects.filter(user=user).values_list("kind", flat=True))


@pytest.fixture
def draft(irap, child, social_worker):
    return referral_services.referral_create(
        actor=social_worker, child=child, panel=irap, pathway="joint_package"
    )


def test_papers_due_reminds_the_referrer_before_the_deadline_and_the_day_before(
    draft, irap_meeting, social_worker
):
    assert run_sweeps(today=D(2026, 3, 23)) == 0
    assert run_sweeps(today=D(2026, 3, 24)) == 1
    assert run_sweeps(today=D(2026, 3, 25)) == 0  # once per deadline
    assert run_sweeps(today=D(2026, 3, 26)) == 1
    assert kinds(social_worker) == ["papers_due", "papers_due_tomorrow"]
    notice = Notification.objects.filter(user=social_worker).first()
    assert "Hampshire IRAP" in notice.subject and "Amelia" not in notice.subject + notice.body


def test_papers_due_uses_the_panels_setting(draft, irap, irap_meeting, social_worker):
    irap.papers_reminder_working_days = 5
    irap.save()
    assert run_sweeps(today=D(2026, 3, 19)) == 0
    assert run_sweeps(today=D(2026, 3, 20)) == 1  # 5 working days before Friday 27 March


def test_no_papers_reminder_once_submitted_or_to_someone_who_left(
    submitted_referral, draft, social_worker, irap_meeting
):
    social_worker.is_active = False
    social_worker.save()
    assert run_sweeps(today=D(2026, 3, 24)) == 0


def test_a_signature_waiting_too_long_reminds_the_signers_after_easter(
    irap, child, social_worker, team_manager, hiow_icb, hampshire, clock
):
    clock.move_to(at(D(2026, 4, 2)), tick=False)  # the Thursday before Good Friday
    referral = referral_services.referral_create(
        actor=social_worker, child=child, panel=irap, pathway="joint_package"
    )
    complete_referral(referral, social_worker, hiow_icb, hampshire)
    referral_services.referral_send_for_sign_off(actor=social_worker, referral=referral)
    # 2 working days allowed: Tuesday 7 and Wednesday 8 April (Good Friday and Easter Monday are not).
    assert "sign_off_waiting" not in kinds(team_manager) and run_sweeps(today=D(2026, 4, 8)) == 0
    run_sweeps(today=D(2026, 4, 9))
    assert kinds(team_manager) == ["sign_off_waiting"]
    run_sweeps(today=D(2026, 4, 10))
    assert kinds(team_manager) == ["sign_off_waiting"]


def test_circulation_is_due_then_overdue_until_circulated(
    irap_meeting, panel_chair, panel_admin, council_member
):
    assert run_sweeps(today=D(2026, 3, 30)) == 0
    run_sweeps(today=D(2026, 3, 31))
    assert kinds(panel_admin) == ["circulation_due"] and kinds(panel_chair) == ["circulation_due"]
    assert kinds(council_member) == []  # members are told when the papers go, not chased
    run_sweeps(today=D(2026, 4, 1))
    assert kinds(panel_admin) == ["circulation_due", "circulation_overdue"]
    irap_meeting.circulated_at = at(D(2026, 4, 1), 12)
    irap_meeting.save()
    ReminderSent.objects.all().delete()
    assert run_sweeps(today=D(2026, 4, 2)) == 0


def test_a_moved_meeting_gets_its_own_reminder(irap_meeting, panel_admin):
    run_sweeps(today=D(2026, 3, 31))
    irap_meeting.date = D(2026, 4, 16)  # circulated 5 working days before: Thursday 9 April
    irap_meeting.save()
    run_sweeps(today=D(2026, 4, 9))
    assert ReminderSent.objects.filter(user=panel_admin, kind="circulation_due").count() == 2
    assert sorted(ReminderSent.objects.values_list("due_on", flat=True).distinct()) == [
        D(2026, 3, 31),
        dt.date(2026, 4, 9),
    ]


# --- After the meeting: letters, minutes, absent agencies, actions, reviews --------------------
# The meeting is Thursday 9 April 2026: decision letters and minutes due 3 working days after, on
# Tuesday 14 April; overdue from Wednesday 15 April.


@pytest.fixture
def decided(irap_meeting, submitted_referral, panel_admin, panel_chair, hampshire, hiow_icb):
    from tests.factories import agenda_item_for, signed_decision_for

    item = agenda_item_for(referral=submitted_referral, meeting=irap_meeting, actor=panel_admin)
    return signed_decision_for(
        item,
        chair=panel_chair,
        shares=[(hampshire, "50", "743.20"), (hiow_icb, "50", "743.20")],
        review_date=D(2026, 10, 8),
        key_worker=None,
    )


def test_unsent_decision_letters_are_due_then_overdue(decided, panel_admin, council_member):
    assert run_sweeps(today=D(2026, 4, 13)) == 0 or "decision_letters_due" not in kinds(panel_admin)
    run_sweeps(today=D(2026, 4, 14))
    assert "decision_letters_due" in kinds(panel_admin)
    run_sweeps(today=D(2026, 4, 15))
    assert "decision_letters_overdue" in kinds(panel_admin)
    assert kinds(council_member) == []


def test_uncirculated_minutes_are_due_then_overdue_and_stop_once_circulated(
    decided, irap_meeting, panel_admin
):
    from panels.models import Minutes

    run_sweeps(today=D(2026, 4, 14))
    assert "minutes_due" in kinds(panel_admin)
    Minutes.objects.create(
        meeting=irap_meeting,
        body="Minutes",
        status="circulated",
        drafted_by=panel_admin,
        updated_by=panel_admin,
    )
    run_sweeps(today=D(2026, 4, 15))
    assert "minutes_overdue" not in kinds(panel_admin)


def test_an_absent_agency_is_chased_for_its_answer(decided, panel_admin, hampshire):
    from panels.models import AgencyRecommendation
    from tests.factories import AgencyFactory, UserFactory

    sen = AgencyFactory(name="Hampshire SEN", kind="sen", partnership=hampshire.partnership)
    sen_manager = UserFactory(agency=sen, roles=["service_manager"], email="sam.sen@hants.example.gov.uk")
    sen_worker = UserFactory(agency=sen, roles=["social_worker"], email="wes.sen@hants.example.gov.uk")
    AgencyRecommendation.objects.create(decision=decided, agency=sen, due_on=D(2026, 4, 14))
    run_sweeps(today=D(2026, 4, 14))
    assert "recommendation_due" in kinds(sen_manager) and kinds(sen_worker) == []
    run_sweeps(today=D(2026, 4, 15))
    assert "recommendation_overdue" in kinds(sen_manager)
    assert "recommendation_overdue" in kinds(panel_admin)  # the panel is told when it is overdue


def test_action_owners_are_reminded_and_administrators_told_when_overdue(irap, panel_admin, icb_member):
    from tests.factories import ActionFactory

    action = ActionFactory(panel=irap, created_by=panel_admin, due_on=D(2026, 4, 14))
    action.owners.add(icb_member)
    run_sweeps(today=D(2026, 4, 14))
    assert kinds(icb_member) == ["action_due"] and kinds(panel_admin) == []
    run_sweeps(today=D(2026, 4, 15))
    assert kinds(icb_member) == ["action_due", "action_overdue"]
    assert kinds(panel_admin) == ["action_overdue"]


def test_a_review_date_reminds_the_referrer_28_days_before_and_when_passed(decided, social_worker, clock):
    # Review on Thursday 8 October 2026: reminded from 10 September (the panel's 28 days).
    clock.move_to(at(D(2026, 9, 9)), tick=False)
    run_sweeps(today=D(2026, 9, 9))
    assert "review_due" not in kinds(social_worker)
    run_sweeps(today=D(2026, 9, 10))
    assert "review_due" in kinds(social_worker)
    run_sweeps(today=D(2026, 10, 9))
    assert "review_overdue" in kinds(social_worker)
