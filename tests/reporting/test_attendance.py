"""Attendance (issue 18): each agency's attendance and the quorum per meeting, and the decisions
that became recommendations because an agency was absent (seeds 001: "key decision-makers are not
present"; seeds 002: "no decision will be made that impacts on an agency that is not present").

The world: Hampshire IRAP (quorate with two members from each of the council and the ICB, seeds
002 Leicester JSP's rule as a panel setting) met on 8 January (everyone present), 12 February (the
council's second member sent apologies, the ICB's second was absent and a deputy came for him;
five decisions became recommendations to the council, one of them also to the ICB, and a
superseded version's recommendation is not counted) and 26 February (nothing recorded). A
cancelled meeting and one in April are not counted. Hampshire's Joint Solutions Panel (another
chair) and a Leicester panel met too. The clock: Monday 2 March 2026.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse

from casework.models import AuditEvent, Role
from panels.models import (
    AgencyRecommendation,
    AgendaItem,
    Attendance,
    DecisionStatus,
    Meeting,
    Membership,
)
from panels.selectors.running import QUORUM_ROLES
from reporting import attendance
from tests.factories import (
    MeetingFactory,
    PanelFactory,
    UserFactory,
    attendance_for,
    referral_row,
    signed_decision_for,
)

D = dt.date
URL = "/reports/attendance/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _decision(*, meeting, child, referrer, chair, admin, position, status="signed"):
    referral = referral_row(
        child=child, panel=meeting.panel, referrer=referrer, status="decided", meeting=meeting
    )
    item = AgendaItem.objects.create(
        meeting=meeting,
        kind="referral",
        referral=referral,
        title="Package",
        added_by=admin,
        position=position,
    )
    return signed_decision_for(item, chair=chair, status=status)


@pytest.fixture
def world(
    irap,
    hampshire,
    hiow_icb,
    leicester,
    panel_chair,
    council_member,
    icb_member,
    second_icb_member,
    panel_admin,
    social_worker,
    child,
):
    deputy = UserFactory(full_name="Dee Puty", agency=hiow_icb, roles=[Role.PANEL_MEMBER])
    second_seat = Membership.objects.get(panel=irap, person=second_icb_member)
    deputy_seat = Membership.objects.create(
        panel=irap,
        person=deputy,
        agency=hiow_icb,
        role="member",
        deputy_for=second_seat,
        starts_on=D(2026, 1, 1),
    )
    january = MeetingFactory(panel=irap, date=D(2026, 1, 8))
    attendance_for(january, panel_chair, council_member, icb_member, second_icb_member, panel_admin)
    february = MeetingFactory(panel=irap, date=D(2026, 2, 12))
    attendance_for(february, panel_chair, icb_member, panel_admin)
    attendance_for(february, council_member, status="apologies")
    attendance_for(february, second_icb_member, status="absent")
    Attendance.objects.create(
        meeting=february,
        membership=deputy_seat,
        status="present",
        deputy_for=second_seat,
        recorded_by=panel_admin,
    )
    for position in range(1, 6):
        decision = _decision(
            meeting=february,
            child=child,
            referrer=social_worker,
            chair=panel_chair,
            admin=panel_admin,
            position=position,
        )
        AgencyRecommendation.objects.create(decision=decision, agency=hampshire, due_on=D(2026, 2, 17))
        if position == 1:
            AgencyRecommendation.objects.create(decision=decision, agency=hiow_icb, due_on=D(2026, 2, 17))
    old = _decision(
        meeting=february,
        child=child,
        referrer=social_worker,
        chair=panel_chair,
        admin=panel_admin,
        position=6,
    )
    AgencyRecommendation.objects.create(decision=old, agency=hampshire, due_on=D(2026, 2, 17))
    type(old).objects.filter(pk=old.pk).update(status=DecisionStatus.SUPERSEDED)
    unrecorded = MeetingFactory(panel=irap, date=D(2026, 2, 26))
    MeetingFactory(panel=irap, date=D(2026, 2, 19), status="cancelled")
    MeetingFactory(panel=irap, date=D(2026, 4, 9))

    jsp_chair = UserFactory(full_name="Jo Seat", agency=hampshire, roles=[Role.PANEL_CHAIR])
    jsp = PanelFactory(name="Hampshire JSP", host_agency=hiow_icb, partnership=hampshire.partnership)
    Membership.objects.create(
        panel=jsp, person=jsp_chair, agency=hampshire, role="chair", starts_on=D(2026, 1, 1)
    )
    jsp_meeting = MeetingFactory(panel=jsp, date=D(2026, 2, 5))
    attendance_for(jsp_meeting, jsp_chair)

    leics_chair = UserFactory(full_name="Lee Chair", agency=leicester, roles=[Role.PANEL_CHAIR])
    leics = PanelFactory(name="Leicester JSP", host_agency=leicester)
    Membership.objects.create(
        panel=leics, person=leics_chair, agency=leicester, role="chair", starts_on=D(2026, 1, 1)
    )
    leics_meeting = MeetingFactory(panel=leics, date=D(2026, 2, 10))
    attendance_for(leics_meeting, leics_chair)
    return {
        "january": january,
        "february": february,
        "unrecorded": unrecorded,
        "jsp": jsp_meeting,
        "jsp_chair": jsp_chair,
        "leics": leics_meeting,
        "leics_chair": leics_chair,
    }


def _direct(meeting: Meeting, agency) -> dict[str, int]:
    """Each figure of one agency at one meeting, counted straight from the tables."""
    rows = Attendance.objects.filter(
        meeting=meeting, membership__agency=agency, membership__role__in=QUORUM_ROLES
    )
    return {
        "expected": Membership.objects.current(on=meeting.date)
        .filter(panel=meeting.panel, agency=agency, role__in=QUORUM_ROLES, deputy_for__isnull=True)
        .count(),
        "present": rows.filter(status="present", deputy_for__isnull=True).count(),
        "deputies": rows.filter(status="present", deputy_for__isnull=False).count(),
        "apologies": rows.filter(status="apologies").count(),
        "absent": rows.filter(status="absent").count(),
        "recommendations": AgencyRecommendation.objects.filter(
            decision__agenda_item__meeting=meeting, agency=agency
        )
        .exclude(decision__status=DecisionStatus.SUPERSEDED)
        .values("decision")
        .distinct()
        .count(),
    }


FIGURES = ("expected", "present", "deputies", "apologies", "absent", "recommendations")


def test_each_figure_equals_a_direct_count(world, panel_admin, hampshire, hiow_icb):
    report = attendance.attendance_report(user=panel_admin)
    shown = [row.meeting for row in report.meetings]
    assert shown == [world["unrecorded"], world["february"], world["january"]]
    sums: dict[int, dict[str, int]] = {}
    for row in report.meetings:
        assert {line.agency for line in row.lines} <= {hampshire, hiow_icb}
        for line in row.lines:
            direct = _direct(row.meeting, line.agency)
            assert {name: getattr(line, name) for name in FIGURES} == direct
            for name in FIGURES:
                sums.setdefault(line.agency.pk, dict.fromkeys(FIGURES, 0))[name] += direct[name]
    for total in report.totals:
        assert {name: getattr(total, name) for name in FIGURES} == sums[total.agency.pk]
    february = next(row for row in report.meetings if row.meeting == world["february"])
    lines = {line.agency: line for line in february.lines}
    assert (lines[hampshire].present, lines[hampshire].apologies, lines[hampshire].recommendations) == (
        1,
        1,
        5,
    )
    assert (lines[hiow_icb].present, lines[hiow_icb].deputies, lines[hiow_icb].absent) == (1, 1, 1)
    assert february.decisions_recommended == 5 and report.decisions_recommended == 5


def test_quorum_follows_the_panel_s_own_rule(world, panel_admin, irap, hampshire, hiow_icb):
    """seeds 002, Leicester JSP: two members from each organisation, a deputy counting for the
    member they attend for."""
    report = attendance.attendance_report(user=panel_admin)
    rows = {row.meeting: row for row in report.meetings}
    assert rows[world["january"]].is_quorate is True
    february = rows[world["february"]]
    assert february.is_quorate is False
    assert "Hampshire" in february.why_not and "1 of 2" in february.why_not
    icb = next(line for line in february.lines if line.agency == hiow_icb)
    assert (icb.counted, icb.needed, icb.met) == (2, 2, True)
    assert rows[world["unrecorded"]].recorded is False and rows[world["unrecorded"]].is_quorate is None
    assert (report.quorate, report.inquorate, report.not_recorded) == (1, 1, 1)
    totals = {t.agency: t for t in report.totals}
    assert (totals[hampshire].meetings, totals[hampshire].attended, totals[hampshire].below_quorum) == (
        3,
        2,
        2,
    )
    # The rule is the panel's setting: one member each makes February quorate.
    irap.quorum_members_per_agency = 1
    irap.save()
    rows = {row.meeting: row for row in attendance.attendance_report(user=panel_admin).meetings}
    assert rows[world["february"]].is_quorate is True


def test_the_page_shows_the_figures_and_suppresses_small_counts(world, panel_admin):
    response = _client(panel_admin).get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Hampshire IRAP, 12 February 2026" in text and "Not quorate" in text
    assert 'data-figure="recommended">5<' in text
    assert "fewer than 5" in text  # the one decision recommended to the ICB
    assert "Hampshire JSP" not in text  # hosted by the ICB; Adam has no seat on it
    assert "Leicester JSP" not in text
    assert "19 February 2026" not in text and "9 April 2026" not in text


def test_the_csv_has_one_row_per_agency_per_meeting(world, panel_admin, hampshire):
    response = _client(panel_admin).get(reverse("reporting:attendance_csv"))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(_body(response).decode("utf-8-sig"))))
    assert {row["Meeting"] for row in rows} == {
        str(world[name].pk) for name in ("january", "february", "unrecorded")
    }
    february = next(
        r for r in rows if r["Meeting"] == str(world["february"].pk) and r["Agency"] == hampshire.name
    )
    assert (february["Present"], february["Apologies"], february["Agency quorate"]) == ("1", "1", "No")
    assert february["Decisions recommended to the agency"] == "5"
    assert AuditEvent.objects.filter(action="reports.attendance_exported", actor=panel_admin).count() == 1
    xlsx = _client(panel_admin).get(reverse("reporting:attendance_xlsx"))
    assert xlsx.status_code == 200 and _body(xlsx)[:2] == b"PK"


def test_a_panel_chair_sees_only_their_panels(world, panel_chair):
    report = attendance.attendance_report(user=panel_chair)
    assert {row.meeting.panel.name for row in report.meetings} == {"Hampshire IRAP"}
    report = attendance.attendance_report(user=world["jsp_chair"])
    assert [row.meeting for row in report.meetings] == [world["jsp"]]
    response = _client(world["jsp_chair"]).get(reverse("reporting:attendance_csv"))
    assert "Hampshire IRAP" not in _body(response).decode()


def test_a_manager_sees_the_partnership_s_panels_never_another_s(world, team_manager):
    panels = {row.meeting.panel.name for row in attendance.attendance_report(user=team_manager).meetings}
    assert panels == {"Hampshire IRAP", "Hampshire JSP"}


def test_another_partnership_sees_none_of_it(world, outsider, leics_admin):
    for person in (outsider, leics_admin):
        report = attendance.attendance_report(user=person)
        assert [row.meeting for row in report.meetings] == [world["leics"]]
        body = _body(_client(person).get(reverse("reporting:attendance_csv"))).decode()
        assert "Hampshire" not in body
        assert "Hampshire" not in _client(person).get(URL).content.decode()


@pytest.mark.parametrize("persona", ["social_worker", "council_member"])
def test_anyone_without_a_reporting_role_gets_a_404(world, persona, request):
    client = _client(request.getfixturevalue(persona))
    for url in (URL, reverse("reporting:attendance_csv"), reverse("reporting:attendance_xlsx")):
        assert client.get(url).status_code == 404
    assert Client().get(URL).status_code in (302, 404)


def test_another_partnership_s_panel_is_not_a_filter(world, panel_admin):
    response = _client(panel_admin).get(URL, {"panel": world["leics"].panel_id})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"month_from": "March"}, "month_from", "year and month"),
        ({"month_from": "2026-03", "month_to": "2026-01"}, "month_to", "same as or after"),
        ({"month_from": "2022-01", "month_to": "2026-02"}, "month_to", "24 months or fewer"),
    ],
)
def test_a_bad_filter_is_a_400_with_the_error_kept(world, panel_admin, params, field, message):
    response = _client(panel_admin).get(URL, params)
    assert response.status_code == 400
    text = response.content.decode()
    assert message in text and f"#id_{field}" in text
    assert f'value="{params[field]}"' in text


def test_filters_narrow_the_meetings(world, panel_admin):
    response = _client(panel_admin).get(URL, {"month_from": "2026-01", "month_to": "2026-01"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "8 January 2026" in text and "12 February 2026" not in text


def test_the_other_reports_link_here(world, panel_admin):
    text = _client(panel_admin).get(reverse("reporting:time_to_decision")).content.decode()
    assert f'href="{URL}"' in text


def test_the_page_s_queries_are_pinned_whatever_the_rows(
    world, panel_admin, irap, panel_chair, django_assert_max_num_queries
):
    """Session and user (2), the header's (notices, My work: 5), the filter's panels (1), meetings,
    seats, attendance, quorum agencies and recommendations (5): the same with 25 more meetings."""
    client = _client(panel_admin)
    client.get(URL)
    for day in range(25):
        meeting = MeetingFactory(panel=irap, date=D(2026, 1, 2) + dt.timedelta(days=day), status="held")
        attendance_for(meeting, panel_chair)
    with django_assert_max_num_queries(14):
        response = client.get(URL)
    assert response.status_code == 200
    assert len(attendance.attendance_report(user=panel_admin).meetings) >= 20


API = "/api/reports/attendance/"


def test_the_api_has_the_page_s_figures(world, panel_admin, hampshire, django_assert_max_num_queries):
    """The session and the person (2), the meetings, seats, attendance, quorum agencies and
    recommendations (5), the session saved and savepoints: a fixed number."""
    client = _client(panel_admin)
    client.get(API)
    with django_assert_max_num_queries(12):
        response = client.get(API)
    assert response.status_code == 200
    body = response.json()
    report = attendance.attendance_report(user=panel_admin)
    assert body["count"] == len(report.meetings) == 3
    assert [m["id"] for m in body["results"]] == [row.meeting.pk for row in report.meetings]
    february = next(m for m in body["results"] if m["id"] == world["february"].pk)
    assert february["quorate"] is False and february["decisions_recommended"] == {
        "value": 5,
        "suppressed": False,
    }
    council = next(a for a in february["agencies"] if a["agency"]["id"] == hampshire.pk)
    assert (council["present"], council["apologies"], council["quorum_met"]) == (1, 1, False)
    icb = next(a for a in february["agencies"] if a["agency"]["id"] != hampshire.pk)
    assert icb["decisions_recommended"] == {"value": None, "suppressed": True}
    totals = {t["agency"]["id"]: t for t in body["totals"]}
    assert totals[hampshire.pk]["below_quorum"] == 2


def test_the_api_names_a_bad_filter_and_hides_from_others(world, panel_admin, outsider, council_member):
    client = _client(panel_admin)
    assert client.get(API, {"month_from": "soon"}).status_code == 400
    wide = client.get(API, {"month_from": "2022-01", "month_to": "2026-02"})
    assert wide.status_code == 400 and "month_to" in wide.json()
    foreign = client.get(API, {"panel": world["leics"].panel_id})
    assert foreign.status_code == 400 and "panel" in foreign.json()
    assert _client(council_member).get(API).status_code == 404
    body = _client(outsider).get(API).json()
    assert [m["id"] for m in body["results"]] == [world["leics"].pk]
