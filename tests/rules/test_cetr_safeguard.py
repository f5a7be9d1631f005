"""Issue 15, "The CETR safeguard on every route": a Care, Education and Treatment Review is recorded
for the child, or a named senior person overrides with a reason, before a referral goes to a Joint
Solutions or Joint Funding Panel for an autistic child or a child with a learning disability, and
before any referral, decision or funding package for a residential placement of 38 weeks or more.

seeds 002 s3 (line 39): "For autistic children and young people and children and young people with
a learning disability a CeTR must be held before escalation occurs."
seeds 003 supplementary recommendation 4 (line 1649): "All children with disabilities and complex
health needs who are on a pathway for admission to residential placement longer than 38 weeks per
year should be part of a Care, Education and Treatment Review process. No decision should be made
without multi-agency agreement and commitment."
seeds 003 recommendation 2 (line 1613): "Where an admission to a residential placement for 38
weeks or more is being considered, children, young people and their parents should have access to
advice and support through [...] SENDIASS [...] with allocation of a 'navigator'".

The clock starts at Monday 2 March 2026, 09:30 in London; the IRAP meeting is Thursday 9 April
(tests/panels/conftest.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from casework.cetr import cetr_override, cetr_record
from casework.models import CetrRecord
from funding.models import FundingPackage, ProviderKind
from funding.services import package_create_from_decision
from panels import services as panel_services
from panels.models import Action
from panels.services.cetr import SENDIASS_ACTION
from referrals import services as referral_services
from referrals.models import Option, Status
from tests.factories import (
    CompleteReferralFactory,
    MeetingFactory,
    PanelFactory,
    attendance_for,
    signed_decision_for,
)
from tests.panels.conftest import *  # noqa: F403  (the IRAP panel, its members, the clock, Amelia's item)
from tests.panels.conftest import MEETING_DAY, at

D = dt.date


def _long_residential(referral) -> None:
    """Make the referral's options a 52-week residential placement."""
    Option.objects.filter(referral=referral).update(provider_kind=ProviderKind.RESIDENTIAL, weeks_per_year=52)


def _signed_off(
    *, child, panel, social_worker, team_manager, service_manager, hampshire, hiow_icb, residential=False
):
    """A referral for `child` to `panel`, written (residential: a 52-week residential option) and
    signed by both managers: ready to submit."""
    referral = CompleteReferralFactory(
        child=child, referrer=social_worker, panel=panel, council=hampshire, icb=hiow_icb
    )
    if residential:
        _long_residential(referral)
    referral = referral_services.referral_send_for_sign_off(actor=social_worker, referral=referral)
    referral = referral_services.referral_sign(actor=team_manager, referral=referral)
    return referral_services.referral_sign(actor=service_manager, referral=referral)


@pytest.fixture
def jsp(hampshire, clock):
    return PanelFactory(name="Hampshire Joint Solutions Panel", kind="jsp", host_agency=hampshire)


def _held(child, social_worker, referral) -> CetrRecord:
    return cetr_record(
        actor=social_worker,
        child=child,
        referral=referral,
        held_on=D(2026, 2, 20),
        outcome="Community placement with 2:1 support; no admission needed",
        document="CETR report ref 2026-114",
    )


# --- Route 1: submitting to a JSP or JFP --------------------------------------------------------------


def test_submitting_to_a_joint_solutions_panel_for_an_autistic_child_needs_a_cetr(
    jsp, child, social_worker, team_manager, service_manager, hampshire, hiow_icb
):
    """seeds 002 line 39: "For autistic children [...] a CeTR must be held before escalation occurs"."""
    child.autism = True
    child.save(update_fields=["autism"])
    referral = _signed_off(
        child=child,
        panel=jsp,
        social_worker=social_worker,
        team_manager=team_manager,
        service_manager=service_manager,
        hampshire=hampshire,
        hiow_icb=hiow_icb,
    )
    meeting = MeetingFactory(panel=jsp, date=D(2026, 4, 16))
    with pytest.raises(ValidationError) as error:
        referral_services.referral_submit(actor=social_worker, referral=referral, meeting=meeting)
    assert "Amelia is autistic" in str(error.value.message_dict["cetr"])
    referral.refresh_from_db()
    assert referral.status == Status.READY_TO_SUBMIT

    _held(child, social_worker, referral)
    submitted = referral_services.referral_submit(actor=social_worker, referral=referral, meeting=meeting)
    assert submitted.status == Status.SUBMITTED


def test_submitting_to_a_jfp_for_a_child_with_a_learning_disability_takes_a_senior_override(
    clock, hampshire, hiow_icb, child, social_worker, team_manager, service_manager
):
    """seeds 002 line 39, the Joint Funding Panel too; the override names a senior person and why."""
    child.learning_disability = True
    child.save(update_fields=["learning_disability"])
    jfp = PanelFactory(name="Joint Funding Panel", kind="jfp", host_agency=hampshire)
    referral = _signed_off(
        child=child,
        panel=jfp,
        social_worker=social_worker,
        team_manager=team_manager,
        service_manager=service_manager,
        hampshire=hampshire,
        hiow_icb=hiow_icb,
    )
    meeting = MeetingFactory(panel=jfp, date=D(2026, 4, 16))
    with pytest.raises(ValidationError, match="has a learning disability"):
        referral_services.referral_submit(actor=social_worker, referral=referral, meeting=meeting)

    # A social worker is not senior enough to override.
    with pytest.raises(ValidationError) as error:
        cetr_override(
            actor=social_worker,
            child=child,
            referral=referral,
            overridden_by=social_worker,
            role="Social worker",
            reason="x",
        )
    assert "is not a service manager or panel chair" in str(error.value.message_dict["overridden_by"])

    override = cetr_override(
        actor=social_worker,
        child=child,
        referral=referral,
        overridden_by=service_manager,
        role="Service Group Manager",
        reason="The CETR is booked for May; the placement cannot wait",
    )
    assert override.summary == (
        f"CETR overridden by {service_manager.full_name}, Service Group Manager: "
        "The CETR is booked for May; the placement cannot wait"
    )
    submitted = referral_services.referral_submit(actor=social_worker, referral=referral, meeting=meeting)
    assert submitted.status == Status.SUBMITTED


# --- Route 2: an option for a residential placement of 38 weeks or more ------------------------------


def test_submitting_a_referral_with_a_52_week_residential_option_needs_a_cetr(
    irap_meeting, child, social_worker, team_manager, service_manager, hampshire, hiow_icb
):
    """seeds 003 line 1649: "on a pathway for admission to residential placement longer than 38
    weeks per year should be part of a Care, Education and Treatment Review process" (any panel, any
    child)."""
    referral = _signed_off(
        child=child,
        panel=irap_meeting.panel,
        social_worker=social_worker,
        team_manager=team_manager,
        service_manager=service_manager,
        hampshire=hampshire,
        hiow_icb=hiow_icb,
        residential=True,
    )
    with pytest.raises(ValidationError, match="residential placement of 38 weeks a year or more"):
        referral_services.referral_submit(actor=social_worker, referral=referral, meeting=irap_meeting)
    _held(child, social_worker, referral)
    submitted = referral_services.referral_submit(
        actor=social_worker, referral=referral, meeting=irap_meeting
    )
    assert submitted.status == Status.SUBMITTED


def test_a_38_week_fostering_option_does_not_need_a_cetr(
    irap_meeting, child, social_worker, team_manager, service_manager, hampshire, hiow_icb
):
    """The rule is for residential placements only (seeds 003 line 1649)."""
    referral = CompleteReferralFactory(
        child=child, referrer=social_worker, panel=irap_meeting.panel, council=hampshire, icb=hiow_icb
    )
    Option.objects.filter(referral=referral).update(provider_kind=ProviderKind.FOSTERING, weeks_per_year=38)
    referral = referral_services.referral_send_for_sign_off(actor=social_worker, referral=referral)
    referral = referral_services.referral_sign(actor=team_manager, referral=referral)
    referral = referral_services.referral_sign(actor=service_manager, referral=referral)
    submitted = referral_services.referral_submit(
        actor=social_worker, referral=referral, meeting=irap_meeting
    )
    assert submitted.status == Status.SUBMITTED


# --- Route 3: the decision, and the package it makes --------------------------------------------------


@pytest.fixture
def quorate(item, clock, panel_chair, council_member, icb_member, second_icb_member):
    """Amelia's item on the meeting day, everyone present, its option a 52-week residential placement."""
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member, second_icb_member)
    _long_residential(item.referral)
    return item


def _draft(item, panel_admin, hampshire):
    return panel_services.decision_record(
        actor=panel_admin,
        agenda_item=item,
        fields={
            "outcome": "agreed_as_recommended",
            "rationale": "A residential school meets her needs.",
            "lead_agency": hampshire,
            "review_date": D(2026, 10, 9),
        },
    )


def test_a_decision_on_a_long_residential_option_is_not_signed_without_a_cetr(
    quorate, panel_admin, panel_chair, hampshire, child, social_worker
):
    """seeds 003 line 1649: "No decision should be made without multi-agency agreement and
    commitment": the chair cannot sign it until the CETR (or an override) is recorded."""
    draft = _draft(quorate, panel_admin, hampshire)
    with pytest.raises(ValidationError) as error:
        panel_services.decision_sign(actor=panel_chair, decision=draft)
    assert "Care, Education and Treatment Review is needed first" in str(error.value.message_dict["option"])
    assert not FundingPackage.objects.exists()

    _held(child, social_worker, quorate.referral)
    signed = panel_services.decision_sign(actor=panel_chair, decision=draft)
    assert signed.status == "signed"


def test_the_package_from_the_decision_carries_the_options_kind_weeks_and_cetr(
    quorate, panel_admin, panel_chair, hampshire, child, social_worker
):
    """So the 38/52-week rule cannot be bypassed through "not yet confirmed" (seeds 003 line 1649)."""
    cetr = _held(child, social_worker, quorate.referral)
    signed = panel_services.decision_sign(actor=panel_chair, decision=_draft(quorate, panel_admin, hampshire))
    package = FundingPackage.objects.get(decision=signed)
    version = package.current_version
    assert version.provider.kind == ProviderKind.RESIDENTIAL
    assert version.weeks_per_year == 52 and version.needs_cetr
    assert package.cetr_record == cetr
    assert package.cetr_completed_on == D(2026, 2, 20) and package.multi_agency_agreed


def test_a_package_is_not_made_from_a_long_residential_decision_without_a_cetr(
    quorate, panel_chair, hampshire
):
    """seeds 003 line 1649, on the funding route: a decision written without the services (or before
    this rule) still cannot become a package until the CETR or its override is recorded."""
    option = quorate.referral.options.get()
    decision = signed_decision_for(
        quorate, chair=panel_chair, option=option, shares=[(hampshire, "100", "1486.40")]
    )
    with pytest.raises(ValidationError, match="residential placement of 38 weeks a year or more"):
        package_create_from_decision(actor=panel_chair, decision=decision)
    assert not FundingPackage.objects.exists()


# --- SENDIASS -------------------------------------------------------------------------------------


def test_signing_a_decision_on_a_long_residential_placement_raises_the_sendiass_action(
    quorate, panel_admin, panel_chair, hampshire, child, social_worker
):
    """seeds 003 line 1613 (recommendation 2): the family's referral to SENDIASS and a navigator is
    raised on the panel's action log when the decision is signed, once per item."""
    _held(child, social_worker, quorate.referral)
    signed = panel_services.decision_sign(actor=panel_chair, decision=_draft(quorate, panel_admin, hampshire))
    action = Action.objects.get(agenda_item=quorate)
    assert action.action == SENDIASS_ACTION
    assert list(action.owner_agencies.all()) == [hampshire]
    assert action.meeting == quorate.meeting and signed.status == "signed"


def test_no_sendiass_action_for_other_placements(
    clock, item, panel_admin, panel_chair, council_member, icb_member, second_icb_member, hampshire
):
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member, second_icb_member)
    panel_services.decision_sign(actor=panel_chair, decision=_draft(item, panel_admin, hampshire))
    assert not Action.objects.exists()


@pytest.fixture
def draft_referral(child, social_worker):
    """A referral for Amelia, still being written: what a CETR or override is recorded for."""
    return CompleteReferralFactory(child=child, referrer=social_worker)


def test_the_override_must_name_a_senior_person_their_role_and_why(
    clock, child, social_worker, team_manager, draft_referral
):
    with pytest.raises(ValidationError) as error:
        cetr_override(
            actor=social_worker, child=child, referral=None, overridden_by=None, role="", reason=" "
        )
    assert set(error.value.message_dict) == {"referral", "overridden_by", "role", "reason"}
    with pytest.raises(ValidationError) as error:
        cetr_override(
            actor=social_worker,
            child=child,
            referral=draft_referral,
            overridden_by=team_manager,
            role="Team manager",
            reason="Urgent",
        )
    assert "not a service manager or panel chair" in str(error.value.message_dict["overridden_by"])
    assert not CetrRecord.objects.exists()


# --- What the panel sees: the paper and the chair's page ---------------------------------------------


def _paper_html(referral) -> str:
    from django.template.loader import render_to_string

    from referrals.papers import paper_context

    return render_to_string("referrals/pdf/paper.html", paper_context(referral))


def test_the_panel_paper_shows_the_cetr_held_or_that_it_is_missing(quorate, child, social_worker):
    """seeds 003 line 1649: the panel sees the CETR its decision rests on."""
    referral = quorate.referral
    assert (
        "Not recorded for this referral, or no longer valid, but needed: a residential placement of 38 "
        "weeks a year or more is proposed"
    ) in _paper_html(referral)
    _held(child, social_worker, referral)
    html = _paper_html(referral)
    assert (
        "CETR held on 20 February 2026: Community placement with 2:1 support; no admission needed "
        "(report: CETR report ref 2026-114). Valid until 21 August 2026"
    ) in html


def test_the_chairs_page_shows_the_override_and_the_sendiass_action_to_come(
    quorate, client, panel_chair, child, social_worker, service_manager
):
    """seeds 003 line 1649 (the override, by name, role and reason) and line 1613 (SENDIASS)."""
    from django.urls import reverse

    client.force_login(panel_chair)
    page = client.get(reverse("panels:run_item", args=[quorate.meeting.pk, quorate.pk])).content.decode()
    assert "Needed before a decision: a residential placement of 38 weeks a year or more is proposed" in page
    assert "refer the family to SENDIASS" in page

    cetr_override(
        actor=social_worker,
        child=child,
        referral=quorate.referral,
        overridden_by=service_manager,
        role="Service Group Manager",
        reason="The CETR is booked for May; the placement cannot wait",
    )
    page = client.get(reverse("panels:run_item", args=[quorate.meeting.pk, quorate.pk])).content.decode()
    assert (
        f"CETR overridden by {service_manager.full_name}, Service Group Manager: "
        "The CETR is booked for May; the placement cannot wait"
    ) in page


# --- Recording a CETR or an override: pages and API ---------------------------------------------------


def test_the_cetr_page_records_it_and_puts_errors_next_to_the_fields(
    clock, client, child, social_worker, draft_referral
):
    from django.urls import reverse

    client.force_login(social_worker)
    url = reverse("children:cetr_record", args=[child.pk])
    assert f"Referral {draft_referral.pk} to " in client.get(url).content.decode()
    page = client.post(url, {"referral": draft_referral.pk, "held_on": "01/04/2026", "outcome": "Held"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "The date the CETR was held must be today or in the past" in html  # the service's, by the field
    assert not CetrRecord.objects.exists()

    response = client.post(
        url,
        {
            "referral": draft_referral.pk,
            "held_on": "20/02/2026",
            "outcome": "No admission",
            "document": "Ref 9",
        },
    )
    assert response.status_code == 302
    record = CetrRecord.objects.get()
    assert (record.held_on, record.outcome, record.document) == (D(2026, 2, 20), "No admission", "Ref 9")
    assert record.referral == draft_referral and record.valid_until == D(2026, 8, 21)  # 182 days on
    detail = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert (
        "CETR held on 20 February 2026: No admission (report: Ref 9). "
        f"For referral {draft_referral.pk}, valid until 21 August 2026."
    ) in detail


def test_the_override_page_offers_senior_people_only(
    clock, client, child, social_worker, service_manager, team_manager, draft_referral
):
    from django.urls import reverse

    client.force_login(social_worker)
    url = reverse("children:cetr_override", args=[child.pk])
    html = client.get(url).content.decode()
    assert service_manager.full_name in html and team_manager.full_name not in html
    response = client.post(
        url,
        {
            "referral": draft_referral.pk,
            "overridden_by": service_manager.pk,
            "role": "Service Group Manager",
            "reason": "Cannot wait",
        },
    )
    assert response.status_code == 302
    assert CetrRecord.objects.get().summary == (
        f"CETR overridden by {service_manager.full_name}, Service Group Manager: Cannot wait"
    )


def test_the_api_records_a_cetr_and_an_override_and_an_outsider_gets_404(
    clock, child, social_worker, service_manager, outsider, draft_referral
):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(social_worker)
    url = f"/api/children/{child.pk}/cetr/"
    assert api.get(url).json() == {"current": None, "records": [], "needed_for_escalation": False}
    bad = api.post(
        url, {"referral": draft_referral.pk, "held_on": "2026-04-01", "outcome": "x"}, format="json"
    )
    assert bad.status_code == 400 and "held_on" in bad.json()
    made = api.post(
        url,
        {"referral": draft_referral.pk, "held_on": "2026-02-20", "outcome": "No admission"},
        format="json",
    )
    assert made.status_code == 201 and made.json()["summary"] == "CETR held on 20 February 2026: No admission"
    assert (made.json()["referral"], made.json()["valid_until"], made.json()["valid_today"]) == (
        draft_referral.pk,
        "2026-08-21",
        True,
    )
    over = api.post(
        f"{url}override/",
        {
            "referral": draft_referral.pk,
            "overridden_by": service_manager.pk,
            "role": "Service Group Manager",
            "reason": "Cannot wait",
        },
        format="json",
    )
    assert over.status_code == 201 and over.json()["overridden_by"] == service_manager.pk
    state = api.get(url).json()
    assert state["current"]["id"] == over.json()["id"] and len(state["records"]) == 2

    api.force_authenticate(outsider)
    assert api.get(url).status_code == 404
    assert api.post(url, {"held_on": "2026-02-20", "outcome": "x"}, format="json").status_code == 404


# --- Who may override: the partnership's named senior people (seeds 002 s8) -------------------------


@pytest.fixture
def named_seniors(hampshire, hiow_icb, service_manager):
    """Hampshire and Isle of Wight names its senior people for escalation: the service manager as a
    Service Group Manager, and an ICB Assistant Director (the override's default grade)."""
    from casework.models import Role
    from pathways.models import EscalationAuthoriser, Seniority
    from tests.factories import UserFactory

    EscalationAuthoriser.objects.create(
        user=service_manager, seniority=Seniority.SERVICE_GROUP_MANAGER, job_title="Service Group Manager"
    )
    director = UserFactory(full_name="Aisha Dunn", agency=hiow_icb, roles=[Role.PANEL_MEMBER])
    EscalationAuthoriser.objects.create(
        user=director, seniority=Seniority.ASSISTANT_DIRECTOR, job_title="Assistant Director, Children (ICB)"
    )
    return director


def test_once_the_partnership_names_its_senior_people_only_they_may_override(
    clock, child, social_worker, service_manager, panel_chair, named_seniors, draft_referral
):
    """seeds 002 s8: escalation "should only occur with the authorisation of either a Service Group
    Manager or Assistant Director or their equivalents": the override is theirs, at the grade the
    partnership sets for it (Assistant Director by default), and their role is the job title the
    partnership recorded, not typed again."""
    for person in (service_manager, panel_chair):  # a role alone, or a grade below the override's
        with pytest.raises(ValidationError) as error:
            cetr_override(
                actor=social_worker,
                child=child,
                referral=draft_referral,
                overridden_by=person,
                role="SGM",
                reason="Urgent",
            )
        assert (
            f"{person.full_name} is not named by the partnership as a Assistant Director or equivalent or more "
            "senior: going ahead without a CETR needs one"
        ) in error.value.message_dict["overridden_by"]
    assert not CetrRecord.objects.exists()

    override = cetr_override(
        actor=social_worker,
        child=child,
        referral=draft_referral,
        overridden_by=named_seniors,
        reason="The placement cannot wait",
    )
    assert override.overridden_by == named_seniors
    assert override.overrider_role == "Assistant Director, Children (ICB)"
    assert override.summary == (
        "CETR overridden by Aisha Dunn, Assistant Director, Children (ICB): The placement cannot wait"
    )


def test_the_partnerships_grade_for_the_override_is_its_own_setting(
    clock, child, social_worker, service_manager, named_seniors, draft_referral
):
    from pathways.models import EscalationSettings

    EscalationSettings.objects.create(
        partnership="Hampshire and Isle of Wight", cetr_override_min_seniority="service_group_manager"
    )
    override = cetr_override(
        actor=social_worker,
        child=child,
        referral=draft_referral,
        overridden_by=service_manager,
        reason="Urgent",
    )
    assert override.overrider_role == "Service Group Manager"


def test_an_ended_grade_or_another_partnerships_people_do_not_count(
    clock, child, social_worker, service_manager, named_seniors, outsider, draft_referral
):
    """Named people of another partnership do not make Hampshire's: with its only authoriser ended,
    Hampshire has named nobody and the roles used before apply again."""
    from pathways.models import EscalationAuthoriser, Seniority

    EscalationAuthoriser.objects.create(user=outsider, seniority=Seniority.DIRECTOR, job_title="Director")
    with pytest.raises(ValidationError, match="is not named by the partnership"):
        cetr_override(
            actor=social_worker, child=child, referral=draft_referral, overridden_by=outsider, reason="Urgent"
        )
    EscalationAuthoriser.objects.filter(user__agency__partnership="Hampshire and Isle of Wight").update(
        active=False
    )
    with pytest.raises(ValidationError) as error:
        cetr_override(
            actor=social_worker,
            child=child,
            referral=draft_referral,
            overridden_by=service_manager,
            reason="Urgent",
        )
    assert set(error.value.message_dict) == {"role"}
    override = cetr_override(
        actor=social_worker,
        child=child,
        referral=draft_referral,
        overridden_by=service_manager,
        role="Service manager",
        reason="Urgent",
    )
    assert override.overrider_role == "Service manager"


def test_the_override_page_and_api_offer_the_named_people_with_their_titles(
    clock, client, child, social_worker, service_manager, named_seniors, draft_referral
):
    from django.urls import reverse
    from rest_framework.test import APIClient

    client.force_login(social_worker)
    url = reverse("children:cetr_override", args=[child.pk])
    html = client.get(url).content.decode()
    assert "Aisha Dunn, Assistant Director, Children (ICB)" in html
    assert service_manager.full_name not in html  # named, but below the override's grade
    assert 'name="role"' not in html  # the partnership's job title is recorded instead
    refused = client.post(
        url, {"referral": draft_referral.pk, "overridden_by": service_manager.pk, "reason": "Cannot wait"}
    )
    assert refused.status_code == 200 and not CetrRecord.objects.exists()
    response = client.post(
        url, {"referral": draft_referral.pk, "overridden_by": named_seniors.pk, "reason": "Cannot wait"}
    )
    assert response.status_code == 302
    detail = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert "CETR overridden by Aisha Dunn, Assistant Director, Children (ICB): Cannot wait" in detail

    api = APIClient()
    api.force_authenticate(social_worker)
    answer = api.post(
        f"/api/children/{child.pk}/cetr/override/",
        {"referral": draft_referral.pk, "overridden_by": service_manager.pk, "reason": "Cannot wait"},
        format="json",
    )
    assert answer.status_code == 400 and "is not named by the partnership" in str(answer.json())


# --- What a CETR applies to: the referral it names, for CETR_VALID_DAYS ------------------------------


def test_a_cetr_for_another_referral_does_not_count(
    quorate, panel_admin, panel_chair, hampshire, child, social_worker, draft_referral
):
    """A CETR is held for a placement being considered (seeds 003 line 1649): one recorded for the
    child's other referral does not let this decision be signed."""
    _held(child, social_worker, draft_referral)
    draft = _draft(quorate, panel_admin, hampshire)
    with pytest.raises(ValidationError) as error:
        panel_services.decision_sign(actor=panel_chair, decision=draft)
    assert f"Record the CETR for referral {quorate.referral.pk}" in str(error.value.message_dict["option"])
    assert "Not recorded for this referral, or no longer valid" in _paper_html(quorate.referral)


def test_a_cetr_no_longer_counts_after_its_period(
    quorate, clock, panel_admin, panel_chair, hampshire, child, social_worker, settings
):
    """The seeds give no period; CETR_VALID_DAYS (182 by default) is the partnership's operator's."""
    settings.CETR_VALID_DAYS = 30
    cetr = _held(child, social_worker, quorate.referral)  # held 20 February: counts to 22 March
    assert cetr.valid_until == D(2026, 3, 22)
    draft = _draft(quorate, panel_admin, hampshire)  # the meeting day, 9 April
    with pytest.raises(ValidationError, match="more than 30 days ago, does not count"):
        panel_services.decision_sign(actor=panel_chair, decision=draft)
    assert "no longer valid: it ran to 22 March 2026" in cetr.validity

    settings.CETR_VALID_DAYS = 182
    over = cetr_override(
        actor=social_worker,
        child=child,
        referral=quorate.referral,
        overridden_by=panel_chair,
        role="Panel chair",
        reason="The review is booked; the placement cannot wait",
    )
    assert over.valid_until == D(2026, 10, 8)  # the day it was given, 9 April, and 182 days
    assert panel_services.decision_sign(actor=panel_chair, decision=draft).status == "signed"


def test_the_chairs_page_shows_only_the_cetr_for_each_items_referral(
    quorate, client, panel_chair, child, social_worker, draft_referral, django_assert_max_num_queries
):
    from django.urls import reverse

    _held(child, social_worker, draft_referral)
    client.force_login(panel_chair)
    url = reverse("panels:run_item", args=[quorate.meeting.pk, quorate.pk])
    page = client.get(url).content.decode()
    assert "None is recorded for this referral and still valid" in page
    _held(child, social_worker, quorate.referral)
    page = client.get(url).content.decode()
    assert "(report: CETR report ref 2026-114). Valid until 21 August 2026." in page


# --- The CETR's report, uploaded: checked as referral evidence is ------------------------------------


def _report(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/pdf")  # the browser's word is not trusted


def _stored(settings) -> list[str]:
    from pathlib import Path

    folder = Path(settings.PRIVATE_STORAGE_ROOT) / "evidence"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("report.pdf", "aes256", "The selected file is protected with a password: upload a copy without one"),
        ("report.pdf", "damaged", "Page 2 of the selected file is damaged: upload a copy that opens in full"),
        ("photo.png", "png", "The selected file must be a PDF or Word document"),
        ("report.pdf", "empty", "The selected file is empty"),
    ],
)
def test_a_report_that_is_protected_damaged_or_not_a_document_is_refused(
    clock, child, social_worker, draft_referral, settings, name, make, message
):
    """The same upload check as referral evidence (referrals/evidence.py), then PDF or Word only."""
    from tests.referrals.test_evidence import damage_page, make_aes256_pdf, make_image, make_text_pdf

    data = {
        "aes256": make_aes256_pdf,
        "damaged": lambda: damage_page(make_text_pdf(3), 2),
        "png": lambda: make_image("PNG"),
        "empty": lambda: b"",
    }[make]()
    before = _stored(settings)  # the referral's own evidence
    with pytest.raises(ValidationError) as error:
        cetr_record(
            actor=social_worker,
            child=child,
            referral=draft_referral,
            held_on=D(2026, 2, 20),
            outcome="No admission",
            report=_report(name, data),
        )
    assert error.value.message_dict == {"report": [message]}
    assert not CetrRecord.objects.exists()
    assert _stored(settings) == before  # nothing left on disk


def test_a_report_over_the_size_limit_is_refused_and_a_refused_record_keeps_no_file(
    clock, child, social_worker, draft_referral, settings
):
    from tests.referrals.test_journey_services import MINIMAL_PDF

    settings.EVIDENCE_MAX_UPLOAD_MB = 0.0001  # about 100 bytes
    before = _stored(settings)  # the referral's own evidence
    with pytest.raises(ValidationError) as error:
        cetr_record(
            actor=social_worker,
            child=child,
            referral=draft_referral,
            held_on=D(2026, 2, 20),
            outcome="No admission",
            report=_report("report.pdf", MINIMAL_PDF * 2),
        )
    assert error.value.message_dict == {"report": ["The selected file must be smaller than 0.0001 MB"]}
    settings.EVIDENCE_MAX_UPLOAD_MB = 20
    with pytest.raises(ValidationError, match="today or in the past"):
        cetr_record(
            actor=social_worker,
            child=child,
            referral=draft_referral,
            held_on=D(2026, 4, 1),
            outcome="No admission",
            report=_report("report.pdf", MINIMAL_PDF),
        )
    assert _stored(settings) == before


def test_the_report_is_uploaded_on_the_page_shown_and_downloaded_only_by_those_who_see_the_child(
    quorate, client, child, social_worker, outsider, panel_chair, settings
):
    """The CETR (date, outcome, document) is recorded: the document itself, kept privately like
    evidence, with a link on the child's page, the chair's page and the panel paper; another
    agency gets 404 as for evidence."""
    from django.urls import reverse

    from tests.referrals.test_evidence import make_docx, make_image
    from tests.referrals.test_journey_services import MINIMAL_PDF

    client.force_login(social_worker)
    url = reverse("children:cetr_record", args=[child.pk])
    assert 'enctype="multipart/form-data"' in client.get(url).content.decode()
    refused = client.post(
        url,
        {
            "referral": quorate.referral.pk,
            "held_on": "20/02/2026",
            "outcome": "No admission",
            "report": _report("notes.png", make_image("PNG")),
        },
    )
    assert (
        refused.status_code == 200
        and "The selected file must be a PDF or Word document" in refused.content.decode()
    )
    response = client.post(
        url,
        {
            "referral": quorate.referral.pk,
            "held_on": "20/02/2026",
            "outcome": "No admission",
            "report": _report("CETR report Feb 2026.pdf", MINIMAL_PDF),
        },
    )
    assert response.status_code == 302
    record = CetrRecord.objects.get()
    assert (record.report_name, record.report_content_type) == ("CETR report Feb 2026.pdf", "application/pdf")
    download = reverse("children:cetr_report", args=[child.pk, record.pk])
    assert download in client.get(reverse("children:detail", args=[child.pk])).content.decode()

    got = client.get(download)
    assert got.status_code == 200 and b"".join(got.streaming_content) == MINIMAL_PDF
    assert got["Content-Disposition"].startswith("attachment")
    from casework.models import AuditEvent

    assert AuditEvent.objects.filter(action="casework.cetr_report_downloaded").count() == 1

    client.force_login(outsider)
    assert client.get(download).status_code == 404
    client.force_login(social_worker)
    assert client.get(reverse("children:cetr_report", args=[child.pk, record.pk + 1])).status_code == 404

    client.force_login(panel_chair)
    page = client.get(reverse("panels:run_item", args=[quorate.meeting.pk, quorate.pk])).content.decode()
    assert download in page
    site = settings.SITE_URL.rstrip("/")
    assert f'Report: <a href="{site}{download}">CETR report Feb 2026.pdf</a>' in _paper_html(quorate.referral)

    word = cetr_record(
        actor=social_worker,
        child=child,
        referral=quorate.referral,
        held_on=D(2026, 2, 27),
        outcome="Residential school agreed",
        report=_report("review.docx", make_docx()),
    )
    assert word.report_content_type.endswith("wordprocessingml.document")


# --- The chair's decision form says the CETR state before anyone signs -------------------------------


def test_the_chairs_decision_form_says_up_front_whether_signing_will_be_refused(
    quorate, client, panel_admin, panel_chair, hampshire, child, social_worker, named_seniors
):
    """seeds 003 line 1649: a draft on a 38+ week residential option may be saved without a CETR,
    but signing is refused; the form says so before the draft is written and beside the Sign
    button, and says who overrode it, or when it was held, once recorded."""
    from django.urls import reverse

    client.force_login(panel_chair)
    url = reverse("panels:run_item", args=[quorate.meeting.pk, quorate.pk])
    page = client.get(url).content.decode()
    assert f'id="item-{quorate.pk}-cetr-state"' in page
    assert (
        '<strong class="govuk-tag govuk-tag--red">Missing</strong> Option 1 is a residential placement of 38 '
        "weeks a year or more. A draft decision on it can be saved, but signing will be refused until a CETR, "
        f"or a senior person's override, is recorded for referral {quorate.referral.pk} on the child's record."
    ) in page

    _draft(quorate, panel_admin, hampshire)
    page = client.get(url).content.decode()
    assert "The draft decision agrees option 1: signing it now will be refused." in page
    assert page.index("signing it now will be refused") < page.index("Sign the decision")

    cetr_override(
        actor=social_worker,
        child=child,
        referral=quorate.referral,
        overridden_by=named_seniors,
        reason="The placement cannot wait for the review",
    )
    page = client.get(url).content.decode()
    assert "signing it now will be refused" not in page
    assert (
        '<strong class="govuk-tag govuk-tag--yellow">Overridden</strong> by Aisha Dunn, Assistant Director, '
        "Children (ICB): The placement cannot wait for the review. Valid for this referral until 8 October 2026: "
        "a decision on option 1 can be signed."
    ) in page


def test_the_decision_form_says_when_the_cetr_was_held_and_nothing_for_other_placements(
    quorate, client, panel_chair, child, social_worker
):
    from django.urls import reverse

    _held(child, social_worker, quorate.referral)
    client.force_login(panel_chair)
    url = reverse("panels:run_item", args=[quorate.meeting.pk, quorate.pk])
    page = client.get(url).content.decode()
    assert (
        '<strong class="govuk-tag govuk-tag--green">Recorded</strong> Held on 20 February 2026: Community '
        "placement with 2:1 support; no admission needed. Valid for this referral until 21 August 2026"
    ) in page

    Option.objects.filter(referral=quorate.referral).update(provider_kind=ProviderKind.FOSTERING)
    assert f'id="item-{quorate.pk}-cetr-state"' not in client.get(url).content.decode()
