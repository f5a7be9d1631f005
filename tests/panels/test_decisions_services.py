"""Decisions: record, sign, correct; the referral's move; the absent-agency rule (seeds 002).

Amelia's submitted referral on the IRAP meeting's agenda, with the panel and the people, is built
once for the module (tests/worlds.py): each test starts from it in its own savepoint."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from casework.access import NotAllowed
from casework.models import AuditEvent, Notification
from casework.services import InvalidTransition
from panels import services
from panels.models import AgencyRecommendation, Decision, DecisionStatus, Membership
from referrals.models import Option
from tests.factories import MeetingFactory, UserFactory, agenda_item_for, attendance_for
from tests.panels.conftest import MEETING_DAY, at
from tests.worlds import ON_IRAP_AGENDA, amelia_on_irap_agenda, stand_in_on_the_panels_clock

D = dt.date
REVIEW = D(2026, 10, 9)


stand_in_on_the_panels_clock(globals(), amelia_on_irap_agenda, ON_IRAP_AGENDA)


@pytest.fixture
def quorate(item, clock, panel_chair, council_member, icb_member, second_icb_member):
    """The meeting day, everyone present."""
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member, second_icb_member)
    return item


def _agree(actor, item, hampshire, **fields):
    shares = fields.pop("shares", None)
    values = {
        "outcome": "agreed_as_recommended",
        "rationale": "Residential short breaks meet her needs; both agencies share the cost.",
        "lead_agency": hampshire,
        "review_date": REVIEW,
        **fields,
    }
    return services.decision_record(actor=actor, agenda_item=item, fields=values, shares=shares)


def test_record_prefills_from_the_recommended_option(quorate, panel_admin, hampshire, hiow_icb):
    decision = _agree(panel_admin, quorate, hampshire)
    assert decision.status == DecisionStatus.DRAFT
    assert decision.version == 1 and decision.was_quorate
    assert decision.option.is_recommended
    assert (decision.cost, decision.cost_period) == (Decimal("1234.56"), "weekly")
    shares = {s.agency: (s.basis, s.value, s.amount) for s in decision.shares.all()}
    assert shares == {
        hampshire: ("percentage", Decimal("50.00"), Decimal("617.28")),
        hiow_icb: ("percentage", Decimal("50.00"), Decimal("617.28")),
    }
    assert AuditEvent.objects.filter(action="decision.recorded", object_id=str(decision.pk)).exists()


def test_percentages_give_amounts_that_add_up_to_the_penny(quorate, panel_admin, hampshire, hiow_icb):
    decision = _agree(
        panel_admin,
        quorate,
        hampshire,
        cost=Decimal("1000.00"),
        shares=[(hampshire, "percentage", Decimal("33.33")), (hiow_icb, "percentage", Decimal("66.67"))],
    )
    amounts = [s.amount for s in decision.shares.order_by("id")]
    assert amounts == [Decimal("333.30"), Decimal("666.70")]
    assert sum(amounts) == decision.cost


def test_a_draft_can_be_edited_then_signed_and_locked(quorate, panel_admin, panel_chair, hampshire, hiow_icb):
    decision = _agree(panel_admin, quorate, hampshire)
    decision = services.decision_record(
        actor=panel_admin,
        agenda_item=quorate,
        decision=decision,
        fields={
            "outcome": "agreed_with_conditions",
            "option": decision.option,
            "rationale": "Agreed.",
            "conditions": "Review the provider's report at 3 months.",
            "lead_agency": hiow_icb,
            "review_date": REVIEW,
        },
        shares=[(hampshire, "amount", Decimal("234.56")), (hiow_icb, "amount", Decimal("1000.00"))],
    )
    assert decision.outcome == "agreed_with_conditions"
    assert AuditEvent.objects.filter(action="decision.edited").count() == 1

    with pytest.raises(NotAllowed):
        services.decision_sign(actor=panel_admin, decision=decision)
    signed = services.decision_sign(actor=panel_chair, decision=decision)
    assert signed.status == DecisionStatus.SIGNED and signed.signed_by == panel_chair
    quorate.referral.refresh_from_db()
    assert quorate.referral.status == "decided"
    assert not AgencyRecommendation.objects.exists()  # both agencies were present

    with pytest.raises(InvalidTransition):
        services.decision_record(
            actor=panel_chair,
            agenda_item=quorate,
            decision=signed,
            fields={"outcome": "declined", "rationale": "x"},
        )
    with pytest.raises(InvalidTransition):
        services.decision_sign(actor=panel_chair, decision=signed)
    with pytest.raises(InvalidTransition):  # a second decision on the same item
        _agree(panel_admin, quorate, hampshire)


def test_a_correction_is_a_new_version_to_sign_again(quorate, panel_admin, panel_chair, hampshire):
    first = services.decision_sign(actor=panel_chair, decision=_agree(panel_admin, quorate, hampshire))
    with pytest.raises(ValidationError) as no_reason:
        services.decision_correct(actor=panel_admin, decision=first, reason=" ", fields={})
    assert "correction_reason" in no_reason.value.message_dict

    second = services.decision_correct(
        actor=panel_admin,
        decision=first,
        reason="The panel deferred it; the draft minutes were wrong",
        fields={"outcome": "deferred", "rationale": "Needs the CAMHS report."},
    )
    first.refresh_from_db()
    assert first.status == DecisionStatus.SUPERSEDED
    assert (second.version, second.supersedes, second.status) == (2, first, DecisionStatus.DRAFT)
    assert second.cost is None and not second.shares.exists()
    # The signed version was not touched.
    assert first.outcome == "agreed_as_recommended" and first.shares.count() == 2
    with pytest.raises(InvalidTransition):
        services.decision_correct(actor=panel_admin, decision=first, reason="again", fields={})
    with pytest.raises(InvalidTransition):  # a draft is edited, not corrected
        services.decision_correct(actor=panel_admin, decision=second, reason="again", fields={})

    services.decision_sign(actor=panel_chair, decision=second)
    quorate.referral.refresh_from_db()
    assert quorate.referral.status == "deferred"
    assert list(Decision.objects.order_by("version").values_list("status", flat=True)) == [
        "superseded",
        "signed",
    ]


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ("agreed_as_recommended", "decided"),
        ("agreed_preferred_option", "decided"),
        ("agreed_with_conditions", "decided"),
        ("declined", "decided"),
        ("escalated", "decided"),
        ("deferred", "deferred"),
        ("returned", "returned"),
    ],
)
def test_signing_moves_the_referral(quorate, panel_admin, panel_chair, hampshire, outcome, status):
    option = Option.objects.get(referral=quorate.referral)
    decision = _agree(panel_admin, quorate, hampshire, outcome=outcome, option=option, conditions="If X.")
    services.decision_sign(actor=panel_chair, decision=decision)
    quorate.referral.refresh_from_db()
    assert quorate.referral.status == status


# --- Refusals ----------------------------------------------------------------------------------


def test_an_agency_below_its_quorum_gets_a_recommendation_not_a_refusal(
    item, clock, panel_admin, panel_chair, council_member, icb_member, hampshire, hiow_icb
):
    """seeds 002 (Leicester JSP: "Quorate will be a minimum of two members from each organisation";
    Joint Funding Panel: "Decisions are not to be made if they impact upon one of the agencies who
    may not be present"): one ICB member of two is below the ICB's quorum, so the ICB's part is a
    recommendation to it; the chair still holds the meeting and the council's part stands."""
    clock.move_to(at(MEETING_DAY, 14), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member)
    decision = _agree(panel_admin, item, hampshire)
    assert decision.was_quorate
    services.decision_sign(actor=panel_chair, decision=decision)
    recommendation = AgencyRecommendation.objects.get()
    assert recommendation.agency == hiow_icb
    assert recommendation.why == "1 of its 2 members needed for a quorum were present"


def test_quorum_lost_before_signing_makes_a_recommendation(
    quorate, panel_admin, panel_chair, hampshire, hiow_icb, icb_member
):
    decision = _agree(panel_admin, quorate, hampshire)
    attendance_for(quorate.meeting, icb_member, status="absent")
    services.decision_sign(actor=panel_chair, decision=decision)
    assert list(AgencyRecommendation.objects.values_list("agency", flat=True)) == [hiow_icb.pk]


def test_no_decision_before_the_meeting_day(
    item, panel_admin, hampshire, panel_chair, council_member, icb_member, second_icb_member
):
    attendance_for(item.meeting, panel_chair, council_member, icb_member, second_icb_member)
    with pytest.raises(ValidationError) as early:
        _agree(panel_admin, item, hampshire)
    assert "day of the meeting" in early.value.messages[0]


def test_no_decision_for_a_cancelled_meeting(quorate, panel_admin, hampshire):
    quorate.meeting.status = "cancelled"
    quorate.meeting.save()
    with pytest.raises(ValidationError):
        _agree(panel_admin, quorate, hampshire)


def test_no_decision_on_a_withdrawn_item(quorate, panel_admin, hampshire):
    quorate.withdrawn_at = quorate.added_at
    quorate.save()
    with pytest.raises(ValidationError) as withdrawn:
        _agree(panel_admin, quorate, hampshire)
    assert "withdrawn" in withdrawn.value.message_dict["agenda_item"][0]


def test_no_decision_on_a_referral_not_on_this_agenda(
    make_submitted,
    another_child,
    irap_meeting,
    clock,
    panel_admin,
    hampshire,
    panel_chair,
    council_member,
    icb_member,
    second_icb_member,
):
    from panels.models import AgendaItem

    # Ben's, not Amelia's: the module's world has put hers on the agenda.
    stray = AgendaItem.objects.create(
        meeting=irap_meeting,
        kind="referral",
        referral=make_submitted(child=another_child),
        title="Not placed",
        added_by=panel_admin,
    )
    clock.move_to(at(MEETING_DAY, 14), tick=False)
    attendance_for(irap_meeting, panel_chair, council_member, icb_member, second_icb_member)
    with pytest.raises(ValidationError) as refused:
        _agree(panel_admin, stray, hampshire)
    assert "agenda_item" in refused.value.message_dict


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ([("hampshire", "percentage", "60"), ("icb", "percentage", "30")], "add up to 90%, not 100%"),
        ([("hampshire", "amount", "600.00"), ("icb", "amount", "600.00")], "not the agreed cost"),
        ([("hampshire", "amount", "617.28"), ("icb", "percentage", "50")], "not both"),
        ([("hampshire", "percentage", "50"), ("hampshire", "percentage", "50")], "each agency once"),
        ([("hampshire", "percentage", "-10"), ("icb", "percentage", "110")], "less than zero"),
        ([], "Say which agencies"),
    ],
)
def test_a_split_must_add_up(quorate, panel_admin, hampshire, hiow_icb, shares, message):
    agencies = {"hampshire": hampshire, "icb": hiow_icb}
    with pytest.raises(ValidationError) as bad:
        _agree(panel_admin, quorate, hampshire, shares=[(agencies[a], b, Decimal(v)) for a, b, v in shares])
    assert message in bad.value.message_dict["shares"][0]


def test_field_rules(quorate, panel_admin, hampshire, leicester, make_submitted):
    with pytest.raises(ValidationError) as bad:
        services.decision_record(
            actor=panel_admin,
            agenda_item=quorate,
            fields={"outcome": "agreed_with_conditions", "rationale": "", "review_date": MEETING_DAY},
        )
    assert {"rationale", "conditions", "option", "lead_agency", "review_date"} <= set(bad.value.message_dict)

    with pytest.raises(ValidationError) as bad_outcome:
        services.decision_record(
            actor=panel_admin, agenda_item=quorate, fields={"outcome": "maybe", "rationale": "x"}
        )
    assert "outcome" in bad_outcome.value.message_dict

    foreign_option = Option(pk=999999, cost=Decimal("1"), period="weekly")
    with pytest.raises(ValidationError) as wrong_option:
        _agree(panel_admin, quorate, hampshire, outcome="agreed_preferred_option", option=foreign_option)
    assert wrong_option.value.message_dict["option"] == ["Choose one of this referral's options"]

    with pytest.raises(ValidationError) as far_agency:
        _agree(panel_admin, quorate, leicester)
    assert "lead_agency" in far_agency.value.message_dict

    with pytest.raises(ValidationError) as bad_cost:
        _agree(panel_admin, quorate, hampshire, cost="12.345")
    assert "cost" in bad_cost.value.message_dict


def test_as_recommended_means_the_recommended_option(
    quorate, panel_admin, hampshire, hiow_icb, social_worker
):
    other = Option.objects.create(
        referral=quorate.referral, position=2, description="Home care", cost=Decimal("500"), period="weekly"
    )
    with pytest.raises(ValidationError) as wrong:
        _agree(panel_admin, quorate, hampshire, option=other)
    assert "recommended option" in wrong.value.message_dict["option"][0]
    other.shares.create(agency=hampshire, basis="percentage", value=Decimal("100"))
    preferred = _agree(panel_admin, quorate, hampshire, outcome="agreed_preferred_option", option=other)
    assert preferred.cost == Decimal("500.00")
    assert [s.amount for s in preferred.shares.all()] == [Decimal("500.00")]


def test_only_runners_record(quorate, council_member, outsider, hampshire):
    for person in (council_member, outsider):
        with pytest.raises(NotAllowed):
            _agree(person, quorate, hampshire)


# --- The absent-agency rule ----------------------------------------------------------------------


@pytest.fixture
def easter_item(make_submitted, irap, panel_admin):
    """A referral on the agenda of Thursday 2 April 2026, the day before Good Friday."""
    meeting = MeetingFactory(panel=irap, date=D(2026, 4, 2))
    return agenda_item_for(referral=make_submitted(meeting=meeting), meeting=meeting, actor=panel_admin)


def test_a_share_for_an_absent_agency_is_a_recommendation_due_after_easter(
    easter_item,
    clock,
    sen,
    sen_manager,
    hampshire,
    hiow_icb,
    panel_admin,
    panel_chair,
    council_member,
    icb_member,
    second_icb_member,
    social_worker,
):
    clock.move_to(at(D(2026, 4, 2), 14), tick=False)
    attendance_for(easter_item.meeting, panel_chair, council_member, icb_member, second_icb_member)
    sen_member = UserFactory(agency=sen, roles=["social_worker"], full_name="Sol Member")
    Membership.objects.create(
        panel=easter_item.meeting.panel, person=sen_member, agency=sen, role="member", starts_on=D(2026, 1, 1)
    )
    decision = _agree(
        panel_admin,
        easter_item,
        hampshire,
        shares=[
            (hampshire, "percentage", Decimal("40")),
            (hiow_icb, "percentage", Decimal("40")),
            (sen, "percentage", Decimal("20")),
        ],
    )
    amounts = [s.amount for s in decision.shares.order_by("id")]
    # Largest remainder (docs/adr/0012-money.md): the odd penny to the first of the tied remainders.
    assert amounts == [Decimal("493.83"), Decimal("493.82"), Decimal("246.91")]
    assert sum(amounts) == decision.cost
    services.decision_sign(actor=panel_chair, decision=decision)

    recommendation = AgencyRecommendation.objects.get()
    # seeds 002: 3 working days; Good Friday 3 April and Easter Monday 6 April are not working days.
    assert (recommendation.agency, recommendation.due_on, recommendation.status) == (
        sen,
        D(2026, 4, 9),
        "awaiting",
    )
    notified = set(
        Notification.objects.filter(subject__contains="recommendation").values_list("user__email", flat=True)
    )
    assert notified == {sen_manager.email, sen_member.email}
    assert "Amelia" not in Notification.objects.filter(user=sen_manager).get().subject


def test_the_lead_role_for_an_absent_agency_is_a_recommendation(
    quorate, sen, panel_admin, panel_chair, hampshire
):
    decision = _agree(panel_admin, quorate, sen)
    services.decision_sign(actor=panel_chair, decision=decision)
    assert AgencyRecommendation.objects.get().agency == sen


def test_a_zero_share_is_no_recommendation(quorate, sen, panel_admin, panel_chair, hampshire, hiow_icb):
    decision = _agree(
        panel_admin,
        quorate,
        hampshire,
        shares=[
            (hampshire, "percentage", Decimal("50")),
            (hiow_icb, "percentage", Decimal("50")),
            (sen, "percentage", Decimal("0")),
        ],
    )
    services.decision_sign(actor=panel_chair, decision=decision)
    assert not AgencyRecommendation.objects.exists()


@pytest.fixture
def recommendation(quorate, sen, panel_admin, panel_chair):
    decision = _agree(panel_admin, quorate, sen)
    services.decision_sign(actor=panel_chair, decision=decision)
    return AgencyRecommendation.objects.get()


def test_the_absent_agency_accepts_or_declines(recommendation, sen, sen_manager, social_worker, panel_chair):
    with pytest.raises(NotAllowed):
        services.recommendation_respond(actor=social_worker, recommendation=recommendation, accept=True)
    clerk = UserFactory(agency=sen, roles=["social_worker"])
    with pytest.raises(NotAllowed):  # of that agency, but not a manager, finance approver or member
        services.recommendation_respond(actor=clerk, recommendation=recommendation, accept=True)
    with pytest.raises(ValidationError) as no_reason:
        services.recommendation_respond(actor=sen_manager, recommendation=recommendation, accept=False)
    assert "reason" in no_reason.value.message_dict
    answered = services.recommendation_respond(
        actor=sen_manager, recommendation=recommendation, accept=False, reason="No SEN budget this year"
    )
    assert (answered.status, answered.responded_by) == ("declined", sen_manager)
    assert Notification.objects.filter(user=panel_chair, subject__contains="declined").exists()
    with pytest.raises(InvalidTransition):
        services.recommendation_respond(actor=sen_manager, recommendation=recommendation, accept=True)


def test_administrators_chase(recommendation, panel_admin, sen_manager, council_member):
    before = Notification.objects.filter(user=sen_manager).count()
    with pytest.raises(NotAllowed):
        services.recommendation_chase(actor=council_member, recommendation=recommendation)
    chased = services.recommendation_chase(actor=panel_admin, recommendation=recommendation)
    assert chased.last_chased_at is not None
    assert Notification.objects.filter(user=sen_manager).count() == before + 1
    services.recommendation_respond(actor=sen_manager, recommendation=recommendation, accept=True)
    with pytest.raises(InvalidTransition):
        services.recommendation_chase(actor=panel_admin, recommendation=recommendation)


def test_no_answer_to_a_superseded_decision(recommendation, panel_admin, sen_manager):
    services.decision_correct(
        actor=panel_admin,
        decision=recommendation.decision,
        reason="Wrong lead",
        fields={"outcome": "deferred", "rationale": "x"},
    )
    with pytest.raises(InvalidTransition):
        services.recommendation_respond(actor=sen_manager, recommendation=recommendation, accept=True)


def test_a_save_over_someone_elses_later_save_of_the_draft_is_refused(
    quorate, panel_admin, panel_chair, hampshire
):
    """Two people editing the same draft: the second save, made from the version before the first
    one's save, is refused with an explanation instead of silently overwriting it."""
    decision = _agree(panel_admin, quorate, hampshire)
    opened = services.draft_fingerprint(decision)
    fields = {
        "outcome": "agreed_as_recommended",
        "option": decision.option,
        "rationale": "Agreed: the chair's wording.",
        "lead_agency": hampshire,
        "review_date": REVIEW,
    }
    services.decision_record(
        actor=panel_chair, agenda_item=quorate, decision=decision, fields=fields, seen_fingerprint=opened
    )
    with pytest.raises(InvalidTransition, match="Someone else saved this draft"):
        services.decision_record(
            actor=panel_admin,
            agenda_item=quorate,
            decision=decision,
            fields=fields | {"rationale": "Agreed: the administrator's wording."},
            seen_fingerprint=opened,
        )
    with pytest.raises(InvalidTransition):
        services.decision_record(
            actor=panel_admin,
            agenda_item=quorate,
            decision=decision,
            fields=fields,
            seen_fingerprint="garbage",
        )
    decision.refresh_from_db()
    assert decision.rationale == "Agreed: the chair's wording."
