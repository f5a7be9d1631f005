"""Issue 15, "a panel month people can trust": attendance cannot silently change after decisions
are signed. A change after signing is a correction, with a reason, that works out each signed
decision again (a new version, its reasons, the people concerned told).

The clauses (../shared/seeds/002, the Joint Funding Panel and Leicester JSP terms of reference):
- line 754: "Quorate will be a minimum of two members from each organisation."
- line 890: "Decisions are not to be made if they impact upon one of the agencies who may not be
  present. The recommendations made to an absent agency will require a response within 3 working
  days."

Hampshire IRAP (tests/panels/conftest.py): quorate with two members from each of the council and
the ICB. The meeting is Thursday 9 April 2026; an absent agency's answer is due Tuesday 14 April.
"""

# ruff: noqa: F811 - the panel and funding tests' fixtures are imported by name and asked for as arguments
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from casework.access import NotAllowed
from casework.models import AuditEvent, Notification
from casework.services import InvalidTransition
from funding import services as funding_services
from funding.models import FundingPackage
from panels import services as panel_services
from panels.models import AgencyRecommendation, Attendance, Decision
from tests.factories import agenda_item_for, attendance_for, signed_decision_for
from tests.funding.conftest import *  # noqa: F403  (the panel fixtures, finance approvers)
from tests.panels.conftest import MEETING_DAY, at, seat
from tests.panels.test_draft_races import race

D = dt.date
REVIEW = D(2026, 10, 9)
SUBJECT = "attendance corrected"


def _agree(actor, item, lead, **fields):
    shares = fields.pop("shares", None)
    values = {
        "outcome": "agreed_as_recommended",
        "rationale": "Residential short breaks meet her needs; both agencies share the cost.",
        "lead_agency": lead,
        "review_date": REVIEW,
        **fields,
    }
    return panel_services.decision_record(actor=actor, agenda_item=item, fields=values, shares=shares)


def _sign(item, panel_admin, panel_chair, lead, **fields):
    return panel_services.decision_sign(actor=panel_chair, decision=_agree(panel_admin, item, lead, **fields))


def _correct(actor, meeting, person, present, reason="Irene left before the items were discussed", **kw):
    return panel_services.attendance_correct(
        actor=actor,
        meeting=meeting,
        membership=seat(meeting.panel, person),
        present=present,
        reason=reason,
        **kw,
    )


def _another_item(clock, make_submitted, meeting, panel_admin, **kw):
    """Another referral on the meeting's agenda, submitted before its papers deadline."""
    clock.move_to(at(D(2026, 3, 2)), tick=False)
    item = agenda_item_for(referral=make_submitted(meeting=meeting, **kw), meeting=meeting, actor=panel_admin)
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    return item


@pytest.fixture
def one_member_quorum(item, irap, clock, panel_chair, council_member, icb_member):
    """One member from each organisation makes a quorum here; the ICB's Irene Grant is recorded
    present, so the decision signed impacts nobody absent."""
    irap.quorum_members_per_agency = 1
    irap.save()
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member)
    return item


@pytest.fixture
def decided(one_member_quorum, panel_admin, panel_chair, hampshire):
    """Version 1, signed: every part a decision, and the package it made."""
    signed = _sign(one_member_quorum, panel_admin, panel_chair, hampshire)
    assert not AgencyRecommendation.objects.exists()
    return signed


# --- Line 890: an agency made absent -----------------------------------------------------------------


def test_making_an_agency_absent_turns_its_part_into_a_recommendation_in_a_new_version(
    decided, panel_admin, panel_chair, icb_member, hiow_icb, hampshire
):
    """seeds 002 line 890: "Decisions are not to be made if they impact upon one of the agencies who
    may not be present". Irene was in fact not there: the ICB had nobody present, so its part of
    the signed decision becomes a recommendation to it, due 3 working days after the meeting date,
    in a new signed version with the reason; the council's part stands. The correction is audited
    old → new with its reason."""
    meeting = decided.agenda_item.meeting
    result = _correct(panel_admin, meeting, icb_member, present=False)

    assert [r.superseded.pk for r in result.reevaluated] == [decided.pk]
    new = Decision.objects.get(pk=result.reevaluated[0].decision.pk)
    decided.refresh_from_db()
    assert decided.status == "superseded"
    assert (new.status, new.version, new.supersedes_id) == ("signed", 2, decided.pk)
    assert new.correction_reason == "attendance corrected: Irene left before the items were discussed"
    assert new.signed_by == panel_chair and new.recorded_by == panel_admin
    recommendation = AgencyRecommendation.objects.get(decision=new)
    assert (recommendation.agency, recommendation.why, recommendation.due_on) == (
        hiow_icb,
        "no member of the agency was present",
        D(2026, 4, 14),
    )
    assert not AgencyRecommendation.objects.filter(agency=hampshire).exists()
    row = Attendance.objects.get(meeting=meeting, membership=seat(meeting.panel, icb_member))
    assert row.status == "absent"
    event = AuditEvent.objects.get(action="meeting.attendance_corrected")
    assert event.changes["status"] == ["present", "absent"]
    assert event.changes["reason"] == [None, "Irene left before the items were discussed"]
    assert AuditEvent.objects.filter(action="decision.reevaluated", object_id=str(new.pk)).exists()


def test_a_new_recommendation_holds_the_agencys_funding_share_until_it_accepts(
    decided, panel_admin, icb_member, icb_finance, council_finance, hiow_icb
):
    """seeds 002 line 890: funding waits for the absent agency's answer. Every share was approved
    and the package agreed; after the correction the package is no longer agreed, and the ICB's
    acceptance of the recommendation lets it be agreed again."""
    package = FundingPackage.objects.get(decision=decided)
    for share in package.current_version.shares.all():
        package.refresh_from_db()
        approver = icb_finance if share.agency_id == hiow_icb.pk else council_finance
        funding_services.share_approve(actor=approver, share=share, expected_version=package.version_number)
    package.refresh_from_db()
    agreed = package.status == "agreed"

    _correct(panel_admin, decided.agenda_item.meeting, icb_member, present=False)
    package.refresh_from_db()
    assert package.status == "awaiting_approval"

    panel_services.recommendation_respond(
        actor=icb_finance, recommendation=AgencyRecommendation.objects.get(), accept=True
    )
    package.refresh_from_db()
    assert package.status == ("agreed" if agreed else "awaiting_approval")


def test_a_share_still_awaiting_cannot_be_approved_after_the_correction(
    decided, panel_admin, icb_member, icb_finance, hiow_icb
):
    """seeds 002 line 890: the ICB's share waits for its answer to the recommendation the
    correction opened (the refusal names the agency and the due date)."""
    _correct(panel_admin, decided.agenda_item.meeting, icb_member, present=False)
    package = FundingPackage.objects.get(decision=decided)
    icb_share = next(s for s in package.current_version.shares.all() if s.agency_id == hiow_icb.pk)
    with pytest.raises(ValidationError) as held:
        funding_services.share_approve(
            actor=icb_finance, share=icb_share, expected_version=package.version_number
        )
    assert hiow_icb.name in held.value.message_dict["share"][0]
    assert "14 April 2026" in held.value.message_dict["share"][0]


# --- Line 754: an agency made quorate again -------------------------------------------------------------


def test_making_a_member_present_again_closes_the_recommendation(
    item, clock, panel_admin, panel_chair, council_member, icb_member, second_icb_member, hampshire, hiow_icb
):
    """seeds 002 line 754: "Quorate will be a minimum of two members from each organisation". Ivan
    Moss was there after all: the ICB had its two members, so its part is a decision; the new
    version has no recommendation, and the one the signed version made stays with it, superseded
    (its answer can no longer be given)."""
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member)
    signed = _sign(item, panel_admin, panel_chair, hampshire)
    made = AgencyRecommendation.objects.get(decision=signed)
    assert made.agency == hiow_icb

    result = _correct(
        panel_chair, item.meeting, second_icb_member, present=True, reason="Ivan joined by phone at 2.05pm"
    )
    (done,) = result.reevaluated
    assert [r.pk for r in done.closed] == [made.pk] and done.opened == []
    assert not AgencyRecommendation.objects.filter(decision=done.decision).exists()
    assert AgencyRecommendation.objects.filter(pk=made.pk, decision=signed).exists()
    with pytest.raises(InvalidTransition):
        panel_services.recommendation_respond(actor=icb_member, recommendation=made, accept=True)


def test_an_answer_already_given_is_carried_to_the_new_version(
    item,
    clock,
    panel_admin,
    panel_chair,
    council_member,
    icb_member,
    second_icb_member,
    sen,
    sen_manager,
    hampshire,
):
    """seeds 002 line 890: the SEN service (the lead, with nobody on the panel) accepted the
    recommendation; a correction that makes the ICB absent too opens one for the ICB and carries
    SEN's acceptance over: it answered the same decision."""
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member, second_icb_member)
    signed = _sign(item, panel_admin, panel_chair, sen)
    panel_services.recommendation_respond(
        actor=sen_manager, recommendation=AgencyRecommendation.objects.get(decision=signed), accept=True
    )
    result = _correct(panel_admin, item.meeting, second_icb_member, present=False)
    new = result.reevaluated[0].decision
    answers = {r.agency_id: r.status for r in AgencyRecommendation.objects.filter(decision=new)}
    assert answers[sen.pk] == "accepted"
    assert len(answers) == 2 and "awaiting" in answers.values()


# --- Decisions whose parts do not change stay as they are ----------------------------------------------


def test_decisions_whose_parts_do_not_change_are_untouched(
    clock, council_only_child, make_submitted, decided, panel_admin, panel_chair, icb_member, hampshire
):
    """A decision the ICB has no part in (the council leads and pays it all) is worked out again
    and left as it is: no new version, no recommendation, no audit of it."""
    meeting = decided.agenda_item.meeting
    other = _another_item(clock, make_submitted, meeting, panel_admin, child=council_only_child)
    council_only = _sign(
        other, panel_admin, panel_chair, hampshire, shares=[(hampshire, "percentage", Decimal("100"))]
    )
    result = _correct(panel_admin, meeting, icb_member, present=False)
    assert [d.pk for d in result.unchanged] == [council_only.pk]
    assert [r.superseded.pk for r in result.reevaluated] == [decided.pk]
    council_only.refresh_from_db()
    assert (council_only.status, council_only.version) == ("signed", 1)
    assert not Decision.objects.filter(agenda_item=other).exclude(pk=council_only.pk).exists()
    assert not AgencyRecommendation.objects.filter(decision=council_only).exists()
    assert (
        not AuditEvent.objects.filter(object_type="panels.Decision", object_id=str(council_only.pk))
        .exclude(action__in=["decision.recorded", "decision.signed"])
        .exists()
    )


def test_a_correction_that_changes_no_part_makes_no_version_and_tells_nobody(
    item, clock, panel_admin, panel_chair, council_member, icb_member, second_icb_member, hampshire
):
    """seeds 002 line 754: the ICB had one of its two members present, so its part was already a
    recommendation; marking that member absent too leaves it one: no new version, nobody told."""
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member)
    signed = _sign(item, panel_admin, panel_chair, hampshire)
    before = Notification.objects.count()
    result = _correct(panel_admin, item.meeting, icb_member, present=False)
    assert result.reevaluated == [] and [d.pk for d in result.unchanged] == [signed.pk]
    assert Decision.objects.filter(agenda_item=item).count() == 1
    assert Notification.objects.count() == before


# --- People told, once ---------------------------------------------------------------------------------


def test_the_referrer_the_agencies_and_the_chair_are_told_once(
    clock,
    another_child,
    make_submitted,
    decided,
    panel_admin,
    panel_chair,
    icb_member,
    icb_finance,
    council_finance,
    social_worker,
    hampshire,
):
    """Two decisions change; each person concerned gets one notice naming both items: the referrer
    (Sam, who referred both), the impacted agencies' contacts (the ICB's members and finance
    approver, pointed at the recommendation to answer; the council's), and the chair. Not the
    administrator who made the correction."""
    meeting = decided.agenda_item.meeting
    other = _another_item(clock, make_submitted, meeting, panel_admin, child=another_child)
    _sign(other, panel_admin, panel_chair, hampshire)
    before = set(Notification.objects.values_list("pk", flat=True))

    _correct(panel_admin, meeting, icb_member, present=False)

    told = Notification.objects.exclude(pk__in=before).filter(subject__contains=SUBJECT)
    per_person: dict[int, int] = {}
    for notice in told:
        per_person[notice.user_id] = per_person.get(notice.user_id, 0) + 1
    assert per_person and set(per_person.values()) == {1}
    for person in (social_worker, panel_chair, icb_finance, council_finance):
        assert person.pk in per_person, person
    assert panel_admin.pk not in per_person
    notice = told.get(user=icb_finance)
    assert "(AH), now version 2" in notice.body and "(BL), now version 2" in notice.body
    assert "14 April 2026" in notice.body
    assert "/recommendations/" in notice.url
    # No second notice about the same recommendations.
    assert not Notification.objects.exclude(pk__in=before).exclude(subject__contains=SUBJECT).exists()


# --- Refusals ------------------------------------------------------------------------------------------


def test_a_reason_is_required_and_nothing_changes_without_one(decided, panel_admin, icb_member):
    meeting = decided.agenda_item.meeting
    with pytest.raises(ValidationError) as refused:
        _correct(panel_admin, meeting, icb_member, present=False, reason="   ")
    assert refused.value.message_dict["reason"] == ["Enter why the attendance is being corrected"]
    assert (
        Attendance.objects.get(meeting=meeting, membership=seat(meeting.panel, icb_member)).status
        == "present"
    )
    assert Decision.objects.get(pk=decided.pk).status == "signed"


def test_only_the_chair_and_administrators_may_correct(decided, council_member, icb_member):
    with pytest.raises(NotAllowed):
        _correct(council_member, decided.agenda_item.meeting, icb_member, present=False)


def test_nothing_to_correct_is_a_field_error(decided, panel_admin, icb_member):
    with pytest.raises(ValidationError) as refused:
        _correct(panel_admin, decided.agenda_item.meeting, icb_member, present=True)
    assert refused.value.message_dict["present"] == [
        "Irene Grant is already recorded as present: there is nothing to correct"
    ]


def test_a_correction_over_a_changed_attendance_is_a_conflict(decided, panel_admin, icb_member):
    meeting = decided.agenda_item.meeting
    _correct(panel_admin, meeting, icb_member, present=False, expected_status="present")
    with pytest.raises(InvalidTransition) as stale:
        _correct(panel_admin, meeting, icb_member, present=False, expected_status="present")
    assert "Irene Grant's attendance is now recorded as absent (Adam Clerk recorded it" in str(stale.value)


def test_a_correction_leaving_the_meeting_inquorate_with_a_decline_is_refused(
    item, irap, clock, panel_admin, panel_chair, council_member, icb_member, hampshire
):
    """seeds 002 line 890: an inquorate meeting can only recommend or defer, so a correction that
    would have left it inquorate after it declined an item is refused until that decision is
    corrected."""
    irap.inquorate_below_members = 3
    irap.save()
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member)
    _sign(item, panel_admin, panel_chair, hampshire, outcome="declined", rationale="Needs met at home.")
    with pytest.raises(ValidationError) as refused:
        _correct(panel_admin, item.meeting, icb_member, present=False)
    assert "correct the decision on item 1 first" in refused.value.message_dict["present"][0]
    assert Attendance.objects.get(meeting=item.meeting, membership=seat(irap, icb_member)).status == "present"


def test_the_plain_attendance_route_still_refuses_and_points_to_the_correction(
    decided, panel_admin, icb_member
):
    """The plain route keeps its 409 once a decision is signed, and says where to go instead."""
    meeting = decided.agenda_item.meeting
    page = reverse("panels:run_attendance_correct", args=[meeting.pk])
    with pytest.raises(InvalidTransition) as refused:
        panel_services.attendance_record(
            actor=panel_admin, meeting=meeting, membership=seat(meeting.panel, icb_member), status="absent"
        )
    assert page in str(refused.value) and "Correct attendance" in str(refused.value)
    client = Client()
    client.force_login(panel_admin)
    answer = client.post(
        reverse("panels:run_attendance", args=[meeting.pk]),
        {f"status_{seat(meeting.panel, icb_member).pk}": "absent"},
    )
    assert answer.status_code == 409 and page in answer.content.decode()


# --- Two corrections at once ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_corrections_at_once_have_one_winner(decided, panel_admin, panel_chair, icb_member):
    """Both saw Irene present and mark her absent: one correction lands (one new version); the
    other is refused (409) saying her attendance changed, and makes nothing."""
    meeting_pk = decided.agenda_item.meeting_id

    def move(actor):
        def read():
            from panels.models import Meeting

            meeting = Meeting.objects.select_related("panel").get(pk=meeting_pk)
            return lambda: _correct(actor, meeting, icb_member, present=False, expected_status="present")

        return read

    results = race(move(panel_admin), move(panel_chair))
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(lost) == 1, results
    assert isinstance(lost[0], InvalidTransition) and "now recorded as absent" in str(lost[0])
    assert Decision.objects.filter(agenda_item=decided.agenda_item).count() == 2
    assert AuditEvent.objects.filter(action="meeting.attendance_corrected").count() == 1


# --- The page and the API --------------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_lists_the_signed_decisions_and_corrects_without_javascript(
    decided, panel_admin, icb_member, hiow_icb
):
    meeting = decided.agenda_item.meeting
    url = reverse("panels:run_attendance_correct", args=[meeting.pk])
    client = _client(panel_admin)
    run = client.get(reverse("panels:run_meeting", args=[meeting.pk])).content.decode()
    assert url in run
    html = client.get(url).content.decode()
    assert "Signed decisions to be worked out again" in html and "Item 1" in html and "version 1" in html
    irene = seat(meeting.panel, icb_member)
    missing = client.post(url, {"membership": irene.pk, "present": "no", f"seen_{irene.pk}": "present"})
    assert (
        missing.status_code == 200
        and "Enter why the attendance is being corrected" in missing.content.decode()
    )
    done = client.post(
        url,
        {"membership": irene.pk, "present": "no", "reason": "Left early", f"seen_{irene.pk}": "present"},
    )
    assert done.status_code == 302
    assert AgencyRecommendation.objects.get().agency == hiow_icb
    stale = client.post(
        url,
        {"membership": irene.pk, "present": "no", "reason": "Left early", f"seen_{irene.pk}": "present"},
    )
    assert stale.status_code == 409 and "now recorded as absent" in stale.content.decode()


def test_the_page_takes_a_fixed_number_of_queries(
    item,
    irap,
    make_submitted,
    clock,
    panel_admin,
    panel_chair,
    council_member,
    icb_member,
    hampshire,
    hiow_icb,
    django_assert_max_num_queries,
):
    """20 signed decisions with shares and recommendations: the same queries as one."""
    from tests.factories import ChildFactory

    items = [item] + [
        agenda_item_for(
            referral=make_submitted(
                child=ChildFactory(owning_agency=hampshire, created_by=panel_admin, involved=[hiow_icb])
            ),
            meeting=item.meeting,
            actor=panel_admin,
        )
        for _ in range(19)
    ]
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member)
    for one in items:
        decision = signed_decision_for(
            one,
            chair=panel_chair,
            lead_agency=hampshire,
            shares=[(hampshire, 50, "743.20"), (hiow_icb, 50, "743.20")],
        )
        AgencyRecommendation.objects.create(
            decision=decision, agency=hiow_icb, due_on=D(2026, 4, 14), why="x"
        )
    client = _client(panel_admin)
    url = reverse("panels:run_attendance_correct", args=[item.meeting_id])
    # session and user (2), the meeting and the administrator check (3), the seats, the attendance,
    # the signed decisions, their shares and agencies, their recommendations and agencies (7), the
    # partnership's pages in the header (a few).
    with django_assert_max_num_queries(17):
        answer = client.get(url)
    assert answer.status_code == 200 and answer.content.decode().count("version 1") == 20


def test_the_api_corrects_and_answers_400_409_and_404(decided, panel_admin, icb_member, outsider, hiow_icb):
    meeting = decided.agenda_item.meeting
    url = reverse("api-meeting-attendance-correct", args=[meeting.pk])
    irene = seat(meeting.panel, icb_member).pk
    api = APIClient()
    api.force_login(panel_admin)
    blank = api.post(url, {"membership": irene, "present": False, "reason": ""}, format="json")
    assert blank.status_code == 400 and "reason" in blank.json()
    body = {"membership": irene, "present": False, "reason": "Left early", "expected_status": "present"}
    done = api.post(url, body, format="json")
    assert done.status_code == 200, done.json()
    answer = done.json()
    assert answer["attendance"]["status"] == "absent"
    assert answer["reevaluated"][0]["superseded"] == decided.pk and answer["reevaluated"][0]["opened"] == [
        hiow_icb.pk
    ]
    assert api.post(url, body, format="json").status_code == 409
    stranger = APIClient()
    stranger.force_login(outsider)
    assert stranger.post(url, body, format="json").status_code == 404


def test_the_outsider_gets_404_on_the_page(decided, outsider, council_member):
    url = reverse("panels:run_attendance_correct", args=[decided.agenda_item.meeting_id])
    stranger = _client(outsider)
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, {"reason": "x"}).status_code == 404
    assert _client(council_member).get(url).status_code == 403
