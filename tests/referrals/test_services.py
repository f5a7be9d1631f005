"""The rules of every referral service, one at a time, on PostgreSQL.

Time is fixed at Monday 2 March 2026, 09:30 in London. The usual meeting is Thursday 9 April 2026,
whose papers are due 7 working days before, on Friday 27 March (Easter falls in between).
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.urls import reverse

from casework.access import NotAllowed
from casework.models import AuditEvent, BackgroundJob, Involvement, LegalStatus, Notification, Role
from casework.services import InvalidTransition
from casework.tasks import run_job
from panels.models import MeetingStatus
from referrals import services
from referrals.models import (
    Option,
    Referral,
    SignOff,
    SignOffDecision,
    SignOffStage,
    Status,
    StatusChange,
    Urgency,
)
from tests.factories import (
    AgencyFactory,
    ChildFactory,
    MeetingFactory,
    PanelFactory,
    UserFactory,
    complete_referral_rows,
)
from tests.referrals.test_journey_services import complete_referral

D = dt.date
LONDON = ZoneInfo("Europe/London")
MEETING_DAY = D(2026, 4, 9)
PAPERS_DUE = D(2026, 3, 27)


def at(day: dt.date, hour: int = 9, minute: int = 30) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def monday_2_march_2026(time_machine):
    time_machine.move_to(at(D(2026, 3, 2)), tick=False)
    return time_machine


# --- People and places beyond the shared personas ----------------------------------------------


@pytest.fixture
def other_panel(hampshire):
    return PanelFactory(name="Hampshire Complex Needs Panel", kind="complex_needs", host_agency=hampshire)


@pytest.fixture
def meeting(panel):
    return MeetingFactory(panel=panel, date=MEETING_DAY)


@pytest.fixture
def later_meeting(panel):
    return MeetingFactory(panel=panel, date=D(2026, 5, 14))


@pytest.fixture
def leicester_chair(leicester):
    return UserFactory(
        email="lena.chair@leicester.example.gov.uk",
        full_name="Lena Chair",
        agency=leicester,
        roles=[Role.PANEL_CHAIR, Role.PANEL_MEMBER],
    )


# --- Referrals in each state -------------------------------------------------------------------


@pytest.fixture
def complete(draft, social_worker, hiow_icb, hampshire):
    """The rows complete_referral's services write (tests/referrals/test_complete_rows.py), written
    straight to the tables: the tests below are about what comes after."""
    complete_referral_rows(draft, social_worker, hiow_icb, hampshire)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def awaiting_tm(complete, social_worker):
    return services.referral_send_for_sign_off(actor=social_worker, referral=complete)


@pytest.fixture
def awaiting_sm(awaiting_tm, team_manager):
    return services.referral_sign(actor=team_manager, referral=awaiting_tm)


@pytest.fixture
def ready(awaiting_sm, service_manager):
    return services.referral_sign(actor=service_manager, referral=awaiting_sm)


@pytest.fixture
def submitted(ready, social_worker, meeting):
    return services.referral_submit(actor=social_worker, referral=ready, meeting=meeting)


@pytest.fixture
def late(ready, social_worker, meeting, monday_2_march_2026):
    monday_2_march_2026.move_to(at(D(2026, 3, 30)), tick=False)  # the Monday after the deadline
    return services.referral_submit(actor=social_worker, referral=ready, meeting=meeting)


def history(referral: Referral) -> list[tuple[str, str]]:
    return list(
        StatusChange.objects.filter(referral=referral)
        .order_by("at", "id")
        .values_list("old_status", "new_status")
    )


def assert_history_is_a_chain(referral: Referral) -> None:
    rows = history(referral)
    assert rows[0] == ("", Status.DRAFT)
    for (_old, new), (next_old, _next_new) in zip(rows, rows[1:], strict=False):
        assert next_old == new
    referral.refresh_from_db()
    assert rows[-1][1] == referral.status


def actions(referral: Referral) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type=Referral._meta.label, object_id=str(referral.pk))
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


def force_decided(referral: Referral, actor) -> Referral:
    """The panels issue is not built yet: record the decision the way it will (status + history)."""
    Referral.objects.filter(pk=referral.pk).update(status=Status.DECIDED)
    StatusChange.objects.create(
        referral=referral, old_status=referral.status, new_status=Status.DECIDED, actor=actor
    )
    referral.refresh_from_db()
    return referral


# --- Creating ----------------------------------------------------------------------------------


def test_a_social_worker_starts_a_draft(child, social_worker, panel, hampshire):
    referral = services.referral_create(
        actor=social_worker, child=child, panel=panel, pathway="joint_package", urgency=Urgency.URGENT
    )
    assert referral.status == Status.DRAFT
    assert referral.referrer == social_worker
    assert referral.created_by == social_worker
    assert referral.referrer_agency == hampshire
    assert referral.urgency == Urgency.URGENT
    assert referral.meeting is None and referral.submitted_at is None
    assert history(referral) == [("", Status.DRAFT)]
    event = AuditEvent.objects.get(action="referral.created", object_id=str(referral.pk))
    assert event.actor == social_worker and event.child_id == child.pk
    assert event.changes["panel"] == [None, panel.pk]


def test_an_icb_clinician_involved_with_the_child_may_refer(child, clinician, panel, hiow_icb):
    referral = services.referral_create(actor=clinician, child=child, panel=panel, pathway="continuing_care")
    assert referral.referrer_agency == hiow_icb


@pytest.mark.parametrize("persona", ["auditor", "council_finance", "icb_finance", "panel_chair"])
def test_roles_that_do_not_write_referrals_are_refused(request, persona, child, panel):
    actor = request.getfixturevalue(persona)
    with pytest.raises(NotAllowed):
        services.referral_create(actor=actor, child=child, panel=panel, pathway="joint_package")
    assert not Referral.objects.exists()
    assert not AuditEvent.objects.filter(action="referral.created").exists()


def test_an_outsider_cannot_refer_a_hampshire_child(outsider, child, panel):
    with pytest.raises(NotAllowed):
        services.referral_create(actor=outsider, child=child, panel=panel, pathway="joint_package")
    assert not Referral.objects.exists()


def test_a_deactivated_social_worker_cannot_refer(social_worker, child, panel):
    social_worker.is_active = False
    social_worker.save()
    with pytest.raises(NotAllowed):
        services.referral_create(actor=social_worker, child=child, panel=panel, pathway="joint_package")


def test_a_review_names_an_earlier_referral_of_the_same_child(social_worker, child, panel, hampshire):
    with pytest.raises(ValidationError) as excinfo:
        services.referral_create(
            actor=social_worker, child=child, panel=panel, pathway="joint_package", request_type="review"
        )
    assert "review_of" in excinfo.value.message_dict

    earlier = services.referral_create(actor=social_worker, child=child, panel=panel, pathway="joint_package")
    sibling = ChildFactory(owning_agency=hampshire, created_by=social_worker)
    with pytest.raises(ValidationError):
        services.referral_create(
            actor=social_worker,
            child=sibling,
            panel=panel,
            pathway="joint_package",
            request_type="review",
            review_of=earlier,
        )
    review = services.referral_create(
        actor=social_worker,
        child=child,
        panel=panel,
        pathway="joint_package",
        request_type="review",
        review_of=earlier,
    )
    assert review.review_of == earlier
    # A new request never carries a review link.
    new = services.referral_create(
        actor=social_worker, child=child, panel=panel, pathway="joint_package", review_of=earlier
    )
    assert new.review_of is None


def test_an_unknown_pathway_is_refused(social_worker, child, panel):
    with pytest.raises(ValidationError):
        services.referral_create(actor=social_worker, child=child, panel=panel, pathway="astrology")


# --- Sections and completeness -----------------------------------------------------------------


def test_a_new_draft_lists_everything_missing(draft):
    problems = services.completeness(draft)
    assert set(problems) == {
        "referrer",
        "needs",
        "support",
        "permanency",
        "education",
        "elsewhere",
        "child_voice",
        "parents_voice",
        "reason",
        "options",
        "evidence",
    }
    assert problems["needs"] == ["Complete section 1. Assessed needs"]
    assert problems["referrer"] == ["Enter your relationship to the child"]
    assert problems["reason"] == ["Enter the reason for referral", "Enter a summary of the circumstances"]
    assert problems["options"] == ["Add at least one option with its cost"]
    assert problems["evidence"] == ["Attach at least one piece of evidence"]


def test_iro_comments_are_needed_only_when_the_child_is_looked_after(draft, child, social_worker):
    assert "iro" not in services.completeness(draft)  # a child in need
    for status in (LegalStatus.CARE_ORDER, LegalStatus.ACCOMMODATED):
        child.legal_status = status
        child.save()
        draft.refresh_from_db()
        assert services.completeness(draft)["iro"] == [
            "Enter the IRO's comments on the proposed plan: the child is looked after"
        ]
    draft = services.referral_update_section(
        actor=social_worker, referral=draft, section="iro", fields={"iro_comments": "   "}
    )
    assert "iro" in services.completeness(draft)  # blank is not an answer
    draft = services.referral_update_section(
        actor=social_worker,
        referral=draft,
        section="iro",
        fields={"iro_comments": "The IRO supports the plan."},
    )
    assert "iro" not in services.completeness(draft)


def test_a_looked_after_childs_complete_referral_cannot_go_without_iro_comments(
    complete, child, social_worker
):
    child.legal_status = LegalStatus.CARE_ORDER
    child.save()
    complete.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        services.referral_send_for_sign_off(actor=social_worker, referral=complete)
    assert set(excinfo.value.message_dict) == {"iro"}


def _education(referral, actor, **fields):
    base = {"education_current_school": "Oakwood School", "education_school_type": "special"}
    referral = services.referral_update_section(
        actor=actor, referral=referral, section="education", fields={**base, **fields}
    )
    return services.section_problems(referral, "education")


def test_education_sub_questions(draft, social_worker):
    assert _education(draft, social_worker, education_change=None) == [
        "Say whether this might change the school placement or affect the child's education"
    ]
    assert _education(draft, social_worker, education_change=False) == []
    assert _education(draft, social_worker, education_change=True, education_has_ehc_plan=None) == [
        "Say whether the child has an EHC plan"
    ]
    assert _education(draft, social_worker, education_change=True, education_has_ehc_plan=False) == []
    assert _education(
        draft,
        social_worker,
        education_change=True,
        education_has_ehc_plan=True,
        education_discussed_with_sen=None,
    ) == ["Say whether this has been discussed with the SEN team"]
    assert (
        _education(
            draft,
            social_worker,
            education_change=True,
            education_has_ehc_plan=True,
            education_discussed_with_sen=False,
        )
        == []
    )
    assert _education(
        draft,
        social_worker,
        education_change=True,
        education_has_ehc_plan=True,
        education_discussed_with_sen=True,
        education_sen_comments=" ",
    ) == ["Enter the SEN team's comments"]
    assert (
        _education(
            draft,
            social_worker,
            education_change=True,
            education_has_ehc_plan=True,
            education_discussed_with_sen=True,
            education_sen_comments="SEN agree.",
        )
        == []
    )


def test_education_always_needs_the_school_and_its_type(draft, social_worker):
    problems = _education(
        draft, social_worker, education_change=False, education_current_school="", education_school_type=""
    )
    assert problems == [
        "Enter the current school, or 'not in school'",
        "Say whether the school is mainstream, special or other",
    ]
    with pytest.raises(ValidationError):
        _education(draft, social_worker, education_change=False, education_school_type="boarding")


def test_a_section_save_is_audited_with_its_changes_and_a_no_change_save_writes_nothing(draft, social_worker):
    services.referral_update_section(
        actor=social_worker, referral=draft, section="needs", fields={"assessed_needs": "Autism."}
    )
    event = AuditEvent.objects.get(action="referral.section.needs")
    assert event.changes == {"assessed_needs": ["", "Autism."]}
    assert event.actor == social_worker
    before = AuditEvent.objects.count()
    services.referral_update_section(
        actor=social_worker, referral=draft, section="needs", fields={"assessed_needs": "Autism."}
    )
    assert AuditEvent.objects.count() == before


def test_a_section_takes_only_its_own_fields(draft, social_worker):
    with pytest.raises(ValueError, match="Unknown section"):
        services.referral_update_section(actor=social_worker, referral=draft, section="finance", fields={})
    with pytest.raises(ValueError, match="not in section"):
        services.referral_update_section(
            actor=social_worker, referral=draft, section="needs", fields={"status": Status.READY_TO_SUBMIT}
        )
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_a_section_longer_than_its_limit_is_refused(draft, social_worker):
    with pytest.raises(ValidationError):
        services.referral_update_section(
            actor=social_worker, referral=draft, section="needs", fields={"assessed_needs": "x" * 10001}
        )


def test_only_the_referring_agency_changes_a_referral(draft, clinician, outsider, auditor):
    for actor in (clinician, outsider, auditor):
        with pytest.raises(NotAllowed):
            services.referral_update_section(
                actor=actor, referral=draft, section="needs", fields={"assessed_needs": "Changed."}
            )
    draft.refresh_from_db()
    assert draft.assessed_needs == ""


def test_the_details_section_changes_urgency_and_drops_a_review_link_for_a_new_request(
    draft, social_worker, child, panel
):
    earlier = services.referral_create(actor=social_worker, child=child, panel=panel, pathway="joint_package")
    draft = services.referral_update_section(
        actor=social_worker,
        referral=draft,
        section="details",
        fields={"request_type": "review", "review_of": earlier, "urgency": Urgency.EMERGENCY},
    )
    assert draft.review_of == earlier and draft.urgency == Urgency.EMERGENCY
    draft = services.referral_update_section(
        actor=social_worker, referral=draft, section="details", fields={"request_type": "new"}
    )
    assert draft.review_of is None


# --- Options and costs -------------------------------------------------------------------------


def _option(referral, actor, shares, cost="300.00", **fields):
    return services.option_save(
        actor=actor,
        referral=referral,
        fields={
            "description": "Residential short breaks",
            "cost": Decimal(cost),
            "period": "weekly",
            **fields,
        },
        shares=shares,
    )


def test_a_percentage_split_must_add_up_to_exactly_100(draft, social_worker, hampshire, hiow_icb):
    sen = AgencyFactory(name="Hampshire SEN", kind="sen")
    # A split names agencies involved with the child (issue 12).
    Involvement.objects.create(child=draft.child, agency=sen, role="education", added_by=social_worker)
    option = _option(
        draft,
        social_worker,
        [
            (hampshire, "percentage", Decimal("33.33")),
            (hiow_icb, "percentage", Decimal("33.33")),
            (sen, "percentage", Decimal("33.34")),
        ],
    )
    assert option.shares.count() == 3
    with pytest.raises(ValidationError) as excinfo:
        _option(
            draft,
            social_worker,
            [
                (hampshire, "percentage", Decimal("33.33")),
                (hiow_icb, "percentage", Decimal("33.33")),
                (sen, "percentage", Decimal("33.33")),
            ],
        )
    assert excinfo.value.message_dict["shares"] == ["The percentages add up to 99.99%, not 100%"]
    with pytest.raises(ValidationError):
        _option(draft, social_worker, [(hampshire, "percentage", Decimal("100.01"))])


def test_an_amount_split_must_add_up_to_exactly_the_cost(draft, social_worker, hampshire, hiow_icb):
    option = _option(
        draft,
        social_worker,
        [(hampshire, "amount", Decimal("1000.01")), (hiow_icb, "amount", Decimal("234.55"))],
        cost="1234.56",
    )
    assert sorted(option.shares.values_list("value", flat=True)) == [Decimal("234.55"), Decimal("1000.01")]
    with pytest.raises(ValidationError) as excinfo:
        _option(
            draft,
            social_worker,
            [(hampshire, "amount", Decimal("1000.00")), (hiow_icb, "amount", Decimal("234.55"))],
            cost="1234.56",
        )
    assert excinfo.value.message_dict["shares"] == [
        "The amounts add up to £1,234.55, not the cost of £1,234.56"
    ]
    # One agency paying the lot is a split too.
    _option(draft, social_worker, [(hampshire, "amount", Decimal("99.99"))], cost="99.99")
    assert draft.options.count() == 2


def test_percentages_and_amounts_cannot_be_mixed(draft, social_worker, hampshire, hiow_icb):
    with pytest.raises(ValidationError) as excinfo:
        _option(
            draft,
            social_worker,
            [(hampshire, "percentage", Decimal("50")), (hiow_icb, "amount", Decimal("150.00"))],
        )
    assert "not both" in excinfo.value.message_dict["shares"][0]
    assert not Option.objects.exists()


def test_an_agency_is_named_once_in_a_split(draft, social_worker, hampshire):
    with pytest.raises(ValidationError) as excinfo:
        _option(
            draft,
            social_worker,
            [(hampshire, "percentage", Decimal("50")), (hampshire, "percentage", Decimal("50"))],
        )
    assert excinfo.value.message_dict["shares"] == ["Name each agency once"]
    assert not Option.objects.exists()


def test_an_option_needs_someone_to_pay(draft, social_worker):
    with pytest.raises(ValidationError) as excinfo:
        _option(draft, social_worker, [])
    assert "which agencies pay" in excinfo.value.message_dict["shares"][0]


def test_a_negative_cost_is_refused(draft, social_worker, hampshire):
    with pytest.raises(ValidationError) as excinfo:
        _option(draft, social_worker, [(hampshire, "amount", Decimal("-5.00"))], cost="-5.00")
    assert "cost" in excinfo.value.message_dict
    assert not Option.objects.exists()


def test_a_negative_share_is_refused(draft, social_worker, hampshire, hiow_icb):
    with pytest.raises(ValidationError):
        _option(
            draft,
            social_worker,
            [(hampshire, "percentage", Decimal("150")), (hiow_icb, "percentage", Decimal("-50"))],
        )


def test_an_option_cannot_end_before_it_starts(draft, social_worker, hampshire):
    with pytest.raises(ValidationError) as excinfo:
        _option(
            draft,
            social_worker,
            [(hampshire, "percentage", Decimal("100"))],
            starts_on=D(2026, 4, 1),
            ends_on=D(2026, 3, 31),
        )
    assert not Option.objects.exists()
    assert excinfo.value.messages  # refused; the wording is checked below
    # Starting and ending on the same day is fine (a one-off).
    _option(
        draft,
        social_worker,
        [(hampshire, "percentage", Decimal("100"))],
        starts_on=D(2026, 4, 1),
        ends_on=D(2026, 4, 1),
        period="one_off",
    )


def test_an_option_ending_before_it_starts_is_explained_on_the_end_date(draft, social_worker, hampshire):
    with pytest.raises(ValidationError) as excinfo:
        _option(
            draft,
            social_worker,
            [(hampshire, "percentage", Decimal("100"))],
            starts_on=D(2026, 4, 1),
            ends_on=D(2026, 3, 31),
        )
    assert excinfo.value.message_dict == {"ends_on": ["The end date must be on or after the start date"]}


def test_one_recommended_option_at_a_time(draft, social_worker, hampshire):
    share = [(hampshire, "percentage", Decimal("100"))]
    first = _option(draft, social_worker, share)
    second = _option(draft, social_worker, share, description="Foster placement with support")
    third = _option(draft, social_worker, share, description="Residential school")
    first.refresh_from_db()
    assert first.is_recommended and not second.is_recommended and not third.is_recommended
    assert [first.position, second.position, third.position] == [1, 2, 3]

    services.option_recommend(actor=social_worker, option=second)
    assert list(draft.options.filter(is_recommended=True)) == [second]
    services.option_recommend(actor=social_worker, option=second)  # again: still one
    assert list(draft.options.filter(is_recommended=True)) == [second]
    assert AuditEvent.objects.filter(action="referral.option.recommended").count() == 2

    # The database refuses two recommended options even if a service forgot.
    with pytest.raises(IntegrityError), transaction.atomic():
        Option.objects.filter(pk=third.pk).update(is_recommended=True)


def test_removing_the_recommended_option(draft, social_worker, hampshire):
    share = [(hampshire, "percentage", Decimal("100"))]
    first = _option(draft, social_worker, share)
    second = _option(draft, social_worker, share, description="Foster placement")
    third = _option(draft, social_worker, share, description="Residential school")
    services.option_remove(actor=social_worker, option=first)
    # Two left: nobody guesses which one the social worker recommends.
    assert not draft.options.filter(is_recommended=True).exists()
    assert services.option_problems(draft) == ["Choose the option you recommend"]
    services.option_recommend(actor=social_worker, option=third)
    services.option_remove(actor=social_worker, option=third)
    # One left: it is the recommended one.
    second.refresh_from_db()
    assert second.is_recommended
    assert services.option_problems(draft) == []
    assert AuditEvent.objects.filter(action="referral.option.removed").count() == 2
    services.option_remove(actor=social_worker, option=second)
    assert services.option_problems(draft) == ["Add at least one option with its cost"]


def test_changing_an_option_replaces_its_split(draft, social_worker, hampshire, hiow_icb):
    option = _option(draft, social_worker, [(hampshire, "percentage", Decimal("100"))])
    option = services.option_save(
        actor=social_worker,
        referral=draft,
        option=option,
        fields={"cost": Decimal("400.00")},
        shares=[(hampshire, "amount", Decimal("100.00")), (hiow_icb, "amount", Decimal("300.00"))],
    )
    option.refresh_from_db()
    assert option.cost == Decimal("400.00") and option.is_recommended
    assert {(s.agency_id, s.basis, s.value) for s in option.shares.all()} == {
        (hampshire.pk, "amount", Decimal("100.00")),
        (hiow_icb.pk, "amount", Decimal("300.00")),
    }
    event = AuditEvent.objects.filter(action="referral.option.saved").order_by("-id").first()
    assert event.changes["cost"] == ["300.00", "400.00"]


def test_an_option_of_another_referral_cannot_be_changed_through_this_one(
    draft, social_worker, child, panel, hampshire
):
    other = services.referral_create(actor=social_worker, child=child, panel=panel, pathway="joint_package")
    option = _option(other, social_worker, [(hampshire, "percentage", Decimal("100"))])
    with pytest.raises(NotAllowed):
        services.option_save(
            actor=social_worker,
            referral=draft,
            option=option,
            fields={"cost": Decimal("1.00")},
            shares=[(hampshire, "percentage", Decimal("100"))],
        )


def test_options_are_changed_only_by_the_referring_agency(
    draft, social_worker, clinician, outsider, hampshire
):
    option = _option(draft, social_worker, [(hampshire, "percentage", Decimal("100"))])
    for actor in (clinician, outsider):
        with pytest.raises(NotAllowed):
            _option(draft, actor, [(hampshire, "percentage", Decimal("100"))])
        with pytest.raises(NotAllowed):
            services.option_remove(actor=actor, option=option)
        with pytest.raises(NotAllowed):
            services.option_recommend(actor=actor, option=option)


# --- Evidence ----------------------------------------------------------------------------------


def test_evidence_is_needed_before_sign_off(complete, social_worker):
    assert services.completeness(complete) == {}
    [evidence] = complete.evidence.all()
    services.evidence_remove(actor=social_worker, evidence=evidence)
    assert services.completeness(complete) == {"evidence": ["Attach at least one piece of evidence"]}
    with pytest.raises(ValidationError) as excinfo:
        services.referral_send_for_sign_off(actor=social_worker, referral=complete)
    assert set(excinfo.value.message_dict) == {"evidence"}
    with pytest.raises(InvalidTransition):
        services.evidence_remove(actor=social_worker, evidence=evidence)
    assert [
        a for a in AuditEvent.objects.values_list("action", flat=True) if a.startswith("referral.evidence")
    ] == [
        "referral.evidence.removed",
        "referral.evidence.added",
    ]


# --- Sending for sign-off and signing ----------------------------------------------------------


def test_send_for_sign_off_needs_a_complete_referral(draft, social_worker):
    with pytest.raises(ValidationError) as excinfo:
        services.referral_send_for_sign_off(actor=social_worker, referral=draft)
    assert {"needs", "options", "evidence", "reason"} <= set(excinfo.value.message_dict)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert history(draft) == [("", Status.DRAFT)]


def test_sending_notifies_the_team_managers_only(
    second_team_manager, team_manager, service_manager, outsider, awaiting_tm
):
    assert awaiting_tm.status == Status.AWAITING_TEAM_MANAGER
    notified = set(Notification.objects.values_list("user_id", flat=True))
    assert notified == {team_manager.pk, second_team_manager.pk}
    notice = Notification.objects.get(user=team_manager)
    assert "AH" in notice.subject and "Amelia" not in notice.subject
    assert notice.url == reverse("referrals:detail", args=[awaiting_tm.pk])


def test_nobody_signs_a_referral_they_wrote(
    child, team_manager, second_team_manager, panel, hiow_icb, hampshire
):
    referral = services.referral_create(actor=team_manager, child=child, panel=panel, pathway="joint_package")
    complete_referral(referral, team_manager, hiow_icb, hampshire)
    referral = services.referral_send_for_sign_off(actor=team_manager, referral=referral)
    # The author is not told to sign their own referral; the other team manager is.
    assert set(Notification.objects.values_list("user_id", flat=True)) == {second_team_manager.pk}
    with pytest.raises(NotAllowed):
        services.referral_sign(actor=team_manager, referral=referral)
    referral.refresh_from_db()
    assert referral.status == Status.AWAITING_TEAM_MANAGER
    assert not SignOff.objects.exists()
    referral = services.referral_sign(actor=second_team_manager, referral=referral)
    assert referral.status == Status.AWAITING_SERVICE_MANAGER


def test_a_service_manager_who_wrote_it_cannot_give_the_second_signature(
    child, service_manager, team_manager, panel, hiow_icb, hampshire
):
    referral = services.referral_create(
        actor=service_manager, child=child, panel=panel, pathway="joint_package"
    )
    complete_referral(referral, service_manager, hiow_icb, hampshire)
    referral = services.referral_send_for_sign_off(actor=service_manager, referral=referral)
    referral = services.referral_sign(actor=team_manager, referral=referral)
    with pytest.raises(NotAllowed):
        services.referral_sign(actor=service_manager, referral=referral)


@pytest.mark.parametrize(
    "persona", ["social_worker", "service_manager", "panel_chair", "auditor", "outsider"]
)
def test_only_a_team_manager_of_the_referring_agency_signs_first(request, persona, awaiting_tm):
    with pytest.raises(NotAllowed):
        services.referral_sign(actor=request.getfixturevalue(persona), referral=awaiting_tm)
    awaiting_tm.refresh_from_db()
    assert awaiting_tm.status == Status.AWAITING_TEAM_MANAGER
    assert not SignOff.objects.exists()


def test_a_team_manager_of_another_agency_cannot_sign(awaiting_tm, hiow_icb):
    icb_manager = UserFactory(agency=hiow_icb, roles=[Role.TEAM_MANAGER, Role.SERVICE_MANAGER])
    with pytest.raises(NotAllowed):
        services.referral_sign(actor=icb_manager, referral=awaiting_tm)


def test_the_first_signature_covers_the_exact_content(service_manager, team_manager, awaiting_sm):
    assert awaiting_sm.status == Status.AWAITING_SERVICE_MANAGER
    [signature] = SignOff.objects.all()
    assert signature.stage == SignOffStage.TEAM_MANAGER
    assert signature.decision == SignOffDecision.SIGNED
    assert signature.signer == team_manager
    assert signature.content_hash == services.content_hash(awaiting_sm)
    assert Notification.objects.filter(
        user=service_manager, subject__contains="waiting for your signature"
    ).exists()


@pytest.mark.parametrize(
    "persona,refusal",
    [
        ("social_worker", NotAllowed),
        # A team manager could sign a moment ago: the one who did, or a colleague who came second,
        # is told who signed (409), not that their role may not (issue 13).
        ("team_manager", InvalidTransition),
        ("second_team_manager", InvalidTransition),
        ("auditor", NotAllowed),
        ("outsider", NotAllowed),
    ],
)
def test_only_a_service_manager_or_panel_member_signs_second(request, persona, refusal, awaiting_sm):
    with pytest.raises(refusal) as raised:
        services.referral_sign(actor=request.getfixturevalue(persona), referral=awaiting_sm)
    if refusal is InvalidTransition:
        assert "signed this referral as team manager" in str(raised.value)
    awaiting_sm.refresh_from_db()
    assert awaiting_sm.status == Status.AWAITING_SERVICE_MANAGER


def test_a_panel_member_may_give_the_second_signature(awaiting_sm, panel_member, social_worker):
    """seeds 002: "all referrals must be approved by a service manager or panel member"."""
    referral = services.referral_sign(actor=panel_member, referral=awaiting_sm)
    assert referral.status == Status.READY_TO_SUBMIT
    assert SignOff.objects.get(stage=SignOffStage.SERVICE_MANAGER).signer == panel_member
    assert Notification.objects.filter(user=social_worker, subject__contains="ready to submit").exists()


def test_the_second_signature_must_be_a_different_person(awaiting_tm, hampshire):
    both = UserFactory(agency=hampshire, roles=[Role.TEAM_MANAGER, Role.SERVICE_MANAGER], full_name="Bo Th")
    referral = services.referral_sign(actor=both, referral=awaiting_tm)
    with pytest.raises(NotAllowed, match="someone other than the first signer"):
        services.referral_sign(actor=both, referral=referral)
    referral.refresh_from_db()
    assert referral.status == Status.AWAITING_SERVICE_MANAGER
    assert SignOff.objects.count() == 1


def test_two_signatures_make_it_ready(ready, team_manager, service_manager, social_worker):
    assert ready.status == Status.READY_TO_SUBMIT
    signatures = services.current_signatures(ready)
    assert {(s.stage, s.signer_id) for s in signatures} == {
        (SignOffStage.TEAM_MANAGER, team_manager.pk),
        (SignOffStage.SERVICE_MANAGER, service_manager.pk),
    }
    assert all(s.content_hash == services.content_hash(ready) for s in signatures)
    assert history(ready)[-3:] == [
        (Status.DRAFT, Status.AWAITING_TEAM_MANAGER),
        (Status.AWAITING_TEAM_MANAGER, Status.AWAITING_SERVICE_MANAGER),
        (Status.AWAITING_SERVICE_MANAGER, Status.READY_TO_SUBMIT),
    ]


def test_signing_a_referral_that_is_not_waiting_is_a_conflict(draft, ready, team_manager, service_manager):
    for referral in (draft, ready):
        for actor in (team_manager, service_manager):
            with pytest.raises(InvalidTransition):
                services.referral_sign(actor=actor, referral=referral)


def test_a_change_after_the_second_signature_withdraws_both(ready, social_worker):
    referral = services.referral_update_section(
        actor=social_worker,
        referral=ready,
        section="child_voice",
        fields={"child_voice": "Wants to go home."},
    )
    assert referral.status == Status.DRAFT
    assert services.current_signatures(referral) == []
    assert SignOff.objects.filter(withdrawn_at__isnull=False).count() == 2
    assert history(referral)[-1] == (Status.READY_TO_SUBMIT, Status.DRAFT)
    assert "changed after signing" in StatusChange.objects.filter(referral=referral).last().reason


def test_a_change_to_the_split_withdraws_the_first_signature(awaiting_sm, social_worker, hampshire, hiow_icb):
    option = awaiting_sm.options.get()
    services.option_save(
        actor=social_worker,
        referral=awaiting_sm,
        option=option,
        fields={},
        shares=[(hampshire, "percentage", Decimal("60")), (hiow_icb, "percentage", Decimal("40"))],
    )
    awaiting_sm.refresh_from_db()
    assert awaiting_sm.status == Status.DRAFT
    assert services.current_signatures(awaiting_sm) == []


def test_a_referral_emptied_while_awaiting_sign_off_cannot_be_signed(
    awaiting_tm, social_worker, team_manager
):
    referral = services.referral_update_section(
        actor=social_worker, referral=awaiting_tm, section="needs", fields={"assessed_needs": ""}
    )
    assert services.completeness(referral)
    referral.refresh_from_db()
    with pytest.raises((ValidationError, InvalidTransition)):
        services.referral_sign(actor=team_manager, referral=referral)


# --- Returning ---------------------------------------------------------------------------------


def test_returning_needs_comments(awaiting_sm, service_manager):
    for comments in ("", "   \n"):
        with pytest.raises(ValidationError) as excinfo:
            services.referral_return(actor=service_manager, referral=awaiting_sm, comments=comments)
        assert "comments" in excinfo.value.message_dict
    awaiting_sm.refresh_from_db()
    assert awaiting_sm.status == Status.AWAITING_SERVICE_MANAGER
    assert services.current_signatures(awaiting_sm)


def test_returning_withdraws_earlier_signatures_and_tells_the_referrer(
    awaiting_sm, service_manager, team_manager, social_worker
):
    referral = services.referral_return(
        actor=service_manager, referral=awaiting_sm, comments="Cost the foster option."
    )
    assert referral.status == Status.RETURNED
    assert services.current_signatures(referral) == []
    tm_signature = SignOff.objects.get(signer=team_manager)
    assert tm_signature.withdrawn_at is not None and tm_signature.withdrawn_reason == "Returned for changes"
    returned = SignOff.objects.get(decision=SignOffDecision.RETURNED)
    assert returned.signer == service_manager
    assert returned.stage == SignOffStage.SERVICE_MANAGER
    assert returned.comments == "Cost the foster option."
    assert history(referral)[-1] == (Status.AWAITING_SERVICE_MANAGER, Status.RETURNED)
    assert StatusChange.objects.filter(referral=referral).last().reason == "Cost the foster option."
    notice = Notification.objects.get(user=social_worker, subject__contains="returned")
    assert notice.url == reverse("referrals:detail", args=[referral.pk])
    assert "AH" in notice.subject


def test_a_returned_referral_is_changed_and_signed_again_from_the_start(
    awaiting_tm, team_manager, service_manager, social_worker
):
    referral = services.referral_return(
        actor=team_manager, referral=awaiting_tm, comments="Add the CAMHS view."
    )
    assert referral.status == Status.RETURNED
    referral = services.referral_update_section(
        actor=social_worker,
        referral=referral,
        section="support",
        fields={"current_support": "CAMHS weekly; OT."},
    )
    assert referral.status == Status.RETURNED  # no signatures stood, so nothing to withdraw
    referral = services.referral_send_for_sign_off(actor=social_worker, referral=referral)
    assert referral.status == Status.AWAITING_TEAM_MANAGER
    with pytest.raises(NotAllowed):  # the team manager signs first, again
        services.referral_sign(actor=service_manager, referral=referral)
    referral = services.referral_sign(actor=team_manager, referral=referral)
    referral = services.referral_sign(actor=service_manager, referral=referral)
    assert referral.status == Status.READY_TO_SUBMIT
    assert_history_is_a_chain(referral)


@pytest.mark.parametrize("persona", ["social_worker", "auditor", "outsider", "service_manager"])
def test_only_a_signer_of_this_stage_may_return(request, persona, awaiting_tm):
    with pytest.raises(NotAllowed):
        services.referral_return(actor=request.getfixturevalue(persona), referral=awaiting_tm, comments="No.")


def test_returning_a_referral_not_awaiting_sign_off_is_a_conflict(ready, team_manager, service_manager):
    with pytest.raises(InvalidTransition):
        services.referral_return(actor=service_manager, referral=ready, comments="Too late.")


# --- Submitting --------------------------------------------------------------------------------


def test_submitting_on_time(panel_chair, social_worker, meeting, submitted):
    assert services.submission_deadline(meeting) == PAPERS_DUE
    assert submitted.status == Status.SUBMITTED
    assert submitted.meeting == meeting
    assert submitted.submitted_by == social_worker
    assert submitted.submitted_at == at(D(2026, 3, 2))
    assert submitted.is_late_paper is False
    assert history(submitted)[-1] == (Status.READY_TO_SUBMIT, Status.SUBMITTED)
    assert not Notification.objects.filter(user=panel_chair).exists()
    assert_history_is_a_chain(submitted)


def test_submitting_on_the_deadline_day_is_on_time(ready, social_worker, meeting, monday_2_march_2026):
    monday_2_march_2026.move_to(at(PAPERS_DUE, 23, 59), tick=False)
    referral = services.referral_submit(actor=social_worker, referral=ready, meeting=meeting)
    assert referral.is_late_paper is False


@pytest.mark.parametrize(
    "today",
    [
        D(2026, 3, 28),  # the Saturday after the deadline
        D(2026, 3, 30),
        D(2026, 4, 3),  # Good Friday
        MEETING_DAY,  # the day itself
    ],
)
def test_submitting_after_the_deadline_is_a_late_paper_and_the_chair_is_told(
    today, ready, social_worker, meeting, panel_chair, leicester_chair, monday_2_march_2026
):
    monday_2_march_2026.move_to(at(today, 0, 30), tick=False)
    referral = services.referral_submit(actor=social_worker, referral=ready, meeting=meeting)
    assert referral.status == Status.SUBMITTED
    assert referral.is_late_paper is True
    assert StatusChange.objects.filter(referral=referral).last().reason.startswith("Late paper")
    notice = Notification.objects.get(user=panel_chair)
    assert notice.subject.startswith("Late paper") and "AH" in notice.subject
    assert not Notification.objects.filter(user=leicester_chair).exists()


def test_a_late_paper_counts_the_panels_closure_days(ready, social_worker, meeting, monday_2_march_2026):
    from panels.models import ClosureDay

    ClosureDay.objects.create(panel=meeting.panel, day=D(2026, 3, 31), reason="Office move")
    # Papers now due Thursday 26 March: submitting on Friday 27 March is late.
    monday_2_march_2026.move_to(at(PAPERS_DUE), tick=False)
    referral = services.referral_submit(actor=social_worker, referral=ready, meeting=meeting)
    assert referral.is_late_paper is True


def test_an_emergency_is_flagged_to_the_chair_at_once(
    complete, social_worker, team_manager, service_manager, meeting, panel_chair
):
    referral = services.referral_update_section(
        actor=social_worker, referral=complete, section="details", fields={"urgency": Urgency.EMERGENCY}
    )
    referral = services.referral_send_for_sign_off(actor=social_worker, referral=referral)
    referral = services.referral_sign(actor=team_manager, referral=referral)
    referral = services.referral_sign(actor=service_manager, referral=referral)
    referral = services.referral_submit(actor=social_worker, referral=referral, meeting=meeting)
    assert referral.is_late_paper is False
    notice = Notification.objects.get(user=panel_chair)
    assert notice.subject.startswith("Emergency referral for AH")


def test_submitting_needs_both_current_signatures(ready, social_worker, meeting):
    SignOff.objects.filter(referral=ready, stage=SignOffStage.SERVICE_MANAGER).update(
        withdrawn_at=at(D(2026, 3, 2))
    )
    with pytest.raises(InvalidTransition, match="both signatures"):
        services.referral_submit(actor=social_worker, referral=ready, meeting=meeting)
    ready.refresh_from_db()
    assert ready.status == Status.READY_TO_SUBMIT and ready.meeting is None


def test_submitting_needs_signatures_on_the_current_content(ready, social_worker, meeting):
    # A change slipped past the services (an admin edit, say): the signatures no longer match.
    Referral.objects.filter(pk=ready.pk).update(assessed_needs="Changed behind the signers' backs.")
    ready.refresh_from_db()
    with pytest.raises(InvalidTransition):
        services.referral_submit(actor=social_worker, referral=ready, meeting=meeting)


def test_a_draft_cannot_be_submitted(complete, social_worker, meeting):
    with pytest.raises(InvalidTransition):
        services.referral_submit(actor=social_worker, referral=complete, meeting=meeting)


def test_submitting_to_another_panels_meeting_is_refused(ready, social_worker, other_panel):
    elsewhere = MeetingFactory(panel=other_panel, date=MEETING_DAY)
    with pytest.raises(ValidationError) as excinfo:
        services.referral_submit(actor=social_worker, referral=ready, meeting=elsewhere)
    assert "meeting" in excinfo.value.message_dict


@pytest.mark.parametrize(
    ("date", "status"),
    [
        (D(2026, 2, 26), MeetingStatus.SCHEDULED),  # in the past
        (D(2026, 3, 1), MeetingStatus.SCHEDULED),  # yesterday
        (MEETING_DAY, MeetingStatus.CANCELLED),
        (MEETING_DAY, MeetingStatus.HELD),
    ],
)
def test_submitting_to_a_meeting_that_is_not_to_come_is_refused(ready, social_worker, panel, date, status):
    gone = MeetingFactory(panel=panel, date=date, status=status)
    with pytest.raises(ValidationError):
        services.referral_submit(actor=social_worker, referral=ready, meeting=gone)
    ready.refresh_from_db()
    assert ready.status == Status.READY_TO_SUBMIT


def test_only_the_referring_team_submits(ready, outsider, clinician, auditor, meeting):
    for actor in (outsider, clinician, auditor):
        with pytest.raises(NotAllowed):
            services.referral_submit(actor=actor, referral=ready, meeting=meeting)


def test_a_submitted_referral_can_no_longer_be_changed(submitted, social_worker, hampshire):
    with pytest.raises(InvalidTransition):
        services.referral_update_section(
            actor=social_worker,
            referral=submitted,
            section="needs",
            fields={"assessed_needs": "Late change."},
        )
    with pytest.raises(InvalidTransition):
        _option(submitted, social_worker, [(hampshire, "percentage", Decimal("100"))])
    with pytest.raises(InvalidTransition):
        services.evidence_remove(actor=social_worker, evidence=submitted.evidence.get())
    with pytest.raises(InvalidTransition):
        services.referral_submit(actor=social_worker, referral=submitted, meeting=submitted.meeting)


# --- The chair: late papers and moving ---------------------------------------------------------


@pytest.mark.parametrize("persona", ["social_worker", "service_manager", "panel_member", "leicester_chair"])
def test_only_the_panels_chair_accepts_a_late_paper(request, persona, late):
    with pytest.raises(NotAllowed):
        services.referral_accept_late(actor=request.getfixturevalue(persona), referral=late)
    late.refresh_from_db()
    assert late.late_accepted_by is None


def test_a_late_paper_is_accepted_once(late, panel_chair):
    referral = services.referral_accept_late(actor=panel_chair, referral=late)
    assert referral.late_accepted_by == panel_chair
    assert referral.status == Status.SUBMITTED
    with pytest.raises(InvalidTransition):
        services.referral_accept_late(actor=panel_chair, referral=late)
    assert AuditEvent.objects.filter(action="referral.late_accepted", object_id=str(late.pk)).count() == 1


def test_a_paper_on_time_needs_no_acceptance(submitted, panel_chair):
    with pytest.raises(InvalidTransition):
        services.referral_accept_late(actor=panel_chair, referral=submitted)


def test_the_chair_moves_a_late_paper_to_the_next_meeting(late, panel_chair, later_meeting, social_worker):
    services.referral_accept_late(actor=panel_chair, referral=late)
    first_meeting = late.meeting_id
    referral = services.referral_move_to_meeting(actor=panel_chair, referral=late, meeting=later_meeting)
    assert referral.meeting == later_meeting
    assert referral.is_late_paper is False  # 14 May's papers are due 5 May
    assert referral.late_accepted_by is None
    assert referral.status == Status.SUBMITTED
    event = AuditEvent.objects.get(action="referral.moved")
    assert event.changes == {"meeting": [first_meeting, later_meeting.pk]}
    assert Notification.objects.filter(user=social_worker, subject__contains="moved to").exists()


def test_moving_to_a_meeting_whose_deadline_has_passed_keeps_it_late(
    submitted, panel_chair, panel, monday_2_march_2026
):
    monday_2_march_2026.move_to(at(D(2026, 3, 30)), tick=False)
    soon = MeetingFactory(panel=panel, date=D(2026, 4, 2))
    referral = services.referral_move_to_meeting(actor=panel_chair, referral=submitted, meeting=soon)
    assert referral.is_late_paper is True


@pytest.mark.parametrize("persona", ["social_worker", "service_manager", "panel_member", "leicester_chair"])
def test_only_the_panels_chair_moves_a_referral(request, persona, submitted, later_meeting, meeting):
    with pytest.raises(NotAllowed):
        services.referral_move_to_meeting(
            actor=request.getfixturevalue(persona), referral=submitted, meeting=later_meeting
        )
    submitted.refresh_from_db()
    assert submitted.meeting == meeting


def test_moving_to_another_panels_or_a_cancelled_meeting_is_refused(
    submitted, panel_chair, other_panel, panel
):
    for target in (
        MeetingFactory(panel=other_panel, date=D(2026, 5, 14)),
        MeetingFactory(panel=panel, date=D(2026, 5, 14), status=MeetingStatus.CANCELLED),
    ):
        with pytest.raises(ValidationError):
            services.referral_move_to_meeting(actor=panel_chair, referral=submitted, meeting=target)


def test_moving_to_a_past_meeting_is_refused(submitted, panel_chair, panel):
    past = MeetingFactory(panel=panel, date=D(2026, 2, 26))
    with pytest.raises(ValidationError):
        services.referral_move_to_meeting(actor=panel_chair, referral=submitted, meeting=past)


def test_only_a_submitted_referral_is_moved(ready, panel_chair, later_meeting):
    with pytest.raises(InvalidTransition):
        services.referral_move_to_meeting(actor=panel_chair, referral=ready, meeting=later_meeting)


# --- Withdrawing and closing -------------------------------------------------------------------


def test_withdrawing_needs_a_reason(draft, social_worker):
    for reason in ("", "  "):
        with pytest.raises(ValidationError) as excinfo:
            services.referral_withdraw(actor=social_worker, referral=draft, reason=reason)
        assert "reason" in excinfo.value.message_dict
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


@pytest.mark.parametrize("state", ["draft", "awaiting_tm", "awaiting_sm", "ready", "submitted", "late"])
def test_withdrawing_from_any_open_state(request, state, social_worker):
    referral = request.getfixturevalue(state)
    before = referral.status
    referral = services.referral_withdraw(
        actor=social_worker, referral=referral, reason="  Family moved away. "
    )
    assert referral.status == Status.WITHDRAWN
    last = StatusChange.objects.filter(referral=referral).last()
    assert (last.old_status, last.new_status, last.reason, last.actor) == (
        before,
        Status.WITHDRAWN,
        "Family moved away.",
        social_worker,
    )
    assert AuditEvent.objects.filter(action="referral.withdrawn", object_id=str(referral.pk)).exists()
    assert_history_is_a_chain(referral)


def test_a_withdrawn_referral_stays_withdrawn(draft, social_worker, team_manager, hampshire):
    referral = services.referral_withdraw(actor=social_worker, referral=draft, reason="No longer needed.")
    with pytest.raises(InvalidTransition):
        services.referral_withdraw(actor=social_worker, referral=referral, reason="Again.")
    with pytest.raises(InvalidTransition):
        services.referral_update_section(
            actor=social_worker, referral=referral, section="needs", fields={"assessed_needs": "x"}
        )
    with pytest.raises(InvalidTransition):
        _option(referral, social_worker, [(hampshire, "percentage", Decimal("100"))])
    with pytest.raises(InvalidTransition):
        services.referral_send_for_sign_off(actor=social_worker, referral=referral)
    with pytest.raises(InvalidTransition):
        services.referral_close(actor=social_worker, referral=referral, reason="no_longer_needed")
    referral.refresh_from_db()
    assert referral.status == Status.WITHDRAWN


def test_a_decided_or_closed_referral_cannot_be_withdrawn(submitted, social_worker, panel_chair):
    referral = force_decided(submitted, panel_chair)
    with pytest.raises(InvalidTransition):
        services.referral_withdraw(actor=social_worker, referral=referral, reason="Changed our minds.")
    referral = services.referral_close(actor=social_worker, referral=referral, reason="provision_accessed")
    with pytest.raises(InvalidTransition):
        services.referral_withdraw(actor=social_worker, referral=referral, reason="Changed our minds.")


def test_outsiders_cannot_withdraw(draft, outsider, clinician, auditor):
    for actor in (outsider, clinician, auditor):
        with pytest.raises(NotAllowed):
            services.referral_withdraw(actor=actor, referral=draft, reason="Not mine.")


@pytest.mark.parametrize(
    ("reason", "label"),
    [
        ("provision_accessed", "The child has accessed suitable provision"),
        ("no_longer_needed", "The child no longer needs a response from the panel"),
    ],
)
def test_closing_a_decided_referral(submitted, social_worker, panel_chair, reason, label):
    """seeds 002, Joint Funding Panel 3.12."""
    referral = force_decided(submitted, panel_chair)
    referral = services.referral_close(actor=social_worker, referral=referral, reason=reason)
    assert referral.status == Status.CLOSED
    assert referral.closed_reason == reason
    last = StatusChange.objects.filter(referral=referral).last()
    assert (last.old_status, last.new_status, last.reason) == (Status.DECIDED, Status.CLOSED, label)
    assert AuditEvent.objects.filter(action="referral.closed", object_id=str(referral.pk)).exists()
    with pytest.raises(InvalidTransition):
        services.referral_close(actor=social_worker, referral=referral, reason=reason)


def test_the_chair_may_close_a_decided_referral(submitted, panel_chair):
    referral = force_decided(submitted, panel_chair)
    referral = services.referral_close(actor=panel_chair, referral=referral, reason="no_longer_needed")
    assert referral.status == Status.CLOSED


@pytest.mark.parametrize("reason", ["", "bored", "PROVISION_ACCESSED", "withdrawn"])
def test_closing_needs_one_of_the_two_reasons(submitted, social_worker, panel_chair, reason):
    referral = force_decided(submitted, panel_chair)
    with pytest.raises(ValidationError):
        services.referral_close(actor=social_worker, referral=referral, reason=reason)
    referral.refresh_from_db()
    assert referral.status == Status.DECIDED


@pytest.mark.parametrize("state", ["draft", "awaiting_tm", "ready", "submitted"])
def test_only_a_decided_referral_is_closed(request, state, social_worker):
    referral = request.getfixturevalue(state)
    with pytest.raises(InvalidTransition):
        services.referral_close(actor=social_worker, referral=referral, reason="provision_accessed")
    referral.refresh_from_db()
    assert referral.status != Status.CLOSED


def test_outsiders_cannot_close(submitted, panel_chair, outsider, auditor, clinician):
    referral = force_decided(submitted, panel_chair)
    for actor in (outsider, auditor, clinician):
        with pytest.raises(NotAllowed):
            services.referral_close(actor=actor, referral=referral, reason="provision_accessed")


def test_another_partnerships_chair_cannot_close(submitted, panel_chair, leicester_chair):
    referral = force_decided(submitted, panel_chair)
    with pytest.raises(NotAllowed):
        services.referral_close(actor=leicester_chair, referral=referral, reason="provision_accessed")


# --- The history is append-only ----------------------------------------------------------------


def test_status_history_cannot_be_updated_or_deleted(ready):
    row = StatusChange.objects.filter(referral=ready).first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        StatusChange.objects.filter(pk=row.pk).update(reason="Rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        row.reason = "Rewritten"
        row.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        StatusChange.objects.filter(pk=row.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM referrals_statuschange WHERE referral_id = %s", [ready.pk])
    row.refresh_from_db()
    assert row.reason == "Started"
    assert StatusChange.objects.filter(referral=ready).count() == 4


# --- Every write is audited --------------------------------------------------------------------


def test_every_step_of_the_journey_is_audited(late, panel_chair, later_meeting, social_worker, team_manager):
    services.referral_accept_late(actor=panel_chair, referral=late)
    services.referral_move_to_meeting(actor=panel_chair, referral=late, meeting=later_meeting)
    force_decided(late, panel_chair)
    services.referral_close(actor=social_worker, referral=late, reason="provision_accessed")
    expected = [
        "referral.created",
        *(
            f"referral.section.{key}"
            for key in (
                "referrer",
                "needs",
                "support",
                "permanency",
                "education",
                "elsewhere",
                "child_voice",
                "parents_voice",
                "reason",
            )
        ),
        "referral.awaiting_team_manager",
        "referral.awaiting_service_manager",
        "referral.ready_to_submit",
        "referral.submitted",
        "referral.late_accepted",
        "referral.moved",
        "referral.closed",
    ]
    assert actions(late) == expected
    events = AuditEvent.objects.filter(object_type=Referral._meta.label, object_id=str(late.pk))
    assert all(e.child_id == late.child_id and e.actor_id for e in events)
    assert events.get(action="referral.awaiting_service_manager").actor == team_manager
    assert events.get(action="referral.submitted").changes == {
        "status": [Status.READY_TO_SUBMIT, Status.SUBMITTED],
        "reason": [None, "Late paper: after the papers deadline"],
    }
    assert AuditEvent.objects.filter(action="referral.option.saved").count() == 1
    assert AuditEvent.objects.filter(action="referral.evidence.added").count() == 1


def test_a_return_is_audited(awaiting_tm, team_manager):
    services.referral_return(actor=team_manager, referral=awaiting_tm, comments="More detail please.")
    event = AuditEvent.objects.get(action="referral.returned")
    assert event.actor == team_manager
    assert event.changes == {
        "status": [Status.AWAITING_TEAM_MANAGER, Status.RETURNED],
        "reason": [None, "More detail please."],
    }


def test_withdrawing_signatures_by_a_change_is_audited(awaiting_sm, social_worker):
    services.referral_update_section(
        actor=social_worker, referral=awaiting_sm, section="needs", fields={"assessed_needs": "Changed."}
    )
    assert actions(awaiting_sm)[-2:] == ["referral.section.needs", "referral.draft"]


# --- E-mails -----------------------------------------------------------------------------------


def _emails_to(user) -> list:
    return [m for m in mail.outbox if user.email in m.to]


def _assert_discreet(message, referral, settings) -> None:
    text = " ".join(
        [
            message.subject,
            message.body,
            *(str(content) for content, _type in getattr(message, "alternatives", [])),
        ]
    )
    child = referral.child
    assert "AH" in message.subject
    for secret in (child.given_name, child.family_name, child.nhs_number, child.case_number):
        assert secret not in text
    assert f"{settings.SITE_URL.rstrip('/')}{reverse('referrals:detail', args=[referral.pk])}" in message.body


def test_team_managers_are_emailed_after_the_commit(
    complete, social_worker, team_manager, second_team_manager, django_capture_on_commit_callbacks, settings
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        referral = services.referral_send_for_sign_off(actor=social_worker, referral=complete)
        assert mail.outbox == []  # nothing is sent inside the transaction
    assert len(callbacks) == 1  # both notices queued together after the commit
    [message] = _emails_to(team_manager)
    _assert_discreet(message, referral, settings)
    assert len(_emails_to(second_team_manager)) == 1
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2


def test_a_returned_referral_is_emailed_to_the_referrer(
    awaiting_tm, team_manager, social_worker, django_capture_on_commit_callbacks, settings
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        referral = services.referral_return(actor=team_manager, referral=awaiting_tm, comments="Say more.")
    [message] = _emails_to(social_worker)
    _assert_discreet(message, referral, settings)
    assert "returned" in message.subject


def test_a_late_paper_is_emailed_to_the_chair(
    ready,
    social_worker,
    meeting,
    panel_chair,
    monday_2_march_2026,
    django_capture_on_commit_callbacks,
    settings,
):
    monday_2_march_2026.move_to(at(D(2026, 3, 30)), tick=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        referral = services.referral_submit(actor=social_worker, referral=ready, meeting=meeting)
    [message] = _emails_to(panel_chair)
    _assert_discreet(message, referral, settings)


def test_a_failed_write_sends_nothing(awaiting_tm, social_worker, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(NotAllowed):
        services.referral_sign(actor=social_worker, referral=awaiting_tm)
    assert callbacks == [] and mail.outbox == []


def test_a_notice_is_emailed_once(team_manager, awaiting_tm):
    mail.outbox.clear()
    notice = Notification.objects.get(user=team_manager)
    job = BackgroundJob.objects.get(kind="notice.email", object_id=notice.pk)
    assert run_job(job.pk) == "done"
    assert run_job(job.pk) == "skipped"  # a redelivered task
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<notice.{notice.pk}@")


def test_placing_on_the_agenda_owes_the_paper_as_a_job_rendered_once(
    submitted, panel_chair, meeting, django_capture_on_commit_callbacks
):
    from referrals.models import ReferralPaper

    with django_capture_on_commit_callbacks(execute=False):  # no worker has picked it up yet
        services.referral_place_on_agenda(actor=panel_chair, referral=submitted, meeting=meeting)
    job = BackgroundJob.objects.get(kind="referral.paper", object_id=submitted.pk)
    assert job.partnership == submitted.child.owning_agency.partnership == "Hampshire and Isle of Wight"
    assert job.summary == f"Paper for referral {submitted.pk} on the agenda of Hampshire IRAP, 9 April 2026"
    assert not ReferralPaper.objects.filter(referral=submitted).exists()
    assert run_job(job.pk) == "done"
    assert run_job(job.pk) == "skipped"  # a redelivered message
    paper = ReferralPaper.objects.get(referral=submitted)
    BackgroundJob.objects.filter(pk=job.pk).update(status="waiting")  # as if owed again
    assert run_job(job.pk) == "done"  # finds the paper for this content stored: renders nothing
    assert list(ReferralPaper.objects.filter(referral=submitted)) == [paper]


# --- Concurrency -------------------------------------------------------------------------------


def test_two_managers_signing_the_same_stale_page(awaiting_tm, team_manager, second_team_manager):
    page = Referral.objects.get(pk=awaiting_tm.pk)  # both managers opened the same page
    also_page = Referral.objects.get(pk=awaiting_tm.pk)
    services.referral_sign(actor=team_manager, referral=page)
    assert also_page.status == Status.AWAITING_TEAM_MANAGER  # stale
    with pytest.raises(InvalidTransition):
        services.referral_sign(actor=second_team_manager, referral=also_page)
    assert SignOff.objects.filter(referral=awaiting_tm).count() == 1
    assert (
        StatusChange.objects.filter(referral=awaiting_tm, new_status=Status.AWAITING_SERVICE_MANAGER).count()
        == 1
    )


def test_the_same_stale_instance_signed_twice(awaiting_tm, team_manager):
    stale = Referral.objects.get(pk=awaiting_tm.pk)
    services.referral_sign(actor=team_manager, referral=Referral.objects.get(pk=stale.pk))
    with pytest.raises(InvalidTransition):
        services.referral_sign(actor=team_manager, referral=stale)
    assert SignOff.objects.filter(referral=awaiting_tm).count() == 1


def test_withdrawing_and_signing_the_same_stale_page(awaiting_tm, team_manager, social_worker):
    stale = Referral.objects.get(pk=awaiting_tm.pk)
    services.referral_withdraw(
        actor=social_worker, referral=Referral.objects.get(pk=stale.pk), reason="Moved."
    )
    with pytest.raises(InvalidTransition):
        services.referral_sign(actor=team_manager, referral=stale)
    assert not SignOff.objects.filter(referral=awaiting_tm).exists()


def test_a_stale_instance_does_not_corrupt_the_history(awaiting_tm, team_manager, social_worker):
    stale = Referral.objects.get(pk=awaiting_tm.pk)  # the referrer's page, still "awaiting team manager"
    services.referral_sign(actor=team_manager, referral=Referral.objects.get(pk=stale.pk))
    services.referral_withdraw(actor=social_worker, referral=stale, reason="Family moved away.")
    last = StatusChange.objects.filter(referral=awaiting_tm).last()
    assert last.old_status == Status.AWAITING_SERVICE_MANAGER
    assert_history_is_a_chain(awaiting_tm)


def _sign_in_threads(referral_pk: int, signers) -> list[object]:
    barrier = threading.Barrier(len(signers))
    results: list[object] = [None] * len(signers)

    def sign(index: int, actor) -> None:
        try:
            referral = Referral.objects.get(pk=referral_pk)  # each thread reads before either writes
            barrier.wait(timeout=10)
            results[index] = services.referral_sign(actor=actor, referral=referral)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(i, actor)) for i, actor in enumerate(signers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_managers_signing_at_the_same_moment_on_separate_connections(
    child, social_worker, team_manager, second_team_manager, hiow_icb, hampshire
):
    panel = PanelFactory(name="Hampshire IRAP (threads)", host_agency=hampshire)
    referral = services.referral_create(
        actor=social_worker, child=child, panel=panel, pathway="joint_package"
    )
    complete_referral(referral, social_worker, hiow_icb, hampshire)
    referral = services.referral_send_for_sign_off(actor=social_worker, referral=referral)

    results = _sign_in_threads(referral.pk, [team_manager, second_team_manager])

    winners = [r for r in results if isinstance(r, Referral)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert len(losers) == 1 and isinstance(losers[0], InvalidTransition), results
    assert SignOff.objects.filter(referral=referral).count() == 1
    referral.refresh_from_db()
    assert referral.status == Status.AWAITING_SERVICE_MANAGER
    assert history(referral)[-1] == (Status.AWAITING_TEAM_MANAGER, Status.AWAITING_SERVICE_MANAGER)
    assert StatusChange.objects.filter(referral=referral).count() == 3
