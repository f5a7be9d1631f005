"""The panel view of My work (/my-work/panels/, issue 16): the next meetings of the panels a person
runs, with what is missing for each. The clock is Monday 2 March 2026; Hampshire IRAP meets on
Thursday 9 April (papers due Friday 27 March, circulated by Tuesday 31 March) and is quorate with
two members from each of the council and the ICB."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from panels.models import Attendance, Membership
from panels.selectors.upcoming import upcoming_meetings
from tests.factories import MeetingFactory, PanelFactory

D = dt.date


def test_next_meeting_with_what_is_missing(
    client, irap, irap_meeting, submitted_referral, icb_member, panel_admin
):
    seat = Membership.objects.get(panel=irap, person=icb_member)
    Attendance.objects.create(
        meeting=irap_meeting, membership=seat, status="apologies", recorded_by=panel_admin
    )
    (ready,) = upcoming_meetings(user=panel_admin)
    assert ready.meeting == irap_meeting and ready.missing
    assert not ready.circulated and ready.circulation_due == D(2026, 3, 31) and not ready.circulation_overdue
    assert ready.not_listed == 1 and ready.papers_due == D(2026, 3, 27)
    assert [a.membership.person for a in ready.apologies] == [icb_member]
    (risk,) = ready.quorum_risks
    assert risk.agency.name == "NHS Hampshire and Isle of Wight ICB" and (risk.able, risk.required) == (1, 2)
    client.force_login(panel_admin)
    body = client.get(reverse("my_work_panels")).content.decode()
    assert "Not circulated: due by Tuesday 31 March 2026" in body
    assert "1 submitted referral not yet on the agenda" in body
    assert "Irene Grant (NHS Hampshire and Isle of Wight ICB)" in body
    assert "NHS Hampshire and Isle of Wight ICB: 1 member able to attend, 2 needed" in body
    assert reverse("my_work_panels") in client.get(reverse("my_work")).content.decode()


def test_a_ready_meeting_says_so(irap, irap_meeting, panel_chair):
    irap_meeting.circulated_at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    irap_meeting.save(update_fields=["circulated_at"])
    (ready,) = upcoming_meetings(user=panel_chair)
    assert not ready.missing and ready.quorum_risks == []


def test_other_panels_never_appear(
    client, irap, irap_meeting, panel_admin, outsider, leicester, social_worker
):
    other = MeetingFactory(
        panel=PanelFactory(name="Leicester JSP", host_agency=leicester), date=D(2026, 3, 20)
    )
    assert [r.meeting for r in upcoming_meetings(user=panel_admin)] == [irap_meeting]
    assert upcoming_meetings(user=outsider) == []  # a Leicester service manager runs no panel
    assert upcoming_meetings(user=social_worker) == []
    client.force_login(outsider)
    body = client.get(reverse("my_work_panels")).content.decode()
    assert "No meeting of a panel you run" in body and "Leicester JSP" not in body
    assert other.pk


def test_query_count_fixed_whatever_the_number_of_meetings(
    client, irap, panel_admin, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    MeetingFactory(panel=irap, date=D(2026, 3, 3))
    client.force_login(panel_admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("my_work_panels"))
    for n in range(1, 21):
        MeetingFactory(panel=irap, date=D(2026, 3, 3) + dt.timedelta(days=n))
    # session, user, the meetings with their counts, closure days, seats, quorum agencies,
    # apologies, and the header's counts: the same for 21 meetings as for one.
    with django_assert_max_num_queries(len(few)):
        page = client.get(reverse("my_work_panels"))
    assert len(page.context["meetings"]) == 21
