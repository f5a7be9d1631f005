"""The pack's page, download and API: the papers' holders download it stamped with their name, the
administrators make new versions, everyone else in the partnership is refused and the outsider
gets 404."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from casework.models import AuditEvent
from panels.models import MeetingPack, PapersGrant
from tests.panels.conftest import at
from tests.panels.test_pack import on_agenda


@pytest.fixture
def made(irap_meeting, make_submitted, panel_admin, client, django_capture_on_commit_callbacks):
    on_agenda(make_submitted(), irap_meeting, panel_admin, 1)
    client.force_login(panel_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("panels:pack_make", args=[irap_meeting.pk]))
    assert response.status_code == 302
    client.logout()
    return MeetingPack.objects.get(meeting=irap_meeting)


@pytest.fixture
def member_with_papers(irap_meeting, icb_member):
    PapersGrant.objects.create(
        meeting=irap_meeting,
        person=icb_member,
        reason="member",
        starts_at=at(dt.date(2026, 3, 1)),
        ends_at=at(dt.date(2026, 4, 10), 0, 0),
    )
    return icb_member


def test_a_member_with_the_papers_downloads_the_pack_with_their_name(
    made, irap_meeting, member_with_papers, client
):
    client.force_login(member_with_papers)
    page = client.get(reverse("panels:pack", args=[irap_meeting.pk]))
    assert page.status_code == 200 and "Download the pack" in page.content.decode()
    response = client.get(reverse("panels:pack_download", args=[irap_meeting.pk, made.version]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert "Downloaded by Irene Grant" in reader.pages[0].extract_text()
    assert AuditEvent.objects.filter(action="meeting.pack_downloaded", actor=member_with_papers).exists()


def test_after_the_meeting_the_members_pack_is_gone_but_the_chairs_is_not(
    made, irap_meeting, member_with_papers, panel_chair, client, clock
):
    PapersGrant.objects.create(
        meeting=irap_meeting,
        person=panel_chair,
        reason="chair",
        starts_at=at(dt.date(2026, 3, 1)),
        ends_at=None,
    )
    clock.move_to(at(dt.date(2026, 4, 10)), tick=False)
    download = reverse("panels:pack_download", args=[irap_meeting.pk, made.version])
    client.force_login(member_with_papers)
    assert client.get(download).status_code == 404
    assert client.get(reverse("api-meeting-pack", args=[irap_meeting.pk])).status_code == 404
    client.force_login(panel_chair)
    assert client.get(download).status_code == 200


def test_a_pack_being_made_shows_its_progress_and_refreshes(
    irap_meeting, make_submitted, panel_admin, client
):
    on_agenda(make_submitted(), irap_meeting, panel_admin, 1)
    client.force_login(panel_admin)
    client.post(reverse("panels:pack_make", args=[irap_meeting.pk]))  # queued: no commit in this test
    page = client.get(reverse("panels:pack", args=[irap_meeting.pk])).content.decode()
    assert "is being made: 0 of 1 agenda item done" in page
    assert 'http-equiv="refresh"' in page


def test_members_without_papers_are_refused_and_the_outsider_sees_nothing(
    made, irap_meeting, council_member, outsider, client
):
    urls = [
        reverse("panels:pack", args=[irap_meeting.pk]),
        reverse("panels:pack_download", args=[irap_meeting.pk, made.version]),
        reverse("api-meeting-pack", args=[irap_meeting.pk]),
        reverse("api-meeting-pack-download", args=[irap_meeting.pk, made.version]),
    ]
    client.force_login(council_member)  # seated, but holds no papers grant
    assert [client.get(url).status_code for url in urls] == [404, 404, 404, 404]
    assert client.post(reverse("panels:pack_make", args=[irap_meeting.pk])).status_code == 403
    client.force_login(outsider)
    assert [client.get(url).status_code for url in urls] == [404, 404, 404, 404]
    assert client.post(reverse("panels:pack_make", args=[irap_meeting.pk])).status_code == 404
    assert client.post(reverse("api-meeting-pack", args=[irap_meeting.pk])).status_code == 404


@pytest.mark.parametrize("version", ["0", "abc", "99", "-1"])
def test_versions_that_are_not_there_are_404(made, irap_meeting, panel_admin, client, version):
    client.force_login(panel_admin)
    assert client.get(reverse("panels:pack_download", args=[irap_meeting.pk, version])).status_code == 404


def test_the_api_reports_the_pack(made, irap_meeting, member_with_papers, client):
    client.force_login(member_with_papers)
    body = client.get(reverse("api-meeting-pack", args=[irap_meeting.pk])).json()
    assert body["status"] == "ready" and body["version"] == 1 and body["page_count"] == made.page_count
    download = client.get(reverse("api-meeting-pack-download", args=[irap_meeting.pk, 1]))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
