"""The panel pack: one PDF with the cover, the members, the agenda with page numbers, each item's
paper and evidence, and the action log; a bookmark per item; the protective marking and "Page X of
Y" on every page (DESIGN.md: PDFs; seeds 002, Joint Funding Panel 3.9: papers circulated before the
meeting; seeds 003: the action log reviewed at each meeting).

Built by the "pack.build" background job (panels/jobs.py), never in a request: each referral's paper
is rendered once per content and reused (referrals/papers.py), the cover and agenda are rendered
fresh, and the finished PDFs are merged with pypdf. The job's lease decides who builds a version: the
build renews it after each item, stops if it was taken over, and a build whose worker died is taken
over when its lease runs out (casework/outbox.py). Evidence that cannot be merged (a Word document,
a damaged or password-protected PDF) never breaks the pack: it is listed as not included, with the
reason, on the pack's cover and page, and the panel's administrators are told (issue 15). The merged
pack keeps the tags of the pages we render (casework/pdf.py TaggedMerge); evidence PDFs go in as
their authors made them, as the accessibility statement says.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass, field

from django.db.models import F, Max
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from casework.notifications import notify
from casework.outbox import Lease
from casework.pdf import TaggedMerge, open_stored_pdf, render_pdf, store_pdf
from casework.pdf_images import IMAGE_TYPES, image_page
from casework.pdf_stamp import furniture, stamp
from panels.models import (
    Action,
    AgendaItem,
    AgendaItemKind,
    Attendance,
    Meeting,
    MeetingPack,
    Membership,
    PackStatus,
)
from referrals.evidence import (
    NOT_IN_PACK_DAMAGED,
    NOT_IN_PACK_KIND,
    NOT_IN_PACK_MISSING,
    NOT_IN_PACK_PROTECTED,
    NOT_IN_PACK_WORD,
    open_stored,
    pdf_for_pack,
)
from referrals.papers import paper_for
from referrals.services import content_hash

log = logging.getLogger(__name__)

# Why evidence is left out: one wording, shared with the referral's paper (referrals/evidence.py).
WORD = NOT_IN_PACK_WORD
DAMAGED = NOT_IN_PACK_DAMAGED
PROTECTED = NOT_IN_PACK_PROTECTED
STOPPED_EACH_TIME = (
    "The build stopped before it finished on every attempt (its worker was stopped or ran out of memory)"
)


class LeaseLost(Exception):
    """The build's job lease ran out and another run took the pack over: stop, writing nothing."""


class BuildStopped(Exception):
    """The build was taken over more times than its job allows (casework/outbox.py counts each
    take-over as an attempt): the pack is failed rather than tried for ever."""


def _items(meeting: Meeting) -> list[AgendaItem]:
    return list(
        meeting.agenda_items.filter(withdrawn_at__isnull=True)
        .select_related("referral__child", "referral__panel", "referral__referrer", "lead_member__person")
        .order_by("position", "id")
    )


def _open_actions(meeting: Meeting) -> list[Action]:
    """The actions the action-log review carries forward (one rule: panels.selectors)."""
    from panels.selectors import open_actions_for_meeting

    return list(open_actions_for_meeting(meeting))


def pack_fingerprint(meeting: Meeting) -> str:
    """What the pack is built from: a change to any of it means a new version."""
    items = _items(meeting)
    evidence = {}
    for item in items:
        if item.referral_id:
            evidence[item.pk] = sorted(
                item.referral.evidence.filter(removed_at__isnull=True).values_list("sha256", flat=True)
            )
    payload = {
        "meeting": [str(meeting.date), str(meeting.starts_at), meeting.location, meeting.online_link],
        "items": [
            [
                item.pk,
                item.position,
                item.title,
                item.description,
                item.is_supplement,
                item.lead_member_id,
                content_hash(item.referral) if item.referral_id else None,
                evidence.get(item.pk, []),
            ]
            for item in items
        ],
        "actions": [[a.pk, a.version, a.status] for a in _open_actions(meeting)],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def latest_pack(meeting: Meeting) -> MeetingPack | None:
    return meeting.packs.order_by("-version").first()


def next_version(meeting: Meeting) -> int:
    return (meeting.packs.aggregate(top=Max("version"))["top"] or 0) + 1


# --- Building -----------------------------------------------------------------------------------


@dataclass
class Part:
    title: str
    pdf: bytes
    level: int = 0  # 0: an item or section; 1: evidence under it
    children: list[Part] = field(default_factory=list)
    tagged: bool = True  # rendered by us (tagged PDF/UA); evidence PDFs are the author's, as they are
    reader: PdfReader | None = None  # parsed once, for counting and for merging

    def __post_init__(self) -> None:
        self.reader = PdfReader(io.BytesIO(self.pdf))

    @property
    def pages(self) -> int:
        return len(self.reader.pages)


def _page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def section_title(item: AgendaItem) -> str:
    """An item's title in the pack's bookmarks and its list of evidence left out, with the referral
    number: two referrals about the same child are otherwise "Referral for AB" twice (issue 15)."""
    if item.referral_id:
        return f"{item.title} (referral {item.referral_id})"
    return item.title


def _evidence_parts(item: AgendaItem, left_out: list[dict]) -> list[Part]:
    """The item's evidence as pages of the pack; what cannot be included goes on `left_out` with
    why (issue 15: listed in the pack, never a blank or missing page without a word)."""
    parts = []
    for document in item.referral.evidence.filter(removed_at__isnull=True).order_by("uploaded_at", "id"):
        name = document.title or document.original_name
        tagged = False
        if document.content_type == "application/pdf":
            try:
                with open_stored(document) as stored:
                    pdf, reason = pdf_for_pack(stored.read())
            except Http404:  # its file is gone from the store: listed, not a failed pack
                pdf, reason = None, NOT_IN_PACK_MISSING
        elif document.content_type in IMAGE_TYPES:
            # A page we render around the image (heading and alternative text): tagged.
            pdf, reason, tagged = _image_page(document, name=name), "", True
        elif document.content_type.startswith("application/") and "word" in document.content_type:
            pdf, reason = None, WORD
        else:
            pdf, reason = None, NOT_IN_PACK_KIND
        if pdf is None:
            left_out.append({"item": section_title(item), "file": document.original_name, "reason": reason})
        else:
            parts.append(Part(title=f"{name} (referral {item.referral_id})", pdf=pdf, level=1, tagged=tagged))
    return parts


def _image_page(document, *, name: str) -> bytes:
    """An image of evidence on an A4 page, rendered once for each image and title and reused by
    every later pack (casework/pdf_images.py; the referral.paper job renders it ahead)."""

    def read() -> bytes:
        with open_stored(document) as stored:
            return stored.read()

    return image_page(sha256=document.sha256, content_type=document.content_type, name=name, read=read)


def _attendance(meeting: Meeting) -> list[dict]:
    recorded = {a.membership_id: a for a in Attendance.objects.filter(meeting=meeting)}
    seats = (
        Membership.objects.current(on=meeting.date)
        .filter(panel=meeting.panel)
        .select_related("person", "agency")
        .order_by("agency__name", "role", "person__full_name")
    )
    return [
        {
            "name": seat.person.full_name,
            "agency": seat.agency.name,
            "role": seat.get_role_display(),
            "status": recorded[seat.pk].get_status_display() if seat.pk in recorded else "",
        }
        for seat in seats
    ]


def _cover(
    meeting: Meeting, pack: MeetingPack, entries: list[dict], attendance: list[dict], left_out: list[dict]
) -> bytes:
    return render_pdf(
        template="panels/pack/cover.html",
        context={
            "meeting": meeting,
            "panel": meeting.panel,
            "pack": pack,
            "entries": entries,
            "attendance": attendance,
            "left_out": left_out,
            "generated_at": timezone.now(),
            "bare": True,
        },
        title=f"Panel pack: {meeting}",
    )


def _still_ours(job: Lease | None) -> None:
    """The heartbeat: renew the job's lease, or stop if another run has taken the pack over."""
    if job is not None and not job.renew():
        raise LeaseLost(f"Job {job.job_id} attempt {job.attempt} lost its lease")


def _progress(pack: MeetingPack, done: int, job: Lease | None) -> None:
    _still_ours(job)
    MeetingPack.objects.filter(pk=pack.pk, status=PackStatus.BUILDING).update(items_done=done)


def build(pack: MeetingPack, *, job: Lease | None = None) -> MeetingPack:
    """Build the pack's PDF and store it. The caller claimed the pack (status building); `job`, when
    given, is renewed after each item and before the pack is recorded (LeaseLost if taken over)."""
    meeting = pack.meeting
    items = _items(meeting)
    left_out: list[dict] = []
    sections: list[Part] = []
    for done, item in enumerate(items, start=1):
        if item.kind == AgendaItemKind.REFERRAL and item.referral_id:
            paper = paper_for(item.referral)
            with open_stored_pdf(paper.pdf_name) as stored:
                section = Part(title=section_title(item), pdf=stored.read())
            section.children = _evidence_parts(item, left_out)
        elif item.kind == AgendaItemKind.ACTION_LOG:
            section = Part(
                title=item.title,
                pdf=render_pdf(
                    template="panels/pack/actions.html",
                    context={
                        "item": item,
                        "actions": _open_actions(meeting),
                        "today": meeting.date,
                        "bare": True,
                    },
                    title=item.title,
                ),
            )
        else:
            section = Part(
                title=item.title,
                pdf=render_pdf(
                    template="panels/pack/item.html", context={"item": item, "bare": True}, title=item.title
                ),
            )
        sections.append(section)
        _progress(pack, done, job)

    attendance = _attendance(meeting)

    def entries(first_page: int) -> list[dict]:
        page, result = first_page, []
        for position, (item, section) in enumerate(zip(items, sections, strict=True), start=1):
            result.append({"number": position, "item": item, "page": page})
            page += section.pages + sum(child.pages for child in section.children)
        return result

    # The agenda's page numbers depend on how long the cover is: render, count, render again.
    cover = _cover(meeting, pack, entries(2), attendance, left_out)
    cover = _cover(meeting, pack, entries(_page_count(cover) + 1), attendance, left_out)

    # The parts we render keep their tags in the merged pack (issue 15: a tagged PDF, /Lang en-GB);
    # evidence PDFs go in as their authors made them (the accessibility statement says so).
    merge = TaggedMerge()
    merge.outline(merge.append(PdfReader(io.BytesIO(cover))), "Cover, members and agenda")
    for section in sections:
        parent = merge.outline(merge.append(section.reader, tagged=section.tagged), section.title)
        for child in section.children:
            merge.outline(merge.append(child.reader, tagged=child.tagged), child.title, parent=parent)
    page_count = merge.page_count
    final = stamp(merge.write(title=f"Panel pack: {meeting}"), furniture())
    _still_ours(job)  # the cover and merge take a while: still the one building it?
    stored = store_pdf(final)
    MeetingPack.objects.filter(pk=pack.pk, status=PackStatus.BUILDING).update(
        status=PackStatus.READY,
        pdf_name=stored.name,
        pdf_sha256=stored.sha256,
        page_count=page_count,
        left_out=left_out,
        items_done=len(items),
        error="",
        built_at=timezone.now(),
    )
    pack.refresh_from_db()
    if left_out:
        from panels.reminders import administrators

        notify(
            users=administrators(meeting.panel),
            subject=f"Some evidence could not be included in the pack for {meeting}",
            body="; ".join(f"{entry['file']}: {entry['reason']}" for entry in left_out)[:1900],
            url=reverse("panels:meeting", args=[meeting.pk]),
        )
    return pack


def build_pack(pack_id: int, *, job: Lease | None = None) -> None:
    """Claim the pack, build it, record how it ended.

    Run by its "pack.build" job (`job`), whose lease makes this the only build of the version: it
    takes over a pack left building (the worker died and the lease ran out) or failed (an
    administrator tried the job again). A failure puts the pack back in the queue with its reason
    while the job has attempts left (the job tries again after a wait), else fails it. Called
    directly (tests, the demo), it builds a queued pack only."""
    found = MeetingPack.objects.filter(pk=pack_id).values_list("status", flat=True).first()
    if job is None:
        claimable = {PackStatus.QUEUED}
    else:
        claimable = {PackStatus.QUEUED, PackStatus.BUILDING, PackStatus.FAILED}
    if found not in claimable:
        return
    try:
        _still_ours(job)  # a run that stalled before it got here may have been taken over
    except LeaseLost:
        return
    if job is not None and job.attempt > job.handler.max_attempts:
        # Only a take-over gets here (a failed attempt is counted and stopped by the outbox):
        # a pack whose worker dies every time (out of memory) must not be tried for ever.
        MeetingPack.objects.filter(pk=pack_id, status=found).update(
            status=PackStatus.FAILED, error=STOPPED_EACH_TIME
        )
        raise BuildStopped(STOPPED_EACH_TIME)
    claimed = MeetingPack.objects.filter(pk=pack_id, status=found).update(
        status=PackStatus.BUILDING,
        started_at=timezone.now(),
        items_done=0,
        # Taken over from a build that stopped: no error to show; else keep the last attempt's.
        error="" if found == PackStatus.BUILDING else F("error"),
    )
    if claimed != 1:
        return
    pack = MeetingPack.objects.select_related("meeting__panel").get(pk=pack_id)
    try:
        build(pack, job=job)
    except LeaseLost:
        log.warning("Pack %s: the build was taken over by another run; this one stops", pack_id)
    except Exception as error:
        if job is None or job.renew():  # still ours to record
            last = job is None or job.attempt >= job.handler.max_attempts
            MeetingPack.objects.filter(pk=pack_id, status=PackStatus.BUILDING).update(
                status=PackStatus.FAILED if last else PackStatus.QUEUED,
                error=_reason(error),
            )
        raise


def _reason(error: Exception) -> str:
    """What an administrator reads on the pack's page: a file system error without its path."""
    if isinstance(error, OSError) and error.strerror:
        return f"The file store could not be used: {error.strerror}"
    return (str(error) or type(error).__name__)[:500]


def stamped_download(pack: MeetingPack, *, person_name: str) -> bytes:
    """The stored pack with "Downloaded by NAME on DATE" on every page, for one download."""
    with open_stored_pdf(pack.pdf_name) as stored:
        data = stored.read()
    when = timezone.localtime().strftime("%-d %B %Y %H:%M")
    lines = furniture(downloaded_by=f"Downloaded by {person_name} on {when}")
    # The marking and numbers are already on the pages: add only the download line.
    return stamp(
        data, lambda number, total: [line for line in lines(number, total) if line.where == "bottom-left"]
    )
