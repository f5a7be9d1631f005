"""Pathway reminders: Continuing Care decisions, reviews and the move to adult services, Section 117
reviews, IFR decisions and the escalation ladder's clocks; due and not due around Easter 2026 (Good
Friday 3 April, Easter Monday 6 April), sent once under a double run, and never to someone who can
no longer see the child.

The clock starts at Monday 2 March 2026, 09:30 in London (tests/pathways/conftest.py).
"""

from __future__ import annotations

import pytest

from casework.models import Notification, ReminderSent
from casework.reminders import run_sweeps
from pathways import services
from pathways.models import PathwaySettings
from tests.pathways.conftest import D, at
from tests.pathways.test_escalation_fixtures import *  # noqa: F403


def kinds(user, prefix: str = "") -> list[str]:
    sent = ReminderSent.objects.filter(user=user, kind__startswith=prefix)
    return sorted(sent.values_list("kind", flat=True))


def lose_access(user, leicester) -> None:
    user.agency = leicester
    user.save(update_fields=["agency"])


# --- Continuing Care decision clock ---------------------------------------------------------------


@pytest.fixture
def cc_good_friday(clock, amelia, social_worker, hiow_icb, clinician):
    """Referral received Friday 20 February: the decision is due 6 weeks later, on Good Friday."""
    return services.cc_open(
        actor=social_worker,
        child=amelia,
        lead_agency=hiow_icb,
        case_worker=clinician,
        referral_received_on=D(2026, 2, 20),
    )


def test_a_cc_decision_due_on_good_friday_is_due_the_day_before_and_overdue_after_easter(
    cc_good_friday, clinician, social_worker
):
    run_sweeps(today=D(2026, 4, 1))
    assert kinds(clinician, "cc_decision") == []
    run_sweeps(today=D(2026, 4, 2))  # the last working day before Good Friday
    assert kinds(clinician, "cc_decision") == ["cc_decision_due"]
    run_sweeps(today=D(2026, 4, 3))
    run_sweeps(today=D(2026, 4, 6))  # Easter Monday: not yet overdue
    assert kinds(clinician, "cc_decision") == ["cc_decision_due"]
    run_sweeps(today=D(2026, 4, 7))
    run_sweeps(today=D(2026, 4, 8))
    assert kinds(clinician, "cc_decision") == ["cc_decision_due", "cc_decision_overdue"]
    assert kinds(social_worker, "cc_decision") == []  # opened it, but is not the case worker
    notice = Notification.objects.filter(user=clinician).order_by("id").last()
    assert "AH" in notice.subject and "Amelia" not in notice.subject + notice.body
    assert notice.url == f"/pathways/cases/{cc_good_friday.pk}/"


def test_a_decided_case_is_not_chased(cc_package, clinician):
    run_sweeps(today=D(2026, 4, 1))
    assert kinds(clinician, "cc_decision") == []


def test_a_case_worker_who_lost_access_gets_nothing(cc_good_friday, clinician, leicester):
    lose_access(clinician, leicester)
    run_sweeps(today=D(2026, 4, 2))
    assert kinds(clinician) == []


# --- Continuing Care reviews ----------------------------------------------------------------------
# The package started on Monday 2 March 2026: first review 3 months on, Tuesday 2 June; reminded
# 28 days before (Tuesday 5 May) and once passed.


def test_a_cc_review_is_reminded_28_days_before_once_and_when_overdue(cc_package, clinician):
    run_sweeps(today=D(2026, 5, 4))
    assert kinds(clinician, "cc_review") == []
    run_sweeps(today=D(2026, 5, 5))
    assert kinds(clinician, "cc_review") == ["cc_review_due"]
    assert run_sweeps(today=D(2026, 5, 5)) == 0  # a double run sends nothing more
    assert Notification.objects.filter(user=clinician, subject__contains="review").count() == 1
    run_sweeps(today=D(2026, 6, 2))
    assert kinds(clinician, "cc_review") == ["cc_review_due"]
    run_sweeps(today=D(2026, 6, 3))
    assert kinds(clinician, "cc_review") == ["cc_review_due", "cc_review_overdue"]


def test_a_held_review_moves_the_next_one_a_year_on(cc_package, clinician, social_worker, clock):
    clock.move_to(at(D(2026, 6, 1)), tick=False)
    services.review_record(actor=social_worker, case=cc_package, held_on=D(2026, 6, 1))
    run_sweeps(today=D(2026, 6, 3))
    assert kinds(clinician, "cc_review") == []
    run_sweeps(today=D(2027, 5, 4))  # 28 days before Tuesday 1 June 2027
    sent = ReminderSent.objects.get(user=clinician, kind="cc_review_due")
    assert sent.due_on == D(2027, 6, 1)


def test_the_reminder_days_come_from_pathway_settings(cc_package, clinician):
    PathwaySettings.objects.update(review_reminder_days=7)
    run_sweeps(today=D(2026, 5, 25))
    assert kinds(clinician, "cc_review") == []
    run_sweeps(today=D(2026, 5, 26))
    assert kinds(clinician, "cc_review") == ["cc_review_due"]


# --- The move to adult NHS Continuing Healthcare --------------------------------------------------
# Amelia was born on 10 June 2011: 14 on 10 June 2025 (passed), 16 on 10 June 2027.


def test_transition_prompts_each_step_once_and_stop_once_recorded(cc_case, clinician, social_worker):
    run_sweeps(today=D(2026, 3, 2))
    run_sweeps(today=D(2026, 3, 3))
    assert kinds(clinician, "cc_transition") == ["cc_transition_due"]
    notice = Notification.objects.get(user=clinician, subject__startswith="Moving to adult")
    assert "Tell the adult team is due now" in notice.subject and "AH" in notice.subject
    services.cc_record_transition_step(
        actor=social_worker, case=cc_case, step="adult_team_told_on", on_date=D(2026, 3, 2)
    )
    run_sweeps(today=D(2027, 5, 12))
    assert kinds(clinician, "cc_transition") == ["cc_transition_due"]
    run_sweeps(today=D(2027, 5, 13))  # 28 days before her 16th birthday
    sent = ReminderSent.objects.filter(user=clinician, kind="cc_transition_due").order_by("id")
    assert [s.subject_key.rsplit(":", 1)[1] for s in sent] == ["adult_team_told_on", "adult_checklist_on"]
    assert sent.last().due_on == D(2027, 6, 10)


def test_no_transition_prompts_for_a_closed_case(cc_case, clinician, social_worker):
    services.case_close(actor=social_worker, case=cc_case, reason="Moved away")
    run_sweeps(today=D(2026, 3, 2))
    assert kinds(clinician) == []


# --- Section 117 reviews --------------------------------------------------------------------------
# Discharged Monday 12 January 2026: reviewed 12 months on, Tuesday 12 January 2027.


def test_a_section_117_review_is_reminded_and_then_overdue(s117_case, social_worker):
    run_sweeps(today=D(2026, 12, 14))
    assert kinds(social_worker, "s117") == []
    run_sweeps(today=D(2026, 12, 15))
    run_sweeps(today=D(2026, 12, 16))
    assert kinds(social_worker, "s117") == ["s117_review_due"]
    run_sweeps(today=D(2027, 1, 13))
    assert kinds(social_worker, "s117") == ["s117_review_due", "s117_review_overdue"]


def test_a_section_117_review_goes_to_nobody_who_left(s117_case, social_worker):
    social_worker.is_active = False
    social_worker.save(update_fields=["is_active"])
    assert run_sweeps(today=D(2026, 12, 15)) == 0


# --- IFR decisions --------------------------------------------------------------------------------


@pytest.fixture
def ifr_before_easter(db):
    """23 working days from Monday 2 March: the decision is due Thursday 2 April."""
    PathwaySettings.objects.update_or_create(partnership="", defaults={"ifr_decision_working_days": 23})


def test_an_ifr_decision_is_due_for_the_panel_then_overdue_after_easter(
    ifr_before_easter, ifr_case, icb_panel_admin, clinician, leicester
):
    assert ifr_case.ifr.decision_due_on == D(2026, 4, 2)
    run_sweeps(today=D(2026, 4, 1))
    assert kinds(icb_panel_admin) == []
    run_sweeps(today=D(2026, 4, 2))
    assert kinds(icb_panel_admin) == ["ifr_decision_due"]
    assert kinds(clinician, "ifr") == []  # the submitter is told only once it is overdue
    run_sweeps(today=D(2026, 4, 3))
    run_sweeps(today=D(2026, 4, 6))
    assert kinds(icb_panel_admin) == ["ifr_decision_due"]
    run_sweeps(today=D(2026, 4, 7))
    assert kinds(icb_panel_admin) == ["ifr_decision_due", "ifr_decision_overdue"]
    assert kinds(clinician, "ifr") == ["ifr_decision_overdue"]


def test_a_decided_ifr_is_not_chased(ifr_case, icb_panel_admin):
    services.ifr_decide(actor=icb_panel_admin, case=ifr_case, decision="approved")
    run_sweeps(today=D(2026, 4, 7))
    assert kinds(icb_panel_admin) == []


# --- The escalation ladder ------------------------------------------------------------------------
# The RSG was set up at 09:30 on Monday 2 March 2026, Nadia (clinician) chairing, Sunita (sgm)
# authorising: its first meeting is due by 09:30 on Tuesday 3 March.


def test_an_rsg_first_meeting_is_overdue_after_24_hours_then_twice_weekly(
    rsg, clinician, sgm, social_worker, hampshire, hiow_icb, clock
):
    clock.move_to(at(D(2026, 3, 3), 9, 0), tick=False)
    run_sweeps(today=D(2026, 3, 3))
    assert kinds(clinician, "rsg") == []
    clock.move_to(at(D(2026, 3, 3), 9, 45), tick=False)
    run_sweeps(today=D(2026, 3, 3))
    run_sweeps(today=D(2026, 3, 3))
    assert kinds(clinician, "rsg") == ["rsg_meeting_overdue"]
    assert kinds(sgm, "rsg") == ["rsg_meeting_overdue"]
    notice = Notification.objects.get(user=sgm, subject__startswith="The Rapid Solutions Group")
    assert "first meeting was due by 09:30 on 3 March 2026" in notice.subject
    assert notice.url == f"/pathways/escalations/{rsg.pk}/"
    # Met at 10:00 on Tuesday: the next meeting is due 3 days 12 hours later, 22:00 Friday 6 March.
    clock.move_to(at(D(2026, 3, 3), 10, 30), tick=False)
    services.escalation_record_meeting(
        actor=social_worker,
        escalation=rsg,
        held_at=at(D(2026, 3, 3), 10, 0),
        chair=clinician,
        agencies=[hampshire, hiow_icb],
        attendees="Nadia, Sam, Sunita",
        notes="Looking for a placement",
    )
    clock.move_to(at(D(2026, 3, 6), 21, 0), tick=False)
    run_sweeps(today=D(2026, 3, 6))
    assert kinds(clinician, "rsg") == ["rsg_meeting_overdue"]
    clock.move_to(at(D(2026, 3, 6), 22, 30), tick=False)
    run_sweeps(today=D(2026, 3, 6))
    assert kinds(clinician, "rsg") == ["rsg_meeting_overdue", "rsg_meeting_overdue"]


def test_an_rsg_chair_who_lost_access_is_not_told(rsg, clinician, sgm, leicester, clock):
    lose_access(clinician, leicester)
    clock.move_to(at(D(2026, 3, 3), 10, 0), tick=False)
    run_sweeps(today=D(2026, 3, 3))
    assert kinds(clinician) == [] and kinds(sgm, "rsg") == ["rsg_meeting_overdue"]


# The ERG was established at 09:30 on Monday 2 March, Diana (director) authorising and chairing:
# its first monthly report is due Thursday 2 April, the day before Good Friday.


def test_an_erg_report_is_due_then_overdue_after_easter_and_the_rsg_is_no_longer_chased(
    erg, director, sgm, clinician, clock
):
    run_sweeps(today=D(2026, 4, 1))
    assert kinds(director) == []
    run_sweeps(today=D(2026, 4, 2))
    assert kinds(director) == ["erg_report_due"]
    run_sweeps(today=D(2026, 4, 3))
    run_sweeps(today=D(2026, 4, 6))
    assert kinds(director) == ["erg_report_due"]
    run_sweeps(today=D(2026, 4, 7))
    assert kinds(director) == ["erg_report_due", "erg_report_overdue"]
    assert kinds(sgm, "rsg") == [] and kinds(clinician, "rsg") == []


def test_a_report_moves_the_erg_clock_on(erg, director, social_worker, clock):
    clock.move_to(at(D(2026, 4, 1)), tick=False)
    services.escalation_record_report(
        actor=social_worker, escalation=erg, reported_on=D(2026, 4, 1), progress="Placement found"
    )
    run_sweeps(today=D(2026, 4, 7))
    assert kinds(director) == []
    run_sweeps(today=D(2026, 5, 1))  # a month after the report
    assert ReminderSent.objects.get(user=director).due_on == D(2026, 5, 1)


def test_a_resolved_escalation_is_not_chased(rsg, social_worker, clinician, clock):
    services.escalation_resolve(actor=social_worker, escalation=rsg, outcome="Went home")
    clock.move_to(at(D(2026, 3, 4)), tick=False)
    run_sweeps(today=D(2026, 3, 4))
    assert kinds(clinician) == []
