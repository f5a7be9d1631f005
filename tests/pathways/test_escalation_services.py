"""The escalation ladder's rules (seeds 002, Complex Care Escalation Process), with time_machine:
the RSG's first meeting within 24 hours and meetings at least twice a week, the JSP's authorisation
and CETR rule, the ERG's director, weekly limit and monthly reports, and conflicts."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from casework.access import NotAllowed
from casework.models import AuditEvent
from casework.services import InvalidTransition
from pathways import services
from pathways.models import (
    Escalation,
    EscalationLevel,
    EscalationRoute,
    EscalationSettings,
    EscalationStatus,
    EscalationStep,
    Seniority,
)
from pathways.selectors import escalation_detail, escalation_settings_for, escalations_for_child, group_clock
from tests.factories import CompleteReferralFactory, PanelFactory
from tests.pathways.conftest import D, at
from tests.pathways.test_escalation_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.django_db


def clock_of(escalation):
    escalation = Escalation.objects.get(pk=escalation.pk)
    step = escalation.steps.get(level=escalation.level)
    return group_clock(
        step=step,
        meetings=list(step.meetings.order_by("held_at")),
        reports=list(step.reports.all()),
        settings=escalation_settings_for(escalation.child),
        is_open=escalation.is_open,
    )


def meet(escalation, actor, chair, agencies, when, notes="Options reviewed"):
    return services.escalation_record_meeting(
        actor=actor,
        escalation=escalation,
        held_at=when,
        chair=chair,
        agencies=agencies,
        attendees="Nadia Khan (ICB), Sam Okafor (council)",
        notes=notes,
        actions="Sam: call two providers by Wednesday",
    )


def to_jsp(escalation, actor, authoriser, panel, **extra):
    return services.escalation_escalate(
        actor=actor,
        escalation=escalation,
        to_level=EscalationLevel.JSP,
        authorised_by=authoriser,
        reason="The RSG has exhausted local options",
        target_panel=panel,
        **extra,
    )


def field_errors(exc_info) -> dict[str, list[str]]:
    return exc_info.value.message_dict


# --- Opening a Rapid Solutions Group -----------------------------------------------------------


def test_open_records_who_authorised_why_when_and_audits(rsg, sgm, clinician, social_worker, amelia):
    step = rsg.steps.get()
    assert (rsg.level, rsg.status, rsg.route) == ("rsg", "open", "emergency")
    assert step.authorised_by == sgm and step.authoriser_seniority == Seniority.SERVICE_GROUP_MANAGER
    assert step.reason == "No placement can be found through usual routes"
    assert step.authorised_at == at(D(2026, 3, 2)) and step.recorded_by == social_worker
    assert step.chair == clinician
    event = AuditEvent.objects.get(action="pathways.escalation_open")
    assert event.child == amelia and event.changes["authorised_by"] == sgm.pk


def test_open_needs_a_recorded_authoriser(clock, amelia, social_worker, team_manager, clinician):
    with pytest.raises(ValidationError) as exc:
        services.escalation_open(
            actor=social_worker,
            child=amelia,
            route="emergency",
            summary="In A&E",
            level="rsg",
            authorised_by=team_manager,
            reason="Stuck",
            chair=clinician,
        )
    assert "is not recorded as a Service Group Manager or equivalent or more senior" in str(
        field_errors(exc)["authorised_by"]
    )
    assert not Escalation.objects.exists()


def test_open_refuses_authoriser_or_chair_from_an_uninvolved_agency(clock, amelia, social_worker, outsider):
    from pathways.models import EscalationAuthoriser

    EscalationAuthoriser.objects.create(user=outsider, seniority="director", job_title="Director")
    with pytest.raises(ValidationError) as exc:
        services.escalation_open(
            actor=social_worker,
            child=amelia,
            route="emergency",
            summary="In A&E",
            level="rsg",
            authorised_by=outsider,
            reason="Stuck",
            chair=outsider,
        )
    errors = field_errors(exc)
    assert "agency involved with Amelia" in errors["authorised_by"][0]
    assert "agency involved with Amelia" in errors["chair"][0]


def test_open_bad_input_all_reported(clock, amelia, social_worker):
    with pytest.raises(ValidationError) as exc:
        services.escalation_open(
            actor=social_worker,
            child=amelia,
            route="moon",
            summary=" ",
            level="erg",
            authorised_by=None,
            reason="",
        )
    assert set(field_errors(exc)) == {"route", "summary", "level", "reason"}


def test_roles_without_editing_may_not_record(clock, amelia, auditor, sgm, clinician):
    with pytest.raises(NotAllowed):
        services.escalation_open(
            actor=auditor,
            child=amelia,
            route="emergency",
            summary="x",
            level="rsg",
            authorised_by=sgm,
            reason="x",
            chair=clinician,
        )


def test_inactive_authoriser_row_is_refused(clock, amelia, social_worker, sgm, clinician):
    sgm.escalation_authoriser.active = False
    sgm.escalation_authoriser.save()
    with pytest.raises(ValidationError):
        services.escalation_open(
            actor=social_worker,
            child=amelia,
            route="emergency",
            summary="x",
            level="rsg",
            authorised_by=sgm,
            reason="x",
            chair=clinician,
        )


# --- The RSG clock: 24 hours, then at least twice a week ---------------------------------------


def test_first_meeting_due_within_24_hours(rsg, clock):
    c = clock_of(rsg)
    assert c.first_meeting and c.next_meeting_due == at(D(2026, 3, 3))
    clock.move_to(at(D(2026, 3, 3), 9, 29), tick=False)
    assert not clock_of(rsg).meeting_overdue
    clock.move_to(at(D(2026, 3, 3), 9, 31), tick=False)
    assert clock_of(rsg).meeting_overdue


def test_first_meeting_hours_are_a_setting(rsg, clock):
    EscalationSettings.objects.create(partnership="Hampshire and Isle of Wight", rsg_first_meeting_hours=48)
    clock.move_to(at(D(2026, 3, 3), 12), tick=False)
    c = clock_of(rsg)
    assert c.next_meeting_due == at(D(2026, 3, 4)) and not c.meeting_overdue


def test_then_twice_a_week(rsg, clock, social_worker, clinician, hampshire, hiow_icb):
    clock.move_to(at(D(2026, 3, 2), 16), tick=False)
    meet(rsg, social_worker, clinician, [hampshire, hiow_icb], at(D(2026, 3, 2), 15, 0))
    c = clock_of(rsg)
    # Twice a week: 7 days / 2 = 3 days 12 hours after Monday 15:00 is Friday 03:00.
    assert not c.first_meeting and c.next_meeting_due == at(D(2026, 3, 6), 3, 0)
    assert c.chair == clinician
    clock.move_to(at(D(2026, 3, 6), 2, 59), tick=False)
    assert not clock_of(rsg).meeting_overdue
    clock.move_to(at(D(2026, 3, 6), 3, 1), tick=False)
    assert clock_of(rsg).meeting_overdue
    meet(rsg, social_worker, clinician, [hampshire], at(D(2026, 3, 6), 3, 0))
    assert not clock_of(rsg).meeting_overdue


def test_meetings_per_week_is_a_setting(rsg, clock, social_worker, clinician, hampshire):
    EscalationSettings.objects.create(partnership="", rsg_meetings_per_week=7)
    meet(rsg, social_worker, clinician, [hampshire], at(D(2026, 3, 2), 9, 30))
    assert clock_of(rsg).next_meeting_due == at(D(2026, 3, 3))


def test_meeting_bad_input(rsg, clock, social_worker, clinician, leicester, outsider):
    with pytest.raises(ValidationError) as exc:
        services.escalation_record_meeting(
            actor=social_worker,
            escalation=rsg,
            held_at=at(D(2026, 3, 2), 10),
            chair=outsider,
            agencies=[leicester],
            attendees="",
            notes="",
        )
    errors = field_errors(exc)
    assert errors["held_at"] == [
        "The meeting must have been held: the date and time must be now or in the past"
    ]
    assert set(errors) == {"held_at", "chair", "agencies", "attendees", "notes"}
    with pytest.raises(ValidationError) as exc:
        meet(rsg, social_worker, clinician, [], at(D(2026, 3, 1), 10))
    assert "before the group was set up" in field_errors(exc)["held_at"][0]


def test_missing_agencies_shown(rsg, clock, social_worker, clinician, hiow_icb, hampshire):
    meet(rsg, social_worker, clinician, [hiow_icb], at(D(2026, 3, 2), 9, 30))
    detail = escalation_detail(user=social_worker, pk=rsg.pk)
    assert detail.missing_agencies == [hampshire]


# --- Up to a Joint Solutions Panel ------------------------------------------------------------


def test_rsg_to_jsp_records_panel_outcome_and_audit(rsg, clock, social_worker, sgm, jsp, amelia):
    clock.move_to(at(D(2026, 3, 4)), tick=False)
    to_jsp(rsg, social_worker, sgm, jsp)
    rsg.refresh_from_db()
    assert rsg.level == "jsp"
    old, new = EscalationStep.objects.filter(escalation=rsg).order_by("authorised_at")
    assert old.outcome.startswith("Escalated to the Joint Solutions Panel") and old.ended_at == at(
        D(2026, 3, 4)
    )
    assert new.target_panel == jsp and new.authorised_by == sgm and not new.cetr_overridden
    event = AuditEvent.objects.get(action="pathways.escalation_escalate")
    assert (
        event.child == amelia and event.changes["from"] == "rsg" and event.changes["target_panel"] == jsp.pk
    )


def test_jsp_links_the_childs_referral_to_that_panel(rsg, social_worker, sgm, jsp, amelia, hampshire):
    from referrals.models import Referral

    referral = Referral.objects.create(
        child=amelia,
        panel=jsp,
        pathway="joint_package",
        referrer=social_worker,
        referrer_agency=hampshire,
        created_by=social_worker,
    )
    to_jsp(rsg, social_worker, sgm, jsp)
    assert rsg.steps.get(level="jsp").referral == referral


def test_jsp_panel_must_be_a_jsp_of_the_partnership(rsg, social_worker, sgm, leicester, hampshire):
    other = PanelFactory(name="Leicester JSP", kind="jsp", host_agency=leicester)
    irap = PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)
    for panel in (other, irap, None):
        with pytest.raises(ValidationError) as exc:
            to_jsp(rsg, social_worker, sgm, panel)
        assert "target_panel" in field_errors(exc)


def test_jsp_referral_must_be_the_childs(rsg, social_worker, sgm, jsp, hampshire):
    from referrals.models import Referral
    from tests.factories import ChildFactory

    ben = ChildFactory(owning_agency=hampshire, created_by=social_worker)
    theirs = Referral.objects.create(
        child=ben,
        panel=jsp,
        pathway="joint_package",
        referrer=social_worker,
        referrer_agency=hampshire,
        created_by=social_worker,
    )
    with pytest.raises(ValidationError) as exc:
        to_jsp(rsg, social_worker, sgm, jsp, referral=theirs)
    assert "referral" in field_errors(exc)


def test_autistic_child_needs_a_cetr_before_jsp(rsg, amelia, social_worker, sgm, jsp):
    amelia.autism = True
    amelia.save(update_fields=["autism"])
    with pytest.raises(ValidationError) as exc:
        to_jsp(rsg, social_worker, sgm, jsp)
    assert field_errors(exc)["cetr_override_reason"] == [
        "Amelia is autistic: record the Care, Education and Treatment Review first, "
        "or give the reason for a senior override"
    ]
    rsg.refresh_from_db()
    assert rsg.level == "rsg"
    services.escalation_record_cetr(
        actor=social_worker,
        escalation=rsg,
        held_on=D(2026, 3, 2),
        chaired_by="Dr Jane Ito (independent)",
        recommendations="Community placement with 2:1 support",
    )
    to_jsp(rsg, social_worker, sgm, jsp)
    assert not rsg.steps.get(level="jsp").cetr_overridden


def test_a_cetr_on_the_childs_record_counts_for_the_ladder_but_its_override_does_not(
    rsg, amelia, social_worker, sgm, assistant_director, jsp
):
    """seeds 002 line 39: "a CeTR must be held before escalation occurs": the CETR recorded on the
    child's record (casework.cetr, which the referral and panel routes ask for) counts here too; an
    override there does not, the ladder's override needs its own senior grade."""
    from casework.cetr import cetr_override, cetr_record

    amelia.autism = True
    amelia.save(update_fields=["autism"])
    referral = CompleteReferralFactory(child=amelia)
    cetr_override(
        actor=social_worker,
        child=amelia,
        referral=referral,
        overridden_by=assistant_director,
        reason="Urgent",
    )
    with pytest.raises(ValidationError) as exc:
        to_jsp(rsg, social_worker, sgm, jsp)
    assert "cetr_override_reason" in field_errors(exc)
    cetr_record(
        actor=social_worker,
        child=amelia,
        referral=referral,
        held_on=D(2026, 3, 2),
        outcome="Community placement",
    )
    to_jsp(rsg, social_worker, sgm, jsp)
    assert not rsg.steps.get(level="jsp").cetr_overridden


def test_learning_disability_override_needs_a_senior_and_a_reason(
    rsg, amelia, social_worker, sgm, assistant_director, jsp
):
    amelia.learning_disability = True
    amelia.save(update_fields=["learning_disability"])
    with pytest.raises(ValidationError) as exc:
        to_jsp(rsg, social_worker, sgm, jsp, cetr_override_reason="Cannot wait for the CETR")
    assert "senior override" in field_errors(exc)["authorised_by"][0]
    to_jsp(rsg, social_worker, assistant_director, jsp, cetr_override_reason="Cannot wait for the CETR")
    step = rsg.steps.get(level="jsp")
    assert step.cetr_overridden and step.cetr_override_reason == "Cannot wait for the CETR"
    assert step.authoriser_seniority == Seniority.ASSISTANT_DIRECTOR


def test_future_cetr_is_refused(rsg, social_worker):
    with pytest.raises(ValidationError) as exc:
        services.escalation_record_cetr(
            actor=social_worker, escalation=rsg, held_on=D(2026, 3, 3), chaired_by="", recommendations=""
        )
    assert set(field_errors(exc)) == {"held_on", "chaired_by", "recommendations"}


def test_placement_breakdown_can_go_straight_to_jsp(clock, amelia, social_worker, sgm, jsp):
    esc = services.escalation_open(
        actor=social_worker,
        child=amelia,
        route=EscalationRoute.PLACEMENT_BREAKDOWN,
        summary="Placement ending on Friday",
        level=EscalationLevel.JSP,
        authorised_by=sgm,
        reason="DSP actions exhausted",
        target_panel=jsp,
    )
    assert esc.level == "jsp" and esc.steps.get().target_panel == jsp
    with pytest.raises(InvalidTransition):
        meet(esc, social_worker, sgm, [], at(D(2026, 3, 2)))


# --- Illegal and stale transitions -------------------------------------------------------------


def test_cannot_go_down_or_sideways(rsg, social_worker, sgm, jsp):
    to_jsp(rsg, social_worker, sgm, jsp)
    for level in ("rsg", "jsp", "nonsense"):
        with pytest.raises(InvalidTransition):
            services.escalation_escalate(
                actor=social_worker, escalation=rsg, to_level=level, authorised_by=sgm, reason="x"
            )


def test_stale_copy_is_a_conflict(rsg, social_worker, sgm, jsp, director):
    stale = Escalation.objects.get(pk=rsg.pk)
    to_jsp(rsg, social_worker, sgm, jsp)
    with pytest.raises(InvalidTransition, match="Someone else changed this escalation first"):
        services.escalation_escalate(
            actor=social_worker,
            escalation=stale,
            to_level="erg",
            authorised_by=director,
            reason="x",
            chair=director,
        )
    stale = Escalation.objects.get(pk=rsg.pk)
    services.escalation_resolve(actor=social_worker, escalation=rsg, outcome="Placement found")
    with pytest.raises(InvalidTransition):
        services.escalation_resolve(actor=social_worker, escalation=stale, outcome="Again")


# --- Exceptional Resourcing Group ----------------------------------------------------------------


def test_erg_needs_a_director_to_agree_and_chair(rsg, social_worker, sgm, assistant_director, director):
    with pytest.raises(ValidationError) as exc:
        services.escalation_escalate(
            actor=social_worker,
            escalation=rsg,
            to_level="erg",
            authorised_by=assistant_director,
            reason="x",
            chair=sgm,
        )
    errors = field_errors(exc)
    assert "not recorded as a Director" in errors["authorised_by"][0]
    assert "not recorded as a Director" in errors["chair"][0]


def test_erg_meets_at_most_weekly(erg, clock, social_worker, director, hampshire):
    meet(erg, social_worker, director, [hampshire], at(D(2026, 3, 2), 9, 30))
    clock.move_to(at(D(2026, 3, 8), 18), tick=False)
    with pytest.raises(ValidationError) as exc:
        meet(erg, social_worker, director, [hampshire], at(D(2026, 3, 8), 17))
    assert field_errors(exc)["held_at"] == [
        "An Exceptional Resourcing Group meets at most once every 7 days: it met on 2 March 2026, "
        "so the next meeting can be on or after 9 March 2026"
    ]
    assert clock_of(erg).next_meeting_from == D(2026, 3, 9)
    clock.move_to(at(D(2026, 3, 9), 18), tick=False)
    meet(erg, social_worker, director, [hampshire], at(D(2026, 3, 9), 8))


def test_erg_meeting_chair_must_be_a_director(erg, social_worker, clinician, hampshire):
    with pytest.raises(ValidationError) as exc:
        meet(erg, social_worker, clinician, [hampshire], at(D(2026, 3, 2)))
    assert "chair" in field_errors(exc)


def test_erg_reports_monthly_until_resolved(erg, clock, social_worker):
    c = clock_of(erg)
    assert c.report_due == D(2026, 4, 2) and not c.report_overdue
    clock.move_to(at(D(2026, 4, 3)), tick=False)
    assert clock_of(erg).report_overdue
    services.escalation_record_report(
        actor=social_worker, escalation=erg, reported_on=D(2026, 4, 3), progress="Provider identified"
    )
    c = clock_of(erg)
    assert c.report_due == D(2026, 5, 3) and not c.report_overdue
    services.escalation_resolve(actor=social_worker, escalation=erg, outcome="Placement in Basingstoke")
    c = clock_of(erg)
    assert c.report_due is None and not c.report_overdue
    with pytest.raises(InvalidTransition):
        services.escalation_record_report(
            actor=social_worker, escalation=erg, reported_on=D(2026, 4, 3), progress="x"
        )


def test_reports_only_for_an_erg(rsg, social_worker):
    with pytest.raises(InvalidTransition):
        services.escalation_record_report(
            actor=social_worker, escalation=rsg, reported_on=D(2026, 3, 2), progress="x"
        )


def test_report_interval_is_a_setting(erg, clock):
    EscalationSettings.objects.create(partnership="", erg_report_interval_months=2)
    assert clock_of(erg).report_due == D(2026, 5, 2)


# --- Resolution ---------------------------------------------------------------------------------


def test_resolve_records_the_outcome(rsg, clock, social_worker, amelia):
    with pytest.raises(ValidationError) as exc:
        services.escalation_resolve(actor=social_worker, escalation=rsg, outcome=" ")
    assert "outcome" in field_errors(exc)
    services.escalation_resolve(actor=social_worker, escalation=rsg, outcome="Discharged to foster care")
    rsg.refresh_from_db()
    assert rsg.status == EscalationStatus.RESOLVED and rsg.resolved_at == at(D(2026, 3, 2))
    assert rsg.steps.get().outcome == "Discharged to foster care"
    assert AuditEvent.objects.filter(action="pathways.escalation_resolve", child=amelia).exists()
    clock.move_to(at(D(2026, 3, 10)), tick=False)
    assert not clock_of(rsg).meeting_overdue


def test_list_selector_for_child_and_outsider(rsg, social_worker, outsider, amelia):
    assert [s.escalation.pk for s in escalations_for_child(user=social_worker, child=amelia)] == [rsg.pk]
    assert escalations_for_child(user=outsider, child=amelia) == []
