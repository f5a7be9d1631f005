# ruff: noqa: F811 - the fault fixtures are imported from tests.celery_worker
"""The panel pack on the real task path: requested in a committed transaction with its "pack.build"
job, the job queued on a Redis broker's "pdf" queue by the outbox after the commit, built by a
`celery worker` process listening there, and read back from storage. A message delivered twice
builds the pack once (the job's lease: the second is skipped).

The broker and the worker are tests/celery_worker.py's fault kit: a Redis of the test's own (no
other test run can take its messages) and a `celery worker` the test can kill.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from casework.models import BackgroundJob, JobStatus
from casework.pdf import open_stored_pdf
from casework.tasks import run_job
from panels import services
from panels.jobs import PACK_BUILD
from panels.models import AgendaItem, MeetingPack, PackStatus
from referrals.evidence import store_upload
from referrals.models import Evidence, ReferralPaper
from tests.celery_worker import (  # noqa: F401 - fixtures
    private_redis,
    relay_until_done,
    smtp_sink,
    start_worker,
    wait_for,
)
from tests.factories import ChildFactory
from tests.panels.test_pack import on_agenda
from tests.referrals.test_evidence import make_image, make_pdf

BUILD_TIMEOUT = 300.0  # seconds: a cold worker on a loaded 2-core machine; a pack takes a few


def add_evidence(referral, by, name: str, data: bytes, content_type: str) -> None:
    # Straight to storage, as in test_pack: the service refuses evidence once a referral is on the
    # agenda, and these are only there to be merged.
    stored = store_upload(SimpleUploadedFile(name, data, content_type))
    Evidence.objects.create(
        referral=referral,
        original_name=stored.display_name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=by,
    )


def read(pack: MeetingPack) -> PdfReader:
    with open_stored_pdf(pack.pdf_name) as stored:
        return PdfReader(io.BytesIO(stored.read()))


def back_to_real_time(clock) -> None:
    """Stop the panels' test clock, so the test's times and the worker's are the one real clock
    (leases and waits compare across both). time-machine's fixture stops it again at teardown: it
    is told it has stopped already."""
    clock.stop()
    clock.traveller = clock.traveller_obj = None


def redeliver(job: BackgroundJob) -> None:
    """The same job's message again on the pdf queue, as Redis redelivers one."""
    run_job.apply_async(args=[job.pk], queue="pdf")


def is_ready(pack: MeetingPack) -> bool:
    status = MeetingPack.objects.values_list("status", flat=True).get(pk=pack.pk)
    assert status != PackStatus.FAILED, MeetingPack.objects.get(pk=pack.pk).error
    return status == PackStatus.READY


@pytest.mark.django_db(transaction=True)
def test_the_pack_is_built_by_a_worker_on_the_pdf_queue_and_a_redelivery_does_nothing(
    private_redis,
    smtp_sink,
    start_worker,
    irap_meeting,
    make_submitted,
    another_child,
    hampshire,
    hiow_icb,
    social_worker,
    panel_admin,
):
    third_child = ChildFactory(
        given_name="Cara",
        family_name="Moss",
        owning_agency=hampshire,
        created_by=social_worker,
        allocated_social_worker=social_worker,
        involved=[hiow_icb],
    )
    items = []
    for position, child in enumerate([None, another_child, third_child], start=1):
        referral = make_submitted() if child is None else make_submitted(child=child)
        items.append(on_agenda(referral, irap_meeting, panel_admin, position))
        # Each has the assessment.pdf of complete_referral; add a two-page PDF and a photo.
        add_evidence(referral, social_worker, "report.pdf", make_pdf(pages=2), "application/pdf")
        image = ("photo.png", make_image("PNG"), "image/png")
        if position == 2:
            image = ("scan.jpg", make_image("JPEG", (640, 480)), "image/jpeg")
        add_evidence(referral, social_worker, *image)

    worker = start_worker()
    # pack_request writes the job with the pack and queues it after the commit (autocommit here).
    pack = services.pack_request(actor=panel_admin, meeting=irap_meeting)
    job = BackgroundJob.objects.get(kind=PACK_BUILD, object_id=pack.pk)
    redeliver(job)  # the same message delivered twice

    assert wait_for(lambda: is_ready(pack), BUILD_TIMEOUT, worker=worker), worker.log_tail()
    pack.refresh_from_db()
    reader = read(pack)
    assert len(reader.pages) == pack.page_count
    titles = [entry.title for entry in reader.outline if not isinstance(entry, list)]
    # Each with its referral number (issue 15: two referrals for one child are told apart).
    assert titles == [
        "Cover, members and agenda",
        *[f"{item.title} (referral {item.referral_id})" for item in items],
    ]
    evidence = [
        [c.title.removesuffix(f" (referral {item.referral_id})") for c in entry]
        for item, entry in zip(items, [e for e in reader.outline if isinstance(e, list)], strict=True)
    ]
    assert evidence == [
        ["assessment.pdf", "report.pdf", "photo.png"],
        ["assessment.pdf", "report.pdf", "scan.jpg"],
        ["assessment.pdf", "report.pdf", "photo.png"],
    ]
    total = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "OFFICIAL-SENSITIVE" in text
        assert f"Page {number} of {total}" in text
    assert "Page 1 of" in reader.pages[0].extract_text()
    assert pack.items_done == pack.items_total == 3 and pack.left_out == []
    assert ReferralPaper.objects.count() == 3
    built = MeetingPack.objects.values("built_at", "pdf_name", "pdf_sha256").get(pk=pack.pk)
    assert wait_for(lambda: BackgroundJob.objects.get(pk=job.pk).status == JobStatus.DONE, 30, worker=worker)

    # Another copy of v1's message, then the agenda changes and v2 is queued behind it. The solo
    # worker takes the pdf queue in order, so once v2 is ready the duplicate has certainly been run.
    redeliver(job)
    AgendaItem.objects.create(
        meeting=irap_meeting,
        kind="other_business",
        title="Any other business",
        position=4,
        added_by=panel_admin,
    )
    second = services.pack_request(actor=panel_admin, meeting=irap_meeting)
    assert second.version == 2
    assert wait_for(lambda: is_ready(second), BUILD_TIMEOUT, worker=worker), worker.log_tail()

    # The duplicates did nothing: v1 was built once and is as it was, by its one attempt.
    assert MeetingPack.objects.values("built_at", "pdf_name", "pdf_sha256").get(pk=pack.pk) == built
    assert MeetingPack.objects.get(pk=pack.pk).status == PackStatus.READY
    assert BackgroundJob.objects.values_list("status", "attempts").get(pk=job.pk) == (JobStatus.DONE, 1)
    assert private_redis.client().llen("pdf") == 0 and private_redis.client().llen("default") == 0
    second.refresh_from_db()
    assert second.page_count > pack.page_count
    assert [e.title for e in read(second).outline if not isinstance(e, list)][-1] == "Any other business"
    assert ReferralPaper.objects.count() == 3  # the papers were reused, not rendered again


@pytest.mark.django_db(transaction=True)
def test_a_pack_whose_worker_is_killed_mid_build_is_rebuilt_once(
    private_redis,
    smtp_sink,
    start_worker,
    clock,
    irap_meeting,
    make_submitted,
    another_child,
    social_worker,
    panel_admin,
):
    """Redis is down while the referrals go on the agenda (their papers stay owed, the pages
    succeed), so the pack renders the papers itself; the worker is killed -9 once the build is
    under way. The relay (run as beat would, the dead lease's minute moved on) gives the build to
    the next worker, which takes the pack over: built once more, by attempt 2, and only once."""
    private_redis.stop()
    for position, child in enumerate([None, another_child, None], start=1):
        referral = make_submitted() if child is None else make_submitted(child=child)
        on_agenda(referral, irap_meeting, panel_admin, position)
        add_evidence(referral, social_worker, "report.pdf", make_pdf(pages=2), "application/pdf")
    assert BackgroundJob.objects.filter(kind="referral.paper", status=JobStatus.WAITING).count() == 3
    private_redis.start()
    back_to_real_time(clock)

    worker = start_worker()
    pack = services.pack_request(actor=panel_admin, meeting=irap_meeting)
    job = BackgroundJob.objects.get(kind=PACK_BUILD, object_id=pack.pk)

    def under_way() -> bool:
        row = MeetingPack.objects.values("status", "items_done").get(pk=pack.pk)
        assert row["status"] != PackStatus.READY, "built before the kill: make the pack slower"
        return row["status"] == PackStatus.BUILDING and row["items_done"] >= 1

    assert wait_for(under_way, BUILD_TIMEOUT, worker=worker), worker.log_tail()
    worker.kill()
    killed_at = timezone.now()
    assert BackgroundJob.objects.values_list("status", "attempts").get(pk=job.pk) == (JobStatus.RUNNING, 1)

    worker.start()
    relay_until_done(
        broker=private_redis.client(), leases_taken_before=killed_at, worker=worker, timeout=BUILD_TIMEOUT
    )

    pack.refresh_from_db()
    assert (pack.status, pack.error, pack.items_done) == (PackStatus.READY, "", 3)
    assert pack.started_at > killed_at  # the build that finished began after the kill
    assert BackgroundJob.objects.values_list("status", "attempts").get(pk=job.pk) == (JobStatus.DONE, 2)
    assert ReferralPaper.objects.count() == 3  # each paper once, whoever rendered it
    assert not BackgroundJob.objects.exclude(status=JobStatus.DONE).exists()
    assert [e.title for e in read(pack).outline if not isinstance(e, list)][0] == "Cover, members and agenda"
