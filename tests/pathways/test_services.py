"""The rules of each pathway, through the services (time fixed by the `clock` fixture)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from casework.access import NotAllowed
from casework.models import AuditEvent
from casework.services import InvalidTransition
from pathways import selectors, services
from pathways.models import DSTDomain, Level, PathwaySettings, Status
from tests.pathways.conftest import D, all_scores, at, complete_assessment

pytestmark = pytest.mark.django_db


# --- Reference data and settings --------------------------------------------------------------


def test_ten_dst_domains_are_loaded_as_data():
    domains = list(DSTDomain.objects.all())
    assert [d.name for d in domains][:3] == ["Breathing", "Eating and drinking", "Mobility"]
    assert len(domains) == 10
    by_code = {d.code: d for d in domains}
    assert Level.PRIORITY not in by_code["communication"].allowed_levels
    assert Level.SEVERE not in by_code["communication"].allowed_levels
    assert Level.PRIORITY in by_code["seizures"].allowed_levels
    assert Level.PRIORITY not in by_code["mobility"].allowed_levels


def test_default_settings_row_exists():
    assert PathwaySettings.objects.get(partnership="").cc_decision_weeks == 6


# --- Continuing Care ----------------------------------------------------------------------------


def test_cc_clock_is_six_weeks_from_referral_by_default(cc_case):
    assert cc_case.continuing_care.decision_due_on == D(2026, 3, 30)
    assert cc_case.status == Status.CHECKLIST
    assert AuditEvent.objects.filter(action="pathways.continuing_care_open", child=cc_case.child).exists()


def test_cc_clock_comes_from_the_partnership_settings(clock, amelia, social_worker, hiow_icb):
    PathwaySettings.objects.create(partnership="Hampshire and Isle of Wight", cc_decision_weeks=4)
    case = services.cc_open(
        actor=social_worker,
        child=amelia,
        lead_agency=hiow_icb,
        case_worker=None,
        referral_received_on=D(2026, 2, 16),
    )
    assert case.continuing_care.decision_due_on == D(2026, 3, 16)


def test_cc_overdue_is_marked(cc_case, social_worker, amelia, clock):
    due = selectors.pathway_timeline_for_child(user=social_worker, child=amelia)[0].next_due
    assert (due.label, due.on, due.overdue) == ("Decision", D(2026, 3, 30), False)
    clock.move_to(at(D(2026, 3, 31)), tick=False)
    assert selectors.pathway_timeline_for_child(user=social_worker, child=amelia)[0].next_due.overdue


def test_cc_must_be_led_by_an_icb(clock, amelia, social_worker, hampshire):
    with pytest.raises(ValidationError) as err:
        services.cc_open(
            actor=social_worker,
            child=amelia,
            lead_agency=hampshire,
            case_worker=None,
            referral_received_on=D(2026, 2, 16),
        )
    assert "led by an ICB" in err.value.message_dict["lead_agency"][0]


def test_cc_lead_agency_must_be_involved(clock, amelia, social_worker):
    from casework.models import AgencyKind
    from tests.factories import AgencyFactory

    other_icb = AgencyFactory(name="NHS Elsewhere ICB", kind=AgencyKind.ICB, ods_code="QXX")
    with pytest.raises(ValidationError) as err:
        services.cc_open(
            actor=social_worker,
            child=amelia,
            lead_agency=other_icb,
            case_worker=None,
            referral_received_on=D(2026, 2, 16),
        )
    assert "involved" in err.value.message_dict["lead_agency"][0]


def test_negative_checklist_closes_the_case(cc_case, social_worker):
    services.cc_record_checklist(
        actor=social_worker, case=cc_case, completed_on=D(2026, 2, 20), full_assessment_needed=False
    )
    assert cc_case.status == Status.CLOSED


def test_checklist_twice_is_a_conflict(cc_assessing, social_worker):
    with pytest.raises(InvalidTransition):
        services.cc_record_checklist(
            actor=social_worker, case=cc_assessing, completed_on=D(2026, 2, 20), full_assessment_needed=True
        )


def test_dst_refuses_a_level_the_domain_does_not_allow(cc_assessing, clinician):
    with pytest.raises(ValidationError) as err:
        services.cc_save_dst(
            actor=clinician, case=cc_assessing, scores={"communication": {"level": "priority"}}
        )
    assert "Communication cannot be scored priority" in err.value.message_dict["communication"][0]


def test_dst_refuses_unknown_domain_and_level(cc_assessing, clinician):
    with pytest.raises(ValidationError) as err:
        services.cc_save_dst(
            actor=clinician,
            case=cc_assessing,
            scores={"cooking": {"level": "low"}, "breathing": {"level": "huge"}},
        )
    assert set(err.value.message_dict) == {"cooking", "breathing"}


def test_only_a_health_assessor_scores_the_dst(cc_assessing, social_worker):
    with pytest.raises(NotAllowed):
        services.cc_save_dst(actor=social_worker, case=cc_assessing, scores={"breathing": {"level": "low"}})


def test_dst_needs_the_assessment_stage(cc_case, clinician):
    with pytest.raises(InvalidTransition):
        services.cc_save_dst(actor=clinician, case=cc_case, scores={"breathing": {"level": "low"}})


@pytest.mark.parametrize(
    ("overrides", "suggests"),
    [
        ({}, False),
        ({"breathing": "priority"}, True),
        ({"seizures": "severe"}, True),
        ({"mobility": "high", "skin": "high"}, False),
        ({"mobility": "high", "skin": "high", "continence": "high"}, True),
    ],
)
def test_dst_prompt(cc_assessing, clinician, overrides, suggests):
    services.cc_save_dst(actor=clinician, case=cc_assessing, scores=all_scores("low", **overrides))
    prompt = selectors.dst_prompt(
        scores=cc_assessing.continuing_care.scores.all(), settings=PathwaySettings.objects.get(partnership="")
    )
    assert prompt.suggests_needs is suggests


def test_dst_prompt_thresholds_are_settings(cc_assessing, clinician):
    services.cc_save_dst(actor=clinician, case=cc_assessing, scores=all_scores("low", seizures="severe"))
    settings = PathwaySettings(dst_prompt_priority=1, dst_prompt_severe=2, dst_prompt_high=4)
    assert not selectors.dst_prompt(
        scores=cc_assessing.continuing_care.scores.all(), settings=settings
    ).suggests_needs


def test_recommendation_needs_the_whole_assessment(cc_assessing, clinician):
    services.cc_save_dst(actor=clinician, case=cc_assessing, scores={"breathing": {"level": "low"}})
    with pytest.raises(ValidationError) as err:
        services.cc_recommend(actor=clinician, case=cc_assessing, recommendation="no_needs", reasons="")
    errors = err.value.message_dict
    assert "Eating and drinking" in errors["dst"][0]
    assert {"preferences", "holistic_assessment", "professional_reports", "reasons"} <= set(errors)


def test_recommendation_against_the_prompt_needs_a_reason(cc_assessing, clinician):
    complete_assessment(cc_assessing, clinician, breathing="priority")
    with pytest.raises(ValidationError) as err:
        services.cc_recommend(actor=clinician, case=cc_assessing, recommendation="no_needs", reasons="Stable")
    assert "give a reason" in err.value.message_dict["override_reason"][0]
    services.cc_recommend(
        actor=clinician,
        case=cc_assessing,
        recommendation="no_needs",
        reasons="Stable",
        override_reason="Priority need met by universal services",
    )
    cc = cc_assessing.continuing_care
    assert cc.prompt_suggested_needs is True
    assert cc.override_reason == "Priority need met by universal services"
    assert cc_assessing.status == Status.RECOMMENDED


def test_recommendation_with_the_prompt_needs_no_override(cc_assessing, clinician):
    complete_assessment(cc_assessing, clinician)
    services.cc_recommend(actor=clinician, case=cc_assessing, recommendation="no_needs", reasons="Low needs")
    assert cc_assessing.continuing_care.override_reason == ""


def test_only_the_assessor_recommends(cc_assessing, clinician, social_worker):
    complete_assessment(cc_assessing, clinician)
    with pytest.raises(NotAllowed):
        services.cc_recommend(actor=social_worker, case=cc_assessing, recommendation="no_needs", reasons="x")


def test_decision_links_a_referral_of_the_same_child_only(
    cc_assessing, clinician, social_worker, leicester_child
):
    from referrals.models import Referral
    from tests.factories import PanelFactory

    complete_assessment(cc_assessing, clinician)
    services.cc_recommend(actor=clinician, case=cc_assessing, recommendation="no_needs", reasons="Low")
    other = Referral(child=leicester_child)
    with pytest.raises(ValidationError) as err:
        services.cc_record_decision(
            actor=social_worker,
            case=cc_assessing,
            decision="no_needs",
            decided_on=D(2026, 3, 1),
            panel_referral=other,
        )
    assert "panel_referral" in err.value.message_dict
    del PanelFactory


def test_package_only_after_a_needs_decision(cc_assessing, clinician, social_worker):
    complete_assessment(cc_assessing, clinician)
    services.cc_recommend(actor=clinician, case=cc_assessing, recommendation="no_needs", reasons="Low")
    services.cc_record_decision(
        actor=social_worker, case=cc_assessing, decision="no_needs", decided_on=D(2026, 3, 1)
    )
    with pytest.raises(InvalidTransition):
        services.cc_record_package(
            actor=social_worker, case=cc_assessing, started_on=D(2026, 3, 2), phb_offered=False
        )


def test_reviews_due_three_months_after_start_then_yearly(cc_package, social_worker, amelia, clock):
    due = selectors.pathway_timeline_for_child(user=social_worker, child=amelia)[0].next_due
    assert (due.label, due.on) == ("Review", D(2026, 6, 2))
    clock.move_to(at(D(2026, 6, 1)), tick=False)
    services.review_record(actor=social_worker, case=cc_package, held_on=D(2026, 6, 1), notes="Going well")
    due = selectors.pathway_timeline_for_child(user=social_worker, child=amelia)[0].next_due
    assert due.on == D(2027, 6, 1)
    clock.move_to(at(D(2027, 6, 2)), tick=False)
    assert selectors.pathway_timeline_for_child(user=social_worker, child=amelia)[0].next_due.overdue


def test_review_before_package_start_is_refused(cc_package, social_worker):
    with pytest.raises(ValidationError) as err:
        services.review_record(actor=social_worker, case=cc_package, held_on=D(2026, 3, 1))
    assert "on or after the date the package started (2 March 2026)" in err.value.message_dict["held_on"][0]


def test_phb_recorded(cc_package):
    assert cc_package.continuing_care.phb_offered is True


def test_transition_steps_from_date_of_birth(cc_case, amelia, time_machine):
    cc = cc_case.continuing_care
    stands = selectors.transition_steps(cc=cc, child=amelia)
    assert stands["age"] == 14
    assert stands["stands"] == "Due now: tell the adult team"
    time_machine.move_to(at(D(2024, 1, 1)), tick=False)
    assert selectors.transition_steps(cc=cc, child=amelia)["stands"].startswith(
        "Next: tell the adult team from 10 June 2025"
    )


def test_transition_step_recorded(cc_case, amelia, social_worker):
    services.cc_record_transition_step(
        actor=social_worker, case=cc_case, step="adult_team_told_on", on_date=D(2026, 3, 1)
    )
    stands = selectors.transition_steps(cc=cc_case.continuing_care, child=amelia)
    assert stands["stands"].startswith("Next: adult nhs continuing healthcare checklist")
    with pytest.raises(ValidationError):
        services.cc_record_transition_step(
            actor=social_worker, case=cc_case, step="nonsense", on_date=D(2026, 3, 1)
        )


def test_cas_conflict_when_someone_moved_first(cc_case, social_worker):
    from pathways.models import PathwayCase

    PathwayCase.objects.filter(pk=cc_case.pk).update(status=Status.CLOSED)
    with pytest.raises(InvalidTransition):
        services.cc_record_checklist(
            actor=social_worker, case=cc_case, completed_on=D(2026, 2, 20), full_assessment_needed=True
        )


# --- Section 117 --------------------------------------------------------------------------------


def test_s117_refuses_section_2_with_an_explanation(clock, amelia, social_worker, hampshire, s117_fields):
    with pytest.raises(ValidationError) as err:
        services.s117_open(
            actor=social_worker,
            child=amelia,
            lead_agency=hampshire,
            case_worker=None,
            fields={**s117_fields, "detention_section": "2"},
        )
    assert "does not give a right to section 117 aftercare" in err.value.message_dict["detention_section"][0]


@pytest.mark.parametrize("section", ["3", "37", "45A", "47", "48"])
def test_s117_qualifying_sections(clock, amelia, social_worker, hampshire, s117_fields, section):
    case = services.s117_open(
        actor=social_worker,
        child=amelia,
        lead_agency=hampshire,
        case_worker=None,
        fields={**s117_fields, "detention_section": section},
    )
    assert case.status == Status.AFTERCARE


def test_s117_discharge_before_detention_refused(clock, amelia, social_worker, hampshire, s117_fields):
    with pytest.raises(ValidationError) as err:
        services.s117_open(
            actor=social_worker,
            child=amelia,
            lead_agency=hampshire,
            case_worker=None,
            fields={**s117_fields, "discharged_on": D(2025, 1, 1)},
        )
    assert "discharged_on" in err.value.message_dict


def test_s117_responsible_bodies_checked(clock, amelia, social_worker, hampshire, s117_fields):
    with pytest.raises(ValidationError) as err:
        services.s117_open(
            actor=social_worker,
            child=amelia,
            lead_agency=hampshire,
            case_worker=None,
            fields={
                **s117_fields,
                "responsible_icb": hampshire,
                "responsible_council": s117_fields["responsible_icb"],
            },
        )
    assert {"responsible_icb", "responsible_council"} <= set(err.value.message_dict)


def test_s117_plan_update(s117_case, social_worker):
    services.s117_update(
        actor=social_worker,
        case=s117_case,
        fields={"plan_needs": "Weekly CAMHS", "plan_services": "CAMHS outreach", "plan_providers": "Trust"},
    )
    assert s117_case.section_117.plan_needs == "Weekly CAMHS"


def test_s117_ends_only_by_both_agencies(s117_case, social_worker, clinician, team_manager):
    services.s117_confirm_end(actor=social_worker, case=s117_case, reason="Well for a year")
    assert s117_case.status == Status.AFTERCARE
    with pytest.raises(ValidationError) as err:
        services.s117_confirm_end(actor=team_manager, case=s117_case, reason="Again")
    assert "other agency must confirm" in err.value.message_dict["reason"][0]
    services.s117_confirm_end(actor=clinician, case=s117_case, reason="Agreed")
    assert s117_case.status == Status.ENDED


def test_s117_never_ends_under_a_cto(s117_case, social_worker):
    services.s117_update(actor=social_worker, case=s117_case, fields={"cto_in_force": True})
    with pytest.raises(ValidationError) as err:
        services.s117_confirm_end(actor=social_worker, case=s117_case, reason="Well")
    assert "community treatment order" in err.value.message_dict["reason"][0]


def test_s117_end_by_another_agency_not_allowed(s117_case, trust, amelia):
    from casework.models import Role
    from tests.factories import UserFactory

    nurse = UserFactory(agency=trust, roles=[Role.HEALTH_ASSESSOR])
    with pytest.raises(NotAllowed):
        services.s117_confirm_end(actor=nurse, case=s117_case, reason="Well")


def test_s117_not_closed_by_one_agency(s117_case, social_worker):
    with pytest.raises(InvalidTransition):
        services.case_close(actor=social_worker, case=s117_case, reason="Done")


def test_s117_review_due_after_discharge(s117_case, social_worker, amelia):
    due = selectors.pathway_timeline_for_child(user=social_worker, child=amelia)[0].next_due
    assert due.on == D(2027, 1, 12)
    with pytest.raises(ValidationError):
        services.review_record(actor=social_worker, case=s117_case, held_on=D(2025, 12, 1))


# --- Individual Funding Requests ----------------------------------------------------------------


def test_ifr_only_by_an_nhs_clinician(clock, amelia, social_worker):
    with pytest.raises(NotAllowed) as err:
        services.ifr_submit(actor=social_worker, child=amelia, treatment="X", exceptionality="Y")
    assert "NHS clinician" in str(err.value)


def test_ifr_decision_clock_in_working_days(ifr_case, clock, amelia, clinician):
    # 20 working days from Monday 2 March 2026: Monday 30 March.
    assert ifr_case.ifr.decision_due_on == D(2026, 3, 30)
    # From Monday 30 March, 5 working days skip Good Friday (3 April) and Easter Monday (6 April).
    PathwaySettings.objects.filter(partnership="").update(ifr_decision_working_days=5)
    clock.move_to(at(D(2026, 3, 30)), tick=False)
    later = services.ifr_submit(actor=clinician, child=amelia, treatment="Y", exceptionality="Z")
    assert later.ifr.decision_due_on == D(2026, 4, 8)


def test_ifr_needs_treatment_and_exceptionality(clock, amelia, clinician):
    with pytest.raises(ValidationError) as err:
        services.ifr_submit(actor=clinician, child=amelia, treatment=" ", exceptionality="")
    assert {"treatment", "exceptionality"} <= set(err.value.message_dict)


def test_ifr_decline_needs_reasons_then_appeal(ifr_case, icb_panel_admin, clinician):
    with pytest.raises(ValidationError):
        services.ifr_decide(actor=icb_panel_admin, case=ifr_case, decision="declined", reasons="")
    services.ifr_decide(actor=icb_panel_admin, case=ifr_case, decision="declined", reasons="Not exceptional")
    assert ifr_case.status == Status.DECLINED
    services.ifr_request_appeal(actor=clinician, case=ifr_case, reason="New evidence")
    services.ifr_decide(actor=icb_panel_admin, case=ifr_case, decision="approved")
    assert ifr_case.status == Status.APPROVED


def test_ifr_more_information_round_trip(ifr_case, icb_panel_admin, clinician):
    services.ifr_decide(
        actor=icb_panel_admin, case=ifr_case, decision="more_information", reasons="Send scans"
    )
    services.ifr_add_information(actor=clinician, case=ifr_case, information="MRI report")
    assert ifr_case.status == Status.SUBMITTED
    assert "MRI report" in ifr_case.ifr.evidence


def test_ifr_decided_only_by_panel_administrators(ifr_case, clinician, social_worker):
    for person in (clinician, social_worker):
        with pytest.raises(NotAllowed):
            services.ifr_decide(actor=person, case=ifr_case, decision="approved")


def test_ifr_decision_twice_is_a_conflict(ifr_case, icb_panel_admin):
    services.ifr_decide(actor=icb_panel_admin, case=ifr_case, decision="approved")
    with pytest.raises(InvalidTransition):
        services.ifr_decide(actor=icb_panel_admin, case=ifr_case, decision="declined", reasons="x")


def test_ifr_overdue(ifr_case, social_worker, amelia, clock):
    clock.move_to(at(D(2026, 4, 2)), tick=False)
    due = selectors.pathway_timeline_for_child(user=social_worker, child=amelia)[0].next_due
    assert due.overdue and due.label == "IFR panel decision"


# --- Complex Lives ------------------------------------------------------------------------------


def test_complex_lives_mdt(cl_case, social_worker, hampshire, hiow_icb):
    meeting = services.mdt_record(
        actor=social_worker,
        case=cl_case,
        agencies=[hampshire, hiow_icb],
        fields={
            "held_on": D(2026, 3, 2),
            "attendees": "Sam Okafor (council)\nNadia Khan (ICB)",
            "unmet_need": "Sleep",
            "options": "Spot purchase",
            "outcome": "ICB to commission",
            "actions": "Nadia: find provider by 1 April",
        },
    )
    assert set(meeting.agencies.all()) == {hampshire, hiow_icb}
    assert AuditEvent.objects.filter(action="pathways.mdt_record", child=cl_case.child).exists()


def test_complex_lives_mdt_bad_input(cl_case, social_worker, leicester):
    with pytest.raises(ValidationError) as err:
        services.mdt_record(actor=social_worker, case=cl_case, agencies=[leicester], fields={"held_on": None})
    assert {"agencies", "held_on", "attendees", "unmet_need", "outcome"} <= set(err.value.message_dict)


def test_complex_lives_close(cl_case, social_worker):
    services.case_close(actor=social_worker, case=cl_case, reason="Need met")
    assert cl_case.status == Status.CLOSED
    with pytest.raises(InvalidTransition):
        services.mdt_record(actor=social_worker, case=cl_case, agencies=[], fields={})


def test_every_write_is_audited_against_the_child(cc_package, amelia):
    actions = set(AuditEvent.objects.filter(child=amelia).values_list("action", flat=True))
    assert {
        "pathways.continuing_care_open",
        "pathways.case_status",
        "pathways.cc_evidence",
        "pathways.cc_dst",
    } <= actions
