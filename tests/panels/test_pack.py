"""The panel pack, built for real with WeasyPrint and pypdf and read back: cover and agenda with page
numbers, each paper and its evidence with a bookmark, the marking and "Page X of Y" on every page,
evidence that cannot be merged listed rather than breaking it, and a new version when the papers
change."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from casework import outbox
from casework.access import NotAllowed
from casework.models import BackgroundJob, JobStatus, Notification
from casework.pdf import open_stored_pdf
from casework.tasks import run_job
from panels import services
from panels.jobs import PACK_BUILD
from panels.models import AgendaItem, MeetingPack, PackStatus
from panels.pack import PROTECTED, WORD, LeaseLost, build_pack, stamped_download
from panels.pack import build as build_the_pdf
from referrals import services as referral_services
from referrals.evidence import evidence_dir
from referrals.models import Evidence, ReferralPaper
from tests.celery_broker import broker_unreachable
from tests.panels.conftest import D
from tests.referrals.test_evidence import make_doc, make_image, make_pdf


def on_agenda(referral, meeting, actor, position):
    referral_services.referral_place_on_agenda(actor=actor, referral=referral, meeting=meeting)
    return AgendaItem.objects.create(
        meeting=meeting,
        kind="referral",
        referral=referral,
        title=f"Referral for {referral.child.initials}",
        position=position,
        added_by=actor,
    )


def attach_stored(referral, name: str, data: bytes, content_type: str, by) -> Evidence:
    """Evidence written straight to private storage, past the upload's checks: a file that got in
    before a check existed, or one the service would refuse now."""
    token = secrets.token_hex(16)
    extension = name.rsplit(".", 1)[-1]
    (evidence_dir(create=True) / f"{token}.{extension}").write_bytes(data)
    return Evidence.objects.create(
        referral=referral,
        original_name=name,
        stored_name=f"{token}.{extension}",
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=by,
    )


def read(pack: MeetingPack) -> PdfReader:
    with open_stored_pdf(pack.pdf_name) as stored:
        return PdfReader(io.BytesIO(stored.read()))


def build(meeting, actor, django_capture_on_commit_callbacks) -> MeetingPack:
    with django_capture_on_commit_callbacks(execute=True):
        pack = services.pack_request(actor=actor, meeting=meeting)
    pack.refresh_from_db()
    return pack


def test_the_pack_has_cover_agenda_papers_and_bookmarks(
    irap_meeting,
    make_submitted,
    another_child,
    panel_admin,
    social_worker,
    django_capture_on_commit_callbacks,
):
    first = on_agenda(make_submitted(), irap_meeting, panel_admin, 1)
    other = AgendaItem.objects.create(
        meeting=irap_meeting,
        kind="other_business",
        title="Any other business",
        position=2,
        added_by=panel_admin,
    )
    pack = build(irap_meeting, panel_admin, django_capture_on_commit_callbacks)

    assert pack.status == PackStatus.READY and pack.version == 1
    reader = read(pack)
    assert len(reader.pages) == pack.page_count
    titles = [entry.title for entry in reader.outline if not isinstance(entry, list)]
    referral_number = first.referral_id
    assert titles == ["Cover, members and agenda", f"{first.title} (referral {referral_number})", other.title]
    assert [entry.title for entry in reader.outline[2]] == [f"assessment.pdf (referral {referral_number})"]
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "OFFICIAL-SENSITIVE" in text
        assert f"Page {number} of {len(reader.pages)}" in text
    cover = reader.pages[0].extract_text()
    assert "Hampshire IRAP" in cover and "Peter Hale" in cover
    # The agenda's page number for the first item is where its bookmark points.
    first_page = reader.get_destination_page_number(reader.outline[1]) + 1
    row = next(line for line in cover.splitlines() if f"(referral {referral_number})" in line)
    assert row.rstrip().endswith(str(first_page)), row
    assert "Amelia Hart" in reader.pages[first_page - 1].extract_text()  # the paper itself
    assert ReferralPaper.objects.filter(referral=first.referral).count() == 1


def test_evidence_that_cannot_be_merged_is_listed_and_the_administrators_told(
    irap_meeting,
    make_submitted,
    another_child,
    panel_admin,
    panel_chair,
    social_worker,
    team_manager,
    service_manager,
    django_capture_on_commit_callbacks,
):
    referral = make_submitted(child=another_child)
    item = on_agenda(referral, irap_meeting, panel_admin, 1)
    for name, data, kind in [
        ("photo.png", make_image("PNG"), "image/png"),
        ("locked.pdf", make_pdf(password="secret"), "application/pdf"),
        ("letter.doc", make_doc(), "application/msword"),
    ]:
        # Straight to storage: evidence added to a referral on the agenda (the service would refuse),
        # and a locked PDF from before uploads refused them (issue 15).
        attach_stored(referral, name, data, kind, social_worker)
    pack = build(irap_meeting, panel_admin, django_capture_on_commit_callbacks)

    assert pack.status == PackStatus.READY
    reasons = {entry["file"]: entry["reason"] for entry in pack.left_out}
    assert reasons == {"locked.pdf": PROTECTED, "letter.doc": WORD}
    reader = read(pack)
    children = reader.outline[2]
    assert isinstance(children, list)
    number = referral.pk
    assert [c.title for c in children] == [
        f"assessment.pdf (referral {number})",
        f"photo.png (referral {number})",
    ]
    assert Notification.objects.filter(user=panel_chair, subject__startswith="Some evidence").exists()
    assert f"{item.title} (referral {number})" in [e.title for e in reader.outline if not isinstance(e, list)]


def test_a_new_version_only_when_the_papers_change(
    irap_meeting, make_submitted, panel_admin, django_capture_on_commit_callbacks
):
    on_agenda(make_submitted(), irap_meeting, panel_admin, 1)
    first = build(irap_meeting, panel_admin, django_capture_on_commit_callbacks)
    again = build(irap_meeting, panel_admin, django_capture_on_commit_callbacks)
    assert again.pk == first.pk
    AgendaItem.objects.create(
        meeting=irap_meeting, kind="other_business", title="Budget update", position=2, added_by=panel_admin
    )
    second = build(irap_meeting, panel_admin, django_capture_on_commit_callbacks)
    assert second.version == 2 and second.status == PackStatus.READY
    assert second.page_count > first.page_count
    # The referral's paper was rendered once and reused.
    assert ReferralPaper.objects.count() == 1


def test_each_download_is_stamped_with_who_took_it(
    irap_meeting, make_submitted, panel_admin, django_capture_on_commit_callbacks
):
    on_agenda(make_submitted(), irap_meeting, panel_admin, 1)
    pack = build(irap_meeting, panel_admin, django_capture_on_commit_callbacks)
    reader = PdfReader(io.BytesIO(stamped_download(pack, person_name="Irene Grant")))
    assert all("Downloaded by Irene Grant" in page.extract_text() for page in reader.pages)
    assert reader.pages[-1].extract_text().count("OFFICIAL-SENSITIVE") == 2  # not stamped twice


def test_only_the_panels_administrators_ask_for_a_pack(irap_meeting, council_member, outsider):
    for person in (council_member, outsider):
        with pytest.raises(NotAllowed):
            services.pack_request(actor=person, meeting=irap_meeting)


def test_a_supplement_after_circulation_makes_a_new_version(
    irap_meeting, make_submitted, panel_admin, django_capture_on_commit_callbacks
):
    on_agenda(make_submitted(), irap_meeting, panel_admin, 1)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=irap_meeting.version)
    assert list(MeetingPack.objects.values_list("version", "status")) == [(1, PackStatus.READY)]
    irap_meeting.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.agenda_item_add_other(
            actor=panel_admin, meeting=irap_meeting, version=irap_meeting.version, title="Budget update"
        )
    latest = MeetingPack.objects.order_by("-version").first()
    assert latest.version == 2 and latest.status == PackStatus.READY
    assert "Budget update" in [entry.title for entry in read(latest).outline if not isinstance(entry, list)]


def requested(meeting, actor, django_capture_on_commit_callbacks) -> tuple[MeetingPack, BackgroundJob]:
    """A version asked for and committed, its job not yet run (no worker has picked it up)."""
    with django_capture_on_commit_callbacks(execute=False):
        pack = services.pack_request(actor=actor, meeting=meeting)
    return pack, BackgroundJob.objects.get(kind=PACK_BUILD, object_id=pack.pk)


def test_the_pack_is_owed_as_a_job_of_the_panels_partnership(
    irap_meeting, make_submitted, panel_admin, django_capture_on_commit_callbacks
):
    on_agenda(make_submitted(), irap_meeting, panel_admin, 1)
    pack, job = requested(irap_meeting, panel_admin, django_capture_on_commit_callbacks)
    assert (job.status, job.partnership) == (JobStatus.WAITING, "Hampshire and Isle of Wight")
    assert job.summary == "Pack version 1 for Hampshire IRAP, 9 April 2026"  # no child named
    # Asked again while it is owed: the same version and the same job.
    again, _ = requested(irap_meeting, panel_admin, django_capture_on_commit_callbacks)
    assert again.pk == pack.pk and BackgroundJob.objects.filter(kind=PACK_BUILD).count() == 1
    assert run_job(job.pk) == "done" and run_job(job.pk) == "skipped"  # a redelivered message
    pack.refresh_from_db()
    assert pack.status == PackStatus.READY and pack.started_at is not None


def test_a_pack_abandoned_by_a_dead_worker_is_rebuilt_once_by_the_relay(
    irap_meeting, make_submitted, panel_admin, clock, django_capture_on_commit_callbacks
):
    on_agenda(make_submitted(), irap_meeting, panel_admin, 1)
    pack, job = requested(irap_meeting, panel_admin, django_capture_on_commit_callbacks)
    # A worker claimed the job and started the build, then died (killed, out of memory).
    dead = outbox.claim(job_id=job.pk)
    MeetingPack.objects.filter(pk=pack.pk).update(status=PackStatus.BUILDING, started_at=timezone.now())

    build_pack(pack.pk)  # called directly, without the lease: a live build is not taken over
    clock.shift(dt.timedelta(seconds=89))
    outbox.relay()  # its lease has not run out: nobody takes it over
    assert BackgroundJob.objects.values_list("status", "attempts").get(pk=job.pk) == (JobStatus.RUNNING, 1)
    assert MeetingPack.objects.get(pk=pack.pk).status == PackStatus.BUILDING

    clock.shift(dt.timedelta(seconds=2))  # no heartbeat for longer than the lease
    outbox.relay()  # the embedded default: the relay runs what it finds here
    pack.refresh_from_db()
    job.refresh_from_db()
    assert pack.status == PackStatus.READY and pack.page_count > 0 and pack.error == ""
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    built = (pack.built_at, pack.pdf_name)
    clock.shift(dt.timedelta(minutes=5))
    assert outbox.relay() == 0 and run_job(job.pk) == "skipped"  # rebuilt once, not again
    assert MeetingPack.objects.values_list("built_at", "pdf_name").get(pk=pack.pk) == built
    assert dead.renew() is False  # the dead worker, were it to wake, no longer holds it


def test_a_build_that_lost_its_lease_stops_and_writes_nothing(
    irap_meeting, make_submitted, panel_admin, clock, django_capture_on_commit_callbacks
):
    on_agenda(make_submitted(), irap_meeting, panel_admin, 1)
    on_agenda(make_submitted(), irap_meeting, panel_admin, 2)
    pack, job = requested(irap_meeting, panel_admin, django_capture_on_commit_callbacks)
    slow = outbox.claim(job_id=job.pk)
    MeetingPack.objects.filter(pk=pack.pk).update(status=PackStatus.BUILDING)
    clock.shift(dt.timedelta(seconds=91))  # the first worker stalled past its lease...
    taker = outbox.claim(job_id=job.pk)  # ...and the relay gave the job to another
    assert taker is not None and taker.attempt == 2

    pack.refresh_from_db()
    with pytest.raises(LeaseLost):  # the stalled build wakes: its first heartbeat stops it
        build_the_pdf(pack, job=slow)
    assert MeetingPack.objects.values_list("status", "items_done", "pdf_name").get(pk=pack.pk) == (
        PackStatus.BUILDING,
        0,
        "",
    )
    build_pack(pack.pk, job=slow)  # nor does it start another build of the version
    assert MeetingPack.objects.get(pk=pack.pk).items_done == 0

    build_pack(pack.pk, job=taker)
    pack.refresh_from_db()
    assert pack.status == PackStatus.READY and pack.items_done == 2


def test_a_pack_asked_for_while_the_broker_is_down_is_built_when_the_relay_runs(
    irap_meeting, make_submitted, panel_admin, client, clock, django_capture_on_commit_callbacks
):
    on_agenda(make_submitted(), irap_meeting, panel_admin, 1)
    client.force_login(panel_admin)
    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("panels:pack_make", args=[irap_meeting.pk]))
    assert response.status_code == 302  # the page succeeds: the job row is the guarantee
    pack = MeetingPack.objects.get(meeting=irap_meeting)
    job = BackgroundJob.objects.get(kind=PACK_BUILD, object_id=pack.pk)
    assert (pack.status, job.status, job.attempts) == (PackStatus.QUEUED, JobStatus.WAITING, 0)
    page = client.get(reverse("panels:pack", args=[irap_meeting.pk])).content.decode()
    assert "Version 1 is waiting to be made (asked for at 09:30)" in page

    clock.shift(dt.timedelta(seconds=31))
    with broker_unreachable():
        assert outbox.relay() == 0  # still down: it stays owed
    assert MeetingPack.objects.get(pk=pack.pk).status == PackStatus.QUEUED

    assert outbox.relay() >= 1  # the broker is back (the embedded default runs it here)
    pack.refresh_from_db()
    assert pack.status == PackStatus.READY and pack.page_count > 0
    assert BackgroundJob.objects.get(pk=job.pk).status == JobStatus.DONE


def test_the_action_log_review_carries_the_open_actions_into_the_pack_and_papers(
    irap, irap_meeting, panel_admin, client, django_capture_on_commit_callbacks
):
    from tests.factories import ActionFactory

    ActionFactory(
        panel=irap, created_by=panel_admin, action="Chase the CAMHS waiting list", created_on=D(2026, 3, 1)
    )
    ActionFactory(
        panel=irap,
        created_by=panel_admin,
        action="Closed already",
        status="closed",
        completed_on=D(2026, 3, 1),
    )
    AgendaItem.objects.create(
        meeting=irap_meeting, kind="action_log", title="Action log review", position=1, added_by=panel_admin
    )
    pack = build(irap_meeting, panel_admin, django_capture_on_commit_callbacks)
    text = " ".join(page.extract_text() for page in read(pack).pages)
    assert "Chase the CAMHS waiting list" in text and "Closed already" not in text
    client.force_login(panel_admin)
    page = client.get(reverse("panels:papers", args=[irap_meeting.pk])).content.decode()
    assert "open actions carried forward" in page and "Chase the CAMHS waiting list" in page
