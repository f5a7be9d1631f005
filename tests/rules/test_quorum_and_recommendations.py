"""Issue 15, "Absent agencies and quorum": one test per clause, through the services as a panel
month runs (attendance, a decision signed, the absent agency's answer, the funding that waits).

The clauses (../shared/seeds/002, the Joint Funding Panel and Leicester JSP terms of reference):
- line 754: "Quorate will be a minimum of two members from each organisation."
- line 890 (and 392): "Decisions are not to be made if they impact upon one of the agencies who may
  not be present. The recommendations made to an absent agency will require a response within 3
  working days."

Hampshire IRAP (tests/panels/conftest.py): quorate with two members from each of the council and
the ICB. The meeting is Thursday 9 April 2026; the clock starts on Monday 2 March 2026.
"""

# ruff: noqa: F811 - the panel and funding tests' fixtures are imported by name and asked for as arguments
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from casework.models import Notification
from casework.services import InvalidTransition
from funding import services as funding_services
from funding.models import FundingPackage
from panels import services as decisions_and_answers
from panels.models import AgencyRecommendation, AgendaItem, Membership
from panels.services.minutes import _meeting_record, _quorum_line
from tests.factories import MeetingFactory, agenda_item_for, attendance_for
from tests.funding.conftest import *  # noqa: F403  (the panel fixtures, finance approvers)
from tests.panels.conftest import MEETING_DAY, at
from tests.worlds import ON_IRAP_AGENDA, amelia_on_irap_agenda, stand_in_on_the_panels_clock

D = dt.date
REVIEW = D(2026, 10, 9)

# Amelia's submitted referral on the IRAP meeting's agenda, with the panel and the people, built
# once for the module (tests/worlds.py): each test starts from it in its own savepoint.
stand_in_on_the_panels_clock(globals(), amelia_on_irap_agenda, ON_IRAP_AGENDA)


def _agree(actor, item, lead, **fields):
    shares = fields.pop("shares", None)
    values = {
        "outcome": "agreed_as_recommended",
        "rationale": "Residential short breaks meet her needs; both agencies share the cost.",
        "lead_agency": lead,
        "review_date": REVIEW,
        **fields,
    }
    return decisions_and_answers.decision_record(actor=actor, agenda_item=item, fields=values, shares=shares)


@pytest.fixture
def one_icb_member(item, clock, panel_chair, council_member, icb_member):
    """The meeting day: the council's two members present, only one of the ICB's two."""
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member)
    return item


@pytest.fixture
def signed(one_icb_member, panel_admin, panel_chair, hampshire):
    decision = _agree(panel_admin, one_icb_member, hampshire)
    return decisions_and_answers.decision_sign(actor=panel_chair, decision=decision)


# --- Line 754: quorum per organisation ----------------------------------------------------------------


def test_an_agency_below_its_quorum_gets_a_recommendation_and_the_rest_stands(signed, hampshire, hiow_icb):
    """seeds 002 line 754: "Quorate will be a minimum of two members from each organisation"; line
    890: "Decisions are not to be made if they impact upon one of the agencies who may not be
    present". The ICB (1 of 2) is below its quorum: its part is a recommendation; the council's
    part stands; the chair held the meeting."""
    assert signed.status == "signed" and signed.was_quorate
    recommendation = AgencyRecommendation.objects.get()
    assert recommendation.agency == hiow_icb
    assert recommendation.why == "1 of its 2 members needed for a quorum were present"
    assert not AgencyRecommendation.objects.filter(agency=hampshire).exists()


def test_an_absent_agency_given_the_lead_gets_a_recommendation(
    item, clock, panel_admin, panel_chair, council_member, icb_member, second_icb_member, sen
):
    """seeds 002 line 890: an agency with no member present that the decision impacts (here the
    lead role) is recommended to, not decided for."""
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member, second_icb_member)
    decisions_and_answers.decision_sign(actor=panel_chair, decision=_agree(panel_admin, item, sen))
    recommendation = AgencyRecommendation.objects.get()
    assert (recommendation.agency, recommendation.why) == (sen, "no member of the agency was present")


# --- Line 890: a response within 3 working days of the meeting ---------------------------------------


def test_the_answer_is_due_3_working_days_after_the_meeting_date_not_the_signing_day(
    make_submitted, irap, clock, panel_admin, panel_chair, council_member, icb_member, hiow_icb
):
    """seeds 002 line 890: "will require a response within 3 working days". Counted from the
    meeting on Thursday 2 April 2026 across Good Friday and Easter Monday: due Thursday 9 April,
    though the chair signs on Tuesday 7 April (from the signing day it would be Friday 10 April)."""
    meeting = MeetingFactory(panel=irap, date=D(2026, 4, 2))
    item = agenda_item_for(referral=make_submitted(meeting=meeting), meeting=meeting, actor=panel_admin)
    clock.move_to(at(D(2026, 4, 2), 14), tick=False)
    attendance_for(meeting, panel_chair, council_member, icb_member)
    decision = _agree(panel_admin, item, irap.host_agency)
    clock.move_to(at(D(2026, 4, 7), 10), tick=False)
    decisions_and_answers.decision_sign(actor=panel_chair, decision=decision)
    recommendation = AgencyRecommendation.objects.get()
    assert (recommendation.agency, recommendation.due_on) == (hiow_icb, D(2026, 4, 9))
    # The meeting's own deadlines say the same date (the page and the computation agree).
    from panels.selectors import meeting_deadlines

    assert meeting_deadlines(meeting).absent_agency_response_due == recommendation.due_on


# --- Funding waits for the absent agency's answer ------------------------------------------------------


def test_the_share_waits_for_the_agency_then_is_approvable_once_it_accepts(
    signed, icb_finance, council_finance, hiow_icb
):
    """seeds 002 line 890: no decision impacts the ICB until it accepts: its share cannot be
    approved (the refusal names the agency and the due date) and the package is not Agreed."""
    package = FundingPackage.objects.get(decision=signed)
    shares = {s.agency_id: s for s in package.current_version.shares.all()}
    icb_share = shares[hiow_icb.pk]
    with pytest.raises(ValidationError) as waiting:
        funding_services.share_approve(
            actor=icb_finance, share=icb_share, expected_version=package.version_number
        )
    message = waiting.value.message_dict["share"][0]
    assert hiow_icb.name in message and "14 April 2026" in message
    for share in shares.values():
        if share.agency_id != hiow_icb.pk:
            funding_services.share_approve(
                actor=council_finance, share=share, expected_version=package.version_number
            )
    package.refresh_from_db()
    assert package.status != "agreed"

    decisions_and_answers.recommendation_respond(
        actor=icb_finance, recommendation=AgencyRecommendation.objects.get(), accept=True
    )
    package.refresh_from_db()
    approved = funding_services.share_approve(
        actor=icb_finance, share=icb_share, expected_version=package.version_number
    )
    assert approved.status == "approved"


def test_a_lead_only_absent_agency_holds_the_package_until_it_accepts(
    item,
    clock,
    panel_admin,
    panel_chair,
    council_member,
    icb_member,
    second_icb_member,
    sen,
    sen_manager,
    council_finance,
    icb_finance,
    hampshire,
):
    """seeds 002 line 890: the package cannot become Agreed while the absent lead agency has not
    accepted, even with every share approved; its acceptance lets it be Agreed."""
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member, second_icb_member)
    decision = decisions_and_answers.decision_sign(actor=panel_chair, decision=_agree(panel_admin, item, sen))
    package = FundingPackage.objects.get(decision=decision)
    for share in package.current_version.shares.all():
        approver = council_finance if share.agency_id == hampshire.pk else icb_finance
        package.refresh_from_db()
        funding_services.share_approve(actor=approver, share=share, expected_version=package.version_number)
    package.refresh_from_db()
    held = package.status
    assert held != "agreed"
    decisions_and_answers.recommendation_respond(
        actor=sen_manager, recommendation=AgencyRecommendation.objects.get(), accept=True
    )
    package.refresh_from_db()
    if not package.current_version.needs_cetr:
        assert package.status == "agreed"


# --- A decline goes back to the chair and the next agenda ---------------------------------------------


def test_a_decline_returns_to_the_chair_and_the_next_agenda_and_others_are_told(
    signed, next_meeting, icb_finance, panel_chair, council_finance, council_member, hiow_icb
):
    """seeds 002 line 890: the absent agency's "no" is for the panel: the item goes back to the
    chair and onto the next meeting's agenda with the reason; the other agencies are told."""
    decisions_and_answers.recommendation_respond(
        actor=icb_finance,
        recommendation=AgencyRecommendation.objects.get(),
        accept=False,
        reason="No continuing care budget this quarter",
    )
    listed = AgendaItem.objects.get(meeting=next_meeting)
    assert hiow_icb.name in listed.title and "No continuing care budget" in listed.description
    assert Notification.objects.filter(user=panel_chair, subject__contains="declined").exists()
    for other in (council_finance, council_member):
        notice = Notification.objects.get(user=other, subject__contains="declined")
        assert "No continuing care budget" in notice.body and "14 May 2026" in notice.body


# --- The whole meeting inquorate: only recommend or defer ---------------------------------------------


def test_an_inquorate_meeting_can_only_recommend_or_defer(
    item, clock, irap, panel_admin, panel_chair, council_member, hampshire, hiow_icb
):
    """seeds 002 line 890 with the panel's setting (fewer than 3 deciding members present): no
    decision is made; an agreed outcome is a recommendation to every agency it impacts (present
    or not), a decline is refused, a deferral stands; the minutes say why."""
    irap.inquorate_below_members = 3
    irap.save()
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, panel_chair, council_member)
    with pytest.raises(ValidationError) as refused:
        _agree(panel_admin, item, hampshire, outcome="declined")
    assert "only recommend or defer" in refused.value.message_dict["outcome"][0]
    decision = _agree(panel_admin, item, hampshire)
    assert not decision.was_quorate
    decisions_and_answers.decision_sign(actor=panel_chair, decision=decision)
    whys = dict(AgencyRecommendation.objects.values_list("agency", "why"))
    assert set(whys) == {hampshire.pk, hiow_icb.pk}
    assert whys[hampshire.pk] == "the meeting was not quorate (2 deciding members present, fewer than 3)"
    attendance, _items = _meeting_record(item.meeting)
    line = _quorum_line(item.meeting, attendance)
    assert "not quorate (2 deciding members present, fewer than 3)" in line and "deferred" in line


def test_without_the_chair_the_meeting_is_inquorate_when_the_panel_says_so(
    item, clock, irap, panel_admin, council_member, icb_member, second_icb_member, hampshire
):
    """The panel's `inquorate_without_chair`: with neither chair nor vice-chair present, deferral
    is all that is left besides recommending."""
    irap.inquorate_without_chair = True
    irap.save()
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, council_member, icb_member, second_icb_member)
    deferred = _agree(panel_admin, item, hampshire, outcome="deferred", rationale="Wait for the chair.")
    assert deferred.outcome == "deferred" and not deferred.was_quorate


# --- Attendance cannot change silently after a signed decision -----------------------------------------


def test_attendance_after_a_signed_decision_is_refused_until_the_decision_is_corrected(
    signed, panel_admin, panel_chair, second_icb_member
):
    """Who was present decided what was a decision and what a recommendation (seeds 002 line 890):
    a change after signing is refused (409); correcting the signed decision first, then recording
    the attendance and signing the corrected version works it out again."""
    seat = Membership.objects.current().get(panel=signed.agenda_item.meeting.panel, person=second_icb_member)
    meeting = signed.agenda_item.meeting
    with pytest.raises(InvalidTransition) as refused:
        decisions_and_answers.attendance_record(
            actor=panel_admin, meeting=meeting, membership=seat, status="present"
        )
    assert "Use Correct attendance" in str(refused.value)
    corrected = decisions_and_answers.decision_correct(
        actor=panel_admin, decision=signed, reason="The ICB's second member was present"
    )
    decisions_and_answers.attendance_record(
        actor=panel_admin, meeting=meeting, membership=seat, status="present"
    )
    decisions_and_answers.decision_sign(actor=panel_chair, decision=corrected)
    assert not AgencyRecommendation.objects.filter(decision=corrected).exists()


# --- The chair's page and the API say which parts are decisions and which recommendations -------------


def test_the_chairs_page_and_the_api_show_each_part_and_why(signed, panel_admin, hampshire, hiow_icb):
    """seeds 002 lines 754 and 890: per item, the council's part is a decision (its members present
    and quorate) and the ICB's a recommendation, with why, on the page and in the API."""
    from django.test import Client
    from django.urls import reverse
    from rest_framework.test import APIClient

    page = Client()
    page.force_login(panel_admin)
    html = page.get(
        reverse("panels:run_item", args=[signed.agenda_item.meeting_id, signed.agenda_item_id])
    ).content.decode()
    assert "Decisions and recommendations" in html
    assert "1 of its 2 members needed for a quorum were present" in html
    api = APIClient()
    api.force_login(panel_admin)
    body = api.get(reverse("api-decision", args=[signed.pk])).json()
    parts = {p["agency"]: p for p in body["parts"]}
    assert parts[hampshire.pk]["part"] == "decision"
    assert parts[hiow_icb.pk] == {
        "agency": hiow_icb.pk,
        "part": "recommendation",
        "why": "1 of its 2 members needed for a quorum were present",
        "answer": "awaiting",
    }
    assert body["recommendations"][0]["why"] == "1 of its 2 members needed for a quorum were present"


def test_the_item_page_links_to_the_recommendation_only_for_those_who_may_open_it(
    signed, panel_admin, council_member, icb_member
):
    """Issue 16 (no link to a page the person cannot use): the recommendation to the ICB is opened by
    the ICB's people and the panel's administrators; the council's panel member reads the item page
    and the recommendation's line, with no link that would answer 404."""
    from django.test import Client
    from django.urls import reverse

    from panels.models import PapersGrant

    for member in (council_member, icb_member):  # the members hold the meeting's papers
        PapersGrant.objects.create(
            meeting=signed.agenda_item.meeting, person=member, reason="member", starts_at=at(D(2026, 4, 1))
        )
    [recommendation] = signed.recommendations.all()
    link = reverse("panels:recommendation_respond", args=[recommendation.pk])
    item_page = reverse("panels:run_item", args=[signed.agenda_item.meeting_id, signed.agenda_item_id])
    seen = {}
    for person in (panel_admin, icb_member, council_member):
        client = Client()
        client.force_login(person)
        response = client.get(item_page)
        assert response.status_code == 200
        html = response.content.decode()
        assert "answer due" in html
        seen[person.full_name] = (link in html, client.get(link).status_code)
    assert seen == {
        panel_admin.full_name: (True, 200),
        icb_member.full_name: (True, 200),
        council_member.full_name: (False, 404),
    }


def test_the_panel_says_when_the_whole_meeting_is_inquorate(irap, panel_chair):
    """The panel's settings, changed as its other settings are (seeds 002: the terms of reference
    are each panel's own)."""
    from panels.forms.meetings import PanelSettingsForm

    form = PanelSettingsForm(panel=irap)
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"inquorate_below_members": "3", "inquorate_without_chair": "on", "quorum_agencies": []})
    bound = PanelSettingsForm(data, panel=irap)
    assert bound.is_valid(), bound.errors
    decisions_and_answers.panel_update_settings(actor=panel_chair, panel=irap, fields=bound.service_fields())
    irap.refresh_from_db()
    assert (irap.inquorate_below_members, irap.inquorate_without_chair) == (3, True)


def test_the_agencys_answer_page_says_why_its_part_is_a_recommendation(signed, panel_admin):
    """seeds 002 lines 754 and 890: the agency answering sees why the panel could not decide for it
    (below its quorum here, not absent), with the answer due date."""
    from django.test import Client
    from django.urls import reverse

    recommendation = AgencyRecommendation.objects.get()
    page = Client()
    page.force_login(panel_admin)
    html = page.get(reverse("panels:recommendation_respond", args=[recommendation.pk])).content.decode()
    assert (
        f"The panel could not decide for {recommendation.agency.name}: "
        "1 of its 2 members needed for a quorum were present." in html.replace("&#x27;", "'")
    )
    assert recommendation.due_on.strftime("%A %-d %B %Y") in html
