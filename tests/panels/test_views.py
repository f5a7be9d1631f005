"""The panel and meeting pages, as people use them: through the test client, without JavaScript."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import URLPattern, reverse

from casework.models import AuditEvent
from panels import services
from panels.models import ClosureDay, Meeting, MeetingStatus, MemberRole, Membership
from panels.urls import urlpatterns
from referrals import services as referral_services
from tests.factories import MeetingFactory, PanelFactory, UserFactory

D = dt.date
TODAY = D(2026, 3, 2)


@pytest.fixture(autouse=True)
def monday_2_march_2026():
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0), tick=False):
        yield


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def panel(hampshire, hiow_icb):
    return PanelFactory(
        name="Hampshire IRAP",
        kind="irap",
        host_agency=hampshire,
        cadence_rule="monthly",
        cadence_weekday=3,
        cadence_week_of_month=2,
        meeting_location="Elizabeth II Court, Winchester",
        purpose="Agrees joint funding for children with complex needs.",
    )


@pytest.fixture
def meeting(panel):
    return MeetingFactory(
        panel=panel,
        date=D(2026, 3, 12),
        starts_at=dt.time(14, 0),
        ends_at=dt.time(15, 30),
        location="Room 4, Elizabeth II Court, Winchester",
    )


@pytest.fixture
def admin_client(administrator):
    return _client(administrator)


# --- Everyone in the partnership -----------------------------------------------------------------


def test_every_page_renders_for_a_hampshire_user(sam, panel, meeting):
    listing = sam.get(reverse("panels:list"))
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "Hampshire IRAP" in page
    assert "Monthly on the second Thursday, 14:00 to 15:30" in page
    assert "12 March 2026" in page  # next meeting

    detail = sam.get(reverse("panels:detail", args=[panel.pk])).content.decode()
    assert "Agrees joint funding" in detail
    assert "7 working days before the meeting" in detail
    assert "3 working days after the meeting" in detail
    assert "Papers due" in detail and "Tue 3 Mar 2026" in detail  # 7 working days before 12 March
    assert "Change settings" not in detail and "Add a member" not in detail

    calendar = sam.get(reverse("panels:meetings")).content.decode()
    assert "Thu 12 Mar 2026" in calendar and "Hampshire IRAP" in calendar

    shown = sam.get(reverse("panels:meeting", args=[meeting.pk])).content.decode()
    assert "Thursday 12 March 2026" in shown
    assert "14:00 to 15:30" in shown
    assert "Room 4, Elizabeth II Court" in shown
    assert reverse("panels:meeting_calendar", args=[meeting.pk]) in shown
    assert "Move this meeting" not in shown and "Cancel this meeting" not in shown

    ics = sam.get(reverse("panels:meeting_calendar", args=[meeting.pk]))
    assert ics.status_code == 200


def test_the_navigation_marks_panels_as_current(sam, panel):
    page = sam.get(reverse("panels:detail", args=[panel.pk])).content.decode()
    assert '<strong class="govuk-service-navigation__active-fallback">Panels</strong>' in page


def test_settings_summary_and_review_overdue(sam, panel, hiow_icb, hampshire):
    panel.terms_of_reference_url = "https://intranet.example/irap-tor.pdf"
    panel.terms_of_reference_review_date = D(2026, 1, 31)
    panel.save()
    panel.quorum_agencies.set([hampshire, hiow_icb])
    page = sam.get(reverse("panels:detail", args=[panel.pk])).content.decode()
    assert "Review overdue" in page
    assert "https://intranet.example/irap-tor.pdf" in page
    assert (
        "At least 2 members from each of: Hampshire County Council Children&#x27;s Services; "
        "NHS Hampshire and Isle of Wight ICB" in page
    )
    panel.terms_of_reference_review_date = D(2026, 9, 30)
    panel.save()
    assert "Review overdue" not in sam.get(reverse("panels:detail", args=[panel.pk])).content.decode()


def test_members_and_closure_days_are_listed(sam, panel, administrator, team_manager, clinician):
    chair = services.membership_add(
        actor=administrator, panel=panel, person=team_manager, role=MemberRole.CHAIR, starts_on=D(2025, 4, 1)
    )
    services.membership_add(
        actor=administrator, panel=panel, person=clinician, role=MemberRole.MEMBER, deputy_for=chair
    )
    services.closure_day_add(
        actor=administrator, panel=panel, day=D(2026, 12, 29), reason="Christmas shutdown"
    )
    page = sam.get(reverse("panels:detail", args=[panel.pk])).content.decode()
    assert "Tara Bell" in page and "Nadia Khan" in page and "Chair" in page
    assert "NHS Hampshire and Isle of Wight ICB" in page
    assert "1 Apr 2025" in page
    assert "Tuesday 29 December 2026: Christmas shutdown" in page


def test_non_administrators_get_the_403_page_on_admin_actions(
    sam, panel, meeting, administrator, team_manager
):
    seat = services.membership_add(actor=administrator, panel=panel, person=team_manager, role="member")
    closure = services.closure_day_add(actor=administrator, panel=panel, day=D(2026, 12, 29))
    for url in _admin_urls(panel, meeting, seat, closure):
        assert sam.get(url).status_code == 403, url
        assert sam.post(url, {"reason": "x", "version": meeting.version}).status_code == 403, url
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.SCHEDULED
    assert ClosureDay.objects.filter(pk=closure.pk).exists()


def _admin_urls(panel, meeting, seat, closure) -> list[str]:
    return [
        reverse("panels:settings", args=[panel.pk]),
        reverse("panels:member_add", args=[panel.pk]),
        reverse("panels:member_end", args=[panel.pk, seat.pk]),
        reverse("panels:closure_day_add", args=[panel.pk]),
        reverse("panels:closure_day_remove", args=[panel.pk, closure.pk]),
        reverse("panels:meetings_generate", args=[panel.pk]),
        reverse("panels:meeting_schedule", args=[panel.pk]),
        reverse("panels:meeting_move", args=[meeting.pk]),
        reverse("panels:meeting_cancel", args=[meeting.pk]),
    ]


# --- Administrators ------------------------------------------------------------------------------


def test_administrator_sees_the_admin_links_and_forms(
    admin_client, panel, meeting, administrator, team_manager
):
    seat = services.membership_add(actor=administrator, panel=panel, person=team_manager, role="member")
    closure = services.closure_day_add(actor=administrator, panel=panel, day=D(2026, 12, 29))
    page = admin_client.get(reverse("panels:detail", args=[panel.pk])).content.decode()
    for url in _admin_urls(panel, meeting, seat, closure)[:7]:
        assert url in page
    shown = admin_client.get(reverse("panels:meeting", args=[meeting.pk])).content.decode()
    assert reverse("panels:meeting_move", args=[meeting.pk]) in shown
    assert reverse("panels:meeting_cancel", args=[meeting.pk]) in shown
    for url in _admin_urls(panel, meeting, seat, closure):
        assert admin_client.get(url).status_code == 200, url


def _settings_data(panel, **changes) -> dict:
    data = {
        "name": panel.name,
        "kind": panel.kind,
        "purpose": panel.purpose,
        "terms_of_reference_url": "",
        "terms_of_reference_review_date": "",
        "cadence_rule": "monthly",
        "cadence_weekday": "3",
        "cadence_week_of_month": "2",
        "cadence_interval_weeks": "4",
        "cadence_anchor": "",
        "meeting_starts_at": "14:00",
        "meeting_ends_at": "15:30",
        "meeting_location": panel.meeting_location,
        "papers_due_working_days": "7",
        "circulation_working_days": "5",
        "decision_letter_working_days": "3",
        "minutes_working_days": "3",
        "absent_agency_response_working_days": "3",
        "papers_reminder_working_days": "3",
        "sign_off_reminder_working_days": "2",
        "review_reminder_days": "28",
        "quorum_members_per_agency": "2",
        "quorum_agencies": [],
    }
    data.update(changes)
    return data


def test_settings_form_shows_the_current_settings(admin_client, panel):
    page = admin_client.get(reverse("panels:settings", args=[panel.pk])).content.decode()
    assert 'type="radio"' in page and 'value="monthly" checked' in page
    assert 'name="meeting_starts_at" value="14:00"' in page
    assert 'inputmode="numeric"' in page
    assert "NHS Hampshire and Isle of Wight ICB" in page  # a quorum agency to tick
    assert "Leicester" not in page


def test_change_settings_with_an_error_then_fixed(admin_client, panel, hampshire, hiow_icb, leicester):
    url = reverse("panels:settings", args=[panel.pk])
    wrong = _settings_data(
        panel,
        meeting_starts_at="15:00",
        meeting_ends_at="14:00",
        papers_due_working_days="10",
        meeting_location="Civic Offices, Winchester",
        quorum_agencies=[str(hampshire.pk), str(hiow_icb.pk)],
    )
    response = admin_client.post(url, wrong)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "The meeting must end after it starts" in page
    assert 'id="id_meeting_ends_at-error"' in page  # next to the field
    assert 'value="Civic Offices, Winchester"' in page  # what was typed is kept
    assert 'name="papers_due_working_days" value="10"' in page
    panel.refresh_from_db()
    assert panel.papers_due_working_days == 7

    too_many = admin_client.post(url, {**wrong, "meeting_starts_at": "13:00", "minutes_working_days": "99"})
    assert "must be 60 or fewer" in too_many.content.decode()
    # An agency of another partnership is not a choice.
    outside = admin_client.post(
        url, {**wrong, "meeting_starts_at": "13:00", "quorum_agencies": [leicester.pk]}
    )
    assert "Select a valid choice" in outside.content.decode()

    # Fixed by putting the times back (changing them is test_changing_meeting_times_is_audited).
    fixed = admin_client.post(
        url,
        {**wrong, "meeting_starts_at": "14:00", "meeting_ends_at": "15:30", "cadence_week_of_month": "-1"},
    )
    assert fixed.status_code == 302
    panel.refresh_from_db()
    assert panel.papers_due_working_days == 10
    assert panel.meeting_location == "Civic Offices, Winchester"
    assert panel.cadence == "Monthly on the last Thursday, 14:00 to 15:30"
    assert set(panel.quorum_agencies.all()) == {hampshire, hiow_icb}
    page = admin_client.get(fixed.url).content.decode()
    assert "Panel settings saved" in page and "10 working days before the meeting" in page
    assert AuditEvent.objects.filter(action="panel.settings_changed").count() == 1


def test_changing_meeting_times_is_audited(admin_client, panel):
    url = reverse("panels:settings", args=[panel.pk])
    response = admin_client.post(
        url, _settings_data(panel, meeting_starts_at="12:30", meeting_ends_at="14:00")
    )
    assert response.status_code == 302
    panel.refresh_from_db()
    assert panel.cadence == "Monthly on the second Thursday, 12:30 to 14:00"


def test_add_member_and_end_membership(admin_client, panel, team_manager, outsider):
    url = reverse("panels:member_add", args=[panel.pk])
    form = admin_client.get(url).content.decode()
    assert "Tara Bell" in form and "Olive Stranger" not in form
    missing = admin_client.post(url, {"person": "", "role": ""})
    assert "There is a problem" in missing.content.decode()
    response = admin_client.post(url, {"person": team_manager.pk, "role": "chair", "starts_on": "01/03/2026"})
    assert response.status_code == 302
    seat = Membership.objects.get(panel=panel, person=team_manager)
    assert (seat.role, seat.starts_on, seat.agency_id) == ("chair", D(2026, 3, 1), team_manager.agency_id)
    again = admin_client.post(url, {"person": team_manager.pk, "role": "member"})
    assert "already a member" in again.content.decode()

    end_url = reverse("panels:member_end", args=[panel.pk, seat.pk])
    too_early = admin_client.post(end_url, {"ends_on": "01/01/2026"})
    assert "on or after the start date" in too_early.content.decode()
    assert admin_client.post(end_url, {"ends_on": "31/03/2026"}).status_code == 302
    seat.refresh_from_db()
    assert seat.ends_on == D(2026, 3, 31)
    # Ending it again is a conflict, not a silent success.
    assert admin_client.post(end_url, {"ends_on": ""}).status_code == 409


def test_add_and_remove_a_closure_day(admin_client, panel, meeting):
    url = reverse("panels:closure_day_add", args=[panel.pk])
    response = admin_client.post(url, {"day": "10/03/2026", "reason": "Office move"})
    assert response.status_code == 302
    closure = ClosureDay.objects.get(panel=panel)
    assert (closure.day, closure.reason) == (D(2026, 3, 10), "Office move")
    # The meeting's papers deadline now skips the closure day.
    page = admin_client.get(reverse("panels:meeting", args=[meeting.pk])).content.decode()
    assert "Monday 2 March 2026" in page  # papers due: 7 working days before 12 March, skipping 10 March
    duplicate = admin_client.post(url, {"day": "10/03/2026"})
    # Refused with an error on the page (the service's own wording waits on closure_day_add's
    # full_clean skipping the constraint check: see the report).
    assert "There is a problem" in duplicate.content.decode()
    assert "already" in duplicate.content.decode()
    assert ClosureDay.objects.filter(panel=panel).count() == 1
    assert "Enter a real date" in admin_client.post(url, {"day": "31/02/2026"}).content.decode()

    remove = reverse("panels:closure_day_remove", args=[panel.pk, closure.pk])
    assert "Remove 10 March 2026 as a closure day?" in admin_client.get(remove).content.decode()
    assert admin_client.post(remove).status_code == 302
    assert not ClosureDay.objects.exists()


def test_generate_meetings(admin_client, panel):
    url = reverse("panels:meetings_generate", args=[panel.pk])
    form = admin_client.get(url).content.decode()
    assert 'value="02/03/2027"' in form  # 12 months ahead by default
    in_the_past = admin_client.post(url, {"until": "01/01/2026"})
    assert "Choose a date in the future" in in_the_past.content.decode()
    response = admin_client.post(url, {"until": "30/06/2026"})
    assert response.status_code == 302
    assert list(Meeting.objects.filter(panel=panel).values_list("date", flat=True)) == [
        D(2026, 3, 12),
        D(2026, 4, 9),
        D(2026, 5, 14),
        D(2026, 6, 11),
    ]
    assert "4 meetings scheduled" in admin_client.get(response.url).content.decode()


def test_schedule_a_one_off_meeting(admin_client, panel):
    url = reverse("panels:meeting_schedule", args=[panel.pk])
    bad = admin_client.post(url, {"date": "20/03/2026", "starts_at": "2pm"})
    assert "Enter a time on the 24-hour clock" in bad.content.decode()
    response = admin_client.post(url, {"date": "20/03/2026", "starts_at": "10:00", "ends_at": "11:00"})
    assert response.status_code == 302
    extra = Meeting.objects.get(panel=panel)
    assert (extra.date, extra.starts_at, extra.location) == (
        D(2026, 3, 20),
        dt.time(10),
        "Elizabeth II Court, Winchester",
    )
    assert response.url == reverse("panels:meeting", args=[extra.pk])
    clash = admin_client.post(url, {"date": "20/03/2026"})
    assert "already meets that day" in clash.content.decode()


def test_move_a_meeting_with_a_reason(admin_client, meeting):
    url = reverse("panels:meeting_move", args=[meeting.pk])
    form = admin_client.get(url).content.decode()
    assert 'type="hidden" name="version" value="1"' in form
    no_reason = admin_client.post(url, {"version": 1, "date": "19/03/2026", "reason": ""})
    assert "Enter the reason for the move" in no_reason.content.decode()
    holiday = admin_client.post(url, {"version": 1, "date": "03/04/2026", "reason": "Chair away"})
    assert "Choose a working day" in holiday.content.decode()  # Good Friday
    assert 'value="Chair away"' not in holiday.content.decode()  # a textarea keeps it as text
    assert "Chair away</textarea>" in holiday.content.decode()

    response = admin_client.post(
        url,
        {
            "version": 1,
            "date": "19/03/2026",
            "starts_at": "10:00",
            "ends_at": "11:30",
            "reason": "Chair away",
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.date, meeting.moved_from, meeting.starts_at, meeting.version) == (
        D(2026, 3, 19),
        D(2026, 3, 12),
        dt.time(10),
        2,
    )
    page = admin_client.get(reverse("panels:meeting", args=[meeting.pk])).content.decode()
    assert "Moved from Thursday 12 March 2026: Chair away" in page
    assert "10:00 to 11:30" in page


def test_cancel_a_meeting(admin_client, sam, meeting):
    url = reverse("panels:meeting_cancel", args=[meeting.pk])
    assert admin_client.post(url, {"version": 1, "reason": " "}).status_code == 200
    response = admin_client.post(url, {"version": 1, "reason": "Not quorate"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    page = sam.get(reverse("panels:meeting", args=[meeting.pk])).content.decode()
    assert "This meeting has been cancelled: Not quorate" in page
    assert "govuk-tag--red" in page
    ics = sam.get(reverse("panels:meeting_calendar", args=[meeting.pk])).content.decode()
    assert "STATUS:CANCELLED\r\n" in ics and "SEQUENCE:2\r\n" in ics
    # A cancelled meeting cannot be moved or cancelled again.
    assert admin_client.get(reverse("panels:meeting_move", args=[meeting.pk])).status_code == 409
    assert admin_client.post(url, {"version": 2, "reason": "Again"}).status_code == 409


def test_a_stale_version_is_the_409_page(admin_client, meeting, administrator):
    # Another administrator moves the meeting while this one has the cancel page open at version 1.
    services.meeting_move(actor=administrator, meeting=meeting, version=1, date=D(2026, 3, 19), reason="Room")
    response = admin_client.post(
        reverse("panels:meeting_cancel", args=[meeting.pk]), {"version": 1, "reason": "Clash"}
    )
    assert response.status_code == 409
    assert "Someone else changed or cancelled this meeting" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.SCHEDULED
    moved = admin_client.post(
        reverse("panels:meeting_move", args=[meeting.pk]),
        {"version": 1, "date": "26/03/2026", "reason": "Clash"},
    )
    assert moved.status_code == 409
    meeting.refresh_from_db()
    assert meeting.date == D(2026, 3, 19)


# --- The outsider --------------------------------------------------------------------------------

MEETING_URLS = {"meeting", "meeting_calendar", "meeting_move", "meeting_cancel"}


def test_outsider_gets_404_on_every_url(client, outsider, panel, meeting, administrator, team_manager):
    seat = services.membership_add(actor=administrator, panel=panel, person=team_manager, role="member")
    closure = services.closure_day_add(actor=administrator, panel=panel, day=D(2026, 12, 29))
    client.force_login(outsider)
    checked = 0
    # The panel and meeting pages; each other part (agenda, running, minutes ...) tests its own.
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        if pattern.callback.__module__ != "panels.views.meetings":
            continue
        if "pk" not in pattern.pattern.converters:
            page = client.get(reverse(f"panels:{pattern.name}")).content.decode()
            assert "Hampshire IRAP" not in page
            continue
        kwargs = {"pk": meeting.pk if pattern.name in MEETING_URLS else panel.pk}
        if "membership_pk" in pattern.pattern.converters:
            kwargs["membership_pk"] = seat.pk
        if "closure_pk" in pattern.pattern.converters:
            kwargs["closure_pk"] = closure.pk
        url = reverse(f"panels:{pattern.name}", kwargs=kwargs)
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"version": 1, "reason": "x", "until": "01/06/2026"}).status_code == 404, url
        checked += 1
    assert checked == 12
    # Filtering the list by another partnership's panel shows nothing of it.
    page = client.get(reverse("panels:meetings"), {"panel": panel.pk}).content.decode()
    assert "Hampshire IRAP" not in page and "Thu 12 Mar 2026" not in page
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.SCHEDULED and meeting.version == 1
    assert Meeting.objects.count() == 1 and ClosureDay.objects.count() == 1


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "99999999999999999999", "1.5"])
def test_ids_that_are_not_records_are_404(sam, panel, bad):
    assert sam.get(reverse("panels:detail", args=[bad])).status_code == 404
    assert sam.get(reverse("panels:meeting", args=[bad])).status_code == 404
    assert sam.get(reverse("panels:meeting_calendar", args=[bad])).status_code == 404


# --- The calendar file ---------------------------------------------------------------------------


def test_ics_is_a_valid_calendar_without_child_details(sam, panel, meeting, child, social_worker, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "casework.example.org"]
    referral_services.referral_create(actor=social_worker, child=child, panel=panel, pathway="joint_package")
    panel.name = "Hampshire IRAP; joint, health and care, with a long name to fold past seventy-five octets"
    panel.save()
    response = sam.get(
        reverse("panels:meeting_calendar", args=[meeting.pk]), HTTP_HOST="casework.example.org"
    )
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="meeting-{meeting.pk}.ics"'
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    physical = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in physical)
    # Unfold (RFC 5545 3.1) and read the properties.
    lines = raw.decode().replace("\r\n ", "").split("\r\n")[:-1]
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"]
    assert "BEGIN:VEVENT" in lines and "END:VEVENT" in lines
    assert lines.index("BEGIN:VTIMEZONE") < lines.index("BEGIN:VEVENT")
    assert "TZID:Europe/London" in lines
    assert "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU" in lines
    assert "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU" in lines
    assert "DTSTART;TZID=Europe/London:20260312T140000" in lines
    assert "DTEND;TZID=Europe/London:20260312T153000" in lines
    assert f"UID:meeting-{meeting.pk}@casework.example.org" in lines
    assert "DTSTAMP:20260302T090000Z" in lines
    assert (
        "SUMMARY:Hampshire IRAP\\; joint\\, health and care\\, with a long name to fold past seventy-five octets"
        in lines
    )
    assert "LOCATION:Room 4\\, Elizabeth II Court\\, Winchester" in lines
    assert "DESCRIPTION:OFFICIAL-SENSITIVE: papers in the casework service" in lines
    assert "SEQUENCE:1" in lines and "STATUS:CONFIRMED" in lines
    text = raw.decode()
    assert "Amelia" not in text and "Hart" not in text


def test_ics_folding_keeps_multibyte_characters_whole():
    from panels.ics import ics_fold, ics_text

    assert ics_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"
    line = "SUMMARY:" + "é" * 60
    folded = ics_fold(line)
    parts = folded.encode().split(b"\r\n")
    assert all(len(part) <= 75 for part in parts)
    assert all(part.decode() for part in parts)  # each part is valid UTF-8 on its own
    assert folded.replace("\r\n ", "") == line


# --- Lists and query counts ----------------------------------------------------------------------


def test_meetings_list_filters_by_panel_and_paginates(sam, panel, hampshire):
    other = PanelFactory(name="Hampshire Joint Solutions Panel", host_agency=hampshire)
    start = D(2026, 3, 3)
    for n in range(30):
        MeetingFactory(panel=panel if n % 2 else other, date=start + dt.timedelta(days=n))
    MeetingFactory(panel=panel, date=D(2026, 2, 1))  # past: not listed
    response = sam.get(reverse("panels:meetings"))
    assert response.context["page"].paginator.count == 30
    assert len(response.context["page"].object_list) == 25
    assert "page=2" in response.content.decode()
    only = sam.get(reverse("panels:meetings"), {"panel": panel.pk})
    assert only.context["page"].paginator.count == 15
    assert {m.panel_id for m in only.context["page"]} == {panel.pk}
    assert f"panel={panel.pk}&amp;page=2" not in only.content.decode()  # one page only
    assert sam.get(reverse("panels:meetings"), {"panel": "nonsense"}).status_code == 200


def test_panel_page_query_count_is_flat(
    admin_client, panel, administrator, hiow_icb, hampshire, django_assert_max_num_queries
):
    for n in range(10):
        person = UserFactory(agency=hampshire if n % 2 else hiow_icb)
        services.membership_add(actor=administrator, panel=panel, person=person, role="member")
    services.meetings_generate(actor=administrator, panel=panel, until=D(2027, 2, 28))
    services.closure_day_add(actor=administrator, panel=panel, day=D(2026, 12, 29))
    panel.quorum_agencies.set([hampshire, hiow_icb])
    assert Meeting.objects.filter(panel=panel).count() == 12
    # session, user with agency, the request's savepoint, panel, closure days (once, for every
    # meeting's deadlines), upcoming meetings, quorum agencies, members with person, agency and
    # deputy joined, the header's unread-notices count, release, session save (savepoint, update,
    # release): 13, none per member or per meeting (can_administer needs no query for the host
    # agency's panel administrator)
    with django_assert_max_num_queries(13):
        response = admin_client.get(reverse("panels:detail", args=[panel.pk]))
    assert len(response.context["meetings"]) == 12
    assert len(response.context["members"]) == 10


def test_meetings_list_query_count_is_flat(sam, panel, hampshire, django_assert_max_num_queries):
    other = PanelFactory(name="Hampshire Joint Solutions Panel", host_agency=hampshire)
    for n in range(30):
        MeetingFactory(panel=panel if n % 2 else other, date=D(2026, 3, 3) + dt.timedelta(days=n))
    ClosureDay.objects.create(panel=panel, day=D(2026, 3, 20))
    # session, user with agency, savepoint, count, one page of meetings with their panel, the
    # closure days of the page's panels (one query for all), the unread-notices count, the panels
    # for the filter, release, session save (savepoint, update, release): 12, none per meeting
    with django_assert_max_num_queries(12):
        response = sam.get(reverse("panels:meetings"))
    assert len(response.context["page"].object_list) == 25
