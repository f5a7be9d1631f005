"""The pack's page, download and API: the papers' holders download it stamped with their name, the
administrators make new versions, everyone else in the partnership is refused and the outsider
gets 404."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from casework import outbox
from casework.models import AuditEvent, BackgroundJob, JobStatus
from casework.tasks import run_job
from panels import services
from panels.jobs import PACK_BUILD
from panels.models import MeetingPack, PackStatus, PapersGrant
from tests.panels.conftest import D, at
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
    irap_meeting, make_submitted, panel_admin, client, clock
):
    on_agenda(make_submitted(), irap_meeting, panel_admin, 1)
    client.force_login(panel_admin)
    client.post(reverse("panels:pack_make", args=[irap_meeting.pk]))  # queued: no commit in this test
    page = client.get(reverse("panels:pack", args=[irap_meeting.pk])).content.decode()
    assert "Version 1 is waiting to be made (asked for at 09:30)" in page
    assert "0 of 1 agenda item done" in page and 'http-equiv="refresh"' in page
    assert "Make a new version" not in page

    pack = MeetingPack.objects.get(meeting=irap_meeting)
    job = BackgroundJob.objects.get(kind=PACK_BUILD, object_id=pack.pk)
    outbox.claim(job_id=job.pk)  # a worker took it
    MeetingPack.objects.filter(pk=pack.pk).update(status=PackStatus.BUILDING, started_at=timezone.now())
    page = client.get(reverse("panels:pack", args=[irap_meeting.pk])).content.decode()
    assert "Version 1 is being made: 0 of 1 agenda item done" in page and "attempt" not in page


def pack_page(client, meeting) -> str:
    return " ".join(client.get(reverse("panels:pack", args=[meeting.pk])).content.decode().split())


def test_the_page_says_a_build_stopped_and_was_started_again(
    irap_meeting, make_submitted, panel_admin, client, clock, django_capture_on_commit_callbacks
):
    on_agenda(make_submitted(), irap_meeting, panel_admin, 1)
    with django_capture_on_commit_callbacks(execute=False):
        pack = services.pack_request(actor=panel_admin, meeting=irap_meeting)
    job = BackgroundJob.objects.get(kind=PACK_BUILD, object_id=pack.pk)
    client.force_login(panel_admin)
    # The first worker claims it, builds one item, and dies at 09:31.
    outbox.claim(job_id=job.pk)
    MeetingPack.objects.filter(pk=pack.pk).update(status=PackStatus.BUILDING, started_at=timezone.now())
    clock.shift(dt.timedelta(minutes=1))
    outbox.Lease(job_id=job.pk, attempt=1, handler=outbox.get_handler(PACK_BUILD)).renew()
    clock.shift(dt.timedelta(seconds=91))
    page = pack_page(client, irap_meeting)
    assert "Version 1 stopped being made at 09:31 (0 of 1 agenda item done)" in page
    assert "it will be started again" in page and 'http-equiv="refresh"' in page

    # The relay's run takes it over at 10:04 (its build is under way when the page is read).
    clock.move_to(at(D(2026, 3, 2), 10, 4), tick=False)
    client.force_login(panel_admin)  # signed in again after the idle time
    taker = outbox.claim(job_id=job.pk)
    MeetingPack.objects.filter(pk=pack.pk).update(
        status=PackStatus.BUILDING, started_at=timezone.now(), error=""
    )
    assert taker.attempt == 2
    page = pack_page(client, irap_meeting)
    assert (
        "Building (attempt 2: the first build stopped, started again at 10:04): 0 of 1 agenda item done."
        in page
    )

    # That attempt fails; the job waits before its third.
    MeetingPack.objects.filter(pk=pack.pk).update(
        status=PackStatus.QUEUED, error="The paper could not be read"
    )
    BackgroundJob.objects.filter(pk=job.pk).update(
        status=JobStatus.WAITING, not_before=at(D(2026, 3, 2), 10, 6), lease_expires_at=None
    )
    page = pack_page(client, irap_meeting)
    assert (
        "Attempt 2 to make version 1 did not finish: The paper could not be read. "
        "It will be tried again at 10:06." in page
    )
    clock.move_to(at(D(2026, 3, 2), 10, 6), tick=False)
    outbox.claim(job_id=job.pk)
    MeetingPack.objects.filter(pk=pack.pk).update(status=PackStatus.BUILDING, started_at=timezone.now())
    page = pack_page(client, irap_meeting)
    assert (
        "Building (attempt 3: the last build failed: The paper could not be read; started again at 10:06)"
        in page
    )


def test_a_pack_that_fails_every_attempt_says_so_and_is_tried_again_from_the_page(
    irap_meeting,
    make_submitted,
    panel_admin,
    client,
    clock,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    on_agenda(make_submitted(), irap_meeting, panel_admin, 1)  # its paper not rendered yet
    working_storage = settings.PRIVATE_STORAGE_ROOT
    broken = tmp_path / "not-a-folder"
    broken.write_text("")
    settings.PRIVATE_STORAGE_ROOT = broken  # the file store is unusable: every attempt fails
    client.force_login(panel_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("panels:pack_make", args=[irap_meeting.pk]))
    pack = MeetingPack.objects.get(meeting=irap_meeting)
    job = BackgroundJob.objects.get(kind=PACK_BUILD, object_id=pack.pk)
    assert (job.status, job.attempts) == (JobStatus.WAITING, 1)
    page = pack_page(client, irap_meeting)
    assert (
        "Attempt 1 to make version 1 did not finish: The file store could not be used: Not a directory. "
        "It will be tried again at 09:30." in page
    )
    clock.shift(dt.timedelta(seconds=31))
    assert run_job(job.pk) == "retry"
    clock.shift(dt.timedelta(seconds=61))
    assert run_job(job.pk) == "failed"
    assert MeetingPack.objects.get(pk=pack.pk).status == PackStatus.FAILED
    page = pack_page(client, irap_meeting)
    assert "Version 1 of the pack failed after 3 attempts" in page
    assert "The file store could not be used: Not a directory. Try again below." in page
    assert "Try again</button>" in page and 'http-equiv="refresh"' not in page

    settings.PRIVATE_STORAGE_ROOT = working_storage  # mended
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("panels:pack_make", args=[irap_meeting.pk])).status_code == 302
    latest = MeetingPack.objects.get(meeting=irap_meeting, version=2)
    assert latest.status == PackStatus.READY
    assert "Download the pack" in pack_page(client, irap_meeting)


def test_the_pack_page_reads_the_latest_version_and_its_job_in_fixed_queries(
    irap_meeting, panel_admin, client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    for version in range(1, 26):  # 25 versions, each with its job (two of them retried)
        made = MeetingPack.objects.create(
            meeting=irap_meeting, version=version, fingerprint=str(version), status=PackStatus.READY
        )
        BackgroundJob.objects.create(kind=PACK_BUILD, object_id=made.pk, status=JobStatus.DONE, attempts=1)
    BackgroundJob.objects.filter(object_id=made.pk).update(status=JobStatus.FAILED, attempts=3)
    MeetingPack.objects.filter(pk=made.pk).update(status=PackStatus.FAILED, error="Out of memory")
    client.force_login(panel_admin)
    client.get(reverse("panels:pack", args=[irap_meeting.pk]))  # warm the session
    # The session and user; the meeting (with its panel) through access, which answers the papers
    # and administrators' checks from it; the latest pack; its job; the unread notices count; the
    # session saved; two savepoints (ATOMIC_REQUESTS) and their releases. The same for 1 version.
    with django_assert_max_num_queries(11):
        page = pack_page(client, irap_meeting)
    assert "Version 25 of the pack failed after 3 attempts" in page and "Out of memory" in page


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
