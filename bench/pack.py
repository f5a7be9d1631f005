"""Time the panel pack (panels/pack.py) for a full meeting, in its own database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_pack_bench .venv/bin/python bench/pack.py
    .venv/bin/python bench/pack.py --referrals 20 --profile     # + where the build's time goes

Builds a meeting of one panel with N referrals (default 20), each written in full (every section a
few paragraphs, two funding options), with three pieces of evidence: a two-to-three-page text PDF,
a one-page PDF letter and a phone photo (JPEG 1600x1200, every third referral a PNG screenshot),
so the pack is about 120 pages. The data goes in through the services (referral_create ...
referral_submit, evidence_add, referral_place_on_agenda), as a real meeting's would; it is small.

Then, each time in a fresh child process (as a worker with worker_max_memory_per_child restarts):

1. the first pack: version 1 requested (pack_request), built by build_pack(); every referral's
   paper is rendered fresh (referrals/papers.py);
2. one agenda change (an "Any other business" item added), version 2 requested and built: the
   papers are reused, the cover, agenda, evidence and merge are done again.

Reported for each: build_pack() time inside the child after a warm-up render (what a warm worker
spends on the task), the child's whole wall time (interpreter, Django set-up and the warm-up
included), the time by part of the build, pages, PDF size, and the child's peak resident memory
(ru_maxrss of that child alone, from os.wait4). Targets (the issue): first pack < 10 s, re-pack
after one change < 3 s, worker < 500 MB.

The database (name must end in "_bench"; default casework_pack_bench) is dropped and created again
on every run, and stored files go to a temporary folder removed at the end.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import dj_database_url
from benchdb import ROOT, bench_url_or, recreate_database, setup_django

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/casework_pack_bench"
RESULT = "RESULT "
TARGETS = {"first": 10.0, "repack": 3.0, "rss_mb": 500.0}

WORDS = """assessment support placement family school respite overnight behaviour anxiety routine
therapy carers social worker health education plan review needs package provider transport clinic
communication sensory sleep medication safeguarding home community short breaks siblings mother
father autism learning disability two-to-one staffing escalation crisis police hospital admission
CAMHS occupational speech language outcomes progress funding agreement contribution weekly annual
""".split()


def paragraphs(rng: random.Random, count: int, sentences: int = 6) -> str:
    def sentence() -> str:
        words = rng.choices(WORDS, k=rng.randint(10, 22))
        return " ".join(words).capitalize() + "."

    return "\n\n".join(" ".join(sentence() for _ in range(sentences)) for _ in range(count))


# --- The data -----------------------------------------------------------------------------------


def evidence_pdf(rng: random.Random, title: str, pages: int) -> bytes:
    """A text document of about `pages` A4 pages (a report, a letter), as a partner would upload."""
    from weasyprint import HTML

    body = "".join(f"<p>{p}</p>" for p in paragraphs(rng, 4 * pages, 5).split("\n\n"))
    return HTML(string=f"<h1>{title}</h1>{body}").write_pdf()


def photo(rng: random.Random, png: bool) -> tuple[str, bytes, str]:
    """A phone photo of a document (JPEG 1600x1200) or a screenshot (PNG 1280x800)."""
    from PIL import Image, ImageDraw

    size = (1280, 800) if png else (1600, 1200)
    image = Image.new("RGB", size, (235, 232, 225))
    draw = ImageDraw.Draw(image)
    for y in range(60, size[1] - 60, 28):  # lines of "text"
        x = 60
        while x < size[0] - 120:
            width = rng.randint(30, 140)
            draw.rectangle([x, y, x + width, y + 12], fill=(rng.randint(20, 70),) * 3)
            x += width + 14
    noise = Image.effect_noise(size, 18).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    out = io.BytesIO()
    if png:
        image.save(out, "PNG")
        return "screenshot.png", out.getvalue(), "image/png"
    image.save(out, "JPEG", quality=85)
    return "photo.jpg", out.getvalue(), "image/jpeg"


def make_meeting(count: int, seed: int):
    """A panel with its members and one meeting with `count` referrals on the agenda."""
    import datetime as dt
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from casework.models import AgencyKind, Role
    from casework.working_days import add_working_days
    from panels.models import AgendaItem, Membership
    from referrals import services
    from tests.factories import (
        AgencyFactory,
        ChildFactory,
        MeetingFactory,
        PanelFactory,
        TeamFactory,
        UserFactory,
    )

    rng = random.Random(seed)
    council = AgencyFactory(
        name="Bench County Council Children's Services",
        kind=AgencyKind.CHILDRENS_SERVICES,
        partnership="Bench Partnership",
    )
    icb = AgencyFactory(
        name="NHS Bench ICB", kind=AgencyKind.ICB, ods_code="QBB", partnership="Bench Partnership"
    )
    team = TeamFactory(agency=council, name="Children with Disabilities Team")

    def person(name: str, agency, roles: list[str]):
        user = UserFactory(
            email=f"{name.lower().replace(' ', '.')}@bench.example",
            full_name=name,
            agency=agency,
            roles=roles,
        )
        if agency == council:
            user.teams.add(team)
        return user

    worker = person("Sam Okafor", council, [Role.SOCIAL_WORKER])
    manager = person("Tara Bell", council, [Role.TEAM_MANAGER])
    head = person("Sunita Rao", council, [Role.SERVICE_MANAGER])
    chair = person("Peter Hale", council, [Role.PANEL_CHAIR, Role.PANEL_MEMBER])
    admin = person("Alex Admin", council, [Role.PANEL_ADMINISTRATOR])
    panel = PanelFactory(name="Bench IRAP", kind="irap", host_agency=council)
    start = dt.date(2026, 1, 1)
    Membership.objects.create(panel=panel, person=chair, agency=council, role="chair", starts_on=start)
    Membership.objects.create(
        panel=panel, person=admin, agency=council, role="administrator", starts_on=start
    )
    for index in range(4):
        agency = council if index < 2 else icb
        member = person(f"Member {index}", agency, [Role.PANEL_MEMBER])
        Membership.objects.create(panel=panel, person=member, agency=agency, role="member", starts_on=start)
    meeting = MeetingFactory(panel=panel, date=add_working_days(timezone.localdate(), 30))

    for number in range(1, count + 1):
        child = ChildFactory(
            owning_agency=council, created_by=worker, allocated_social_worker=worker, involved=[icb]
        )
        referral = services.referral_create(
            actor=worker, child=child, panel=panel, pathway="joint_package", urgency="routine"
        )
        text = {
            "referrer": {"referrer_relationship": "Allocated social worker since 2024"},
            "needs": {"assessed_needs": paragraphs(rng, 2, 4)},
            "support": {"current_support": paragraphs(rng, 1, 4)},
            "permanency": {"permanency_plan": paragraphs(rng, 1, 2)},
            "education": {
                "education_change": False,
                "education_current_school": "Oakwood Special School",
                "education_school_type": "special",
            },
            "elsewhere": {"considered_elsewhere": paragraphs(rng, 1, 2)},
            "child_voice": {"child_voice": paragraphs(rng, 1, 2)},
            "parents_voice": {"parents_voice": paragraphs(rng, 1, 2)},
            "reason": {
                "reason_for_referral": paragraphs(rng, 1, 2),
                "summary_of_circumstances": paragraphs(rng, 1, 4),
            },
        }
        for section, fields in text.items():
            referral = services.referral_update_section(
                actor=worker, referral=referral, section=section, fields=fields
            )
        for description, cost in [
            ("Residential short breaks", "1234.56"),
            ("Two-to-one support at home", "2890.00"),
        ]:
            services.option_save(
                actor=worker,
                referral=referral,
                fields={"description": description, "cost": Decimal(cost), "period": "weekly"},
                shares=[(council, "percentage", Decimal("50")), (icb, "percentage", Decimal("50"))],
            )
        uploads = [
            ("assessment.pdf", evidence_pdf(rng, f"Assessment {number}", 1 + number % 2), "application/pdf"),
            ("letter.pdf", evidence_pdf(rng, f"Letter from the school {number}", 1), "application/pdf"),
            photo(rng, png=number % 3 == 0),
        ]
        for name, data, kind in uploads:
            services.evidence_add(
                actor=worker, referral=referral, upload=SimpleUploadedFile(name, data, kind)
            )
        referral = services.referral_send_for_sign_off(actor=worker, referral=referral)
        referral = services.referral_sign(actor=manager, referral=referral)
        referral = services.referral_sign(actor=head, referral=referral)
        referral = services.referral_submit(actor=worker, referral=referral, meeting=meeting)
        services.referral_place_on_agenda(actor=admin, referral=referral, meeting=meeting)
        AgendaItem.objects.create(
            meeting=meeting,
            kind="referral",
            referral=referral,
            title=f"Referral for {child.initials} ({number})",
            position=number,
            added_by=admin,
        )
    return meeting, admin


def data_size(meeting) -> dict[str, object]:
    from referrals.models import Evidence

    evidence = Evidence.objects.filter(referral__agenda_items__meeting=meeting, removed_at__isnull=True)
    kinds = defaultdict(int)
    for kind in evidence.values_list("content_type", flat=True):
        kinds[kind] += 1
    return {
        "referrals": meeting.agenda_items.filter(kind="referral").count(),
        "evidence files": dict(kinds),
        "evidence MB": round(sum(evidence.values_list("size", flat=True)) / 1e6, 2),
    }


# --- The build, in a child process ---------------------------------------------------------------


class Parts:
    """Time by part of the build. Only the outermost timed call counts, so the PDF copy inside
    _readable_pdf is "evidence PDFs", not "merge"."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.depth = 0

    @contextmanager
    def part(self, name: str):
        outer = self.depth == 0
        self.depth += 1
        began = time.perf_counter()
        try:
            yield
        finally:
            self.depth -= 1
            if outer:
                self.seconds[name] += time.perf_counter() - began
                self.calls[name] += 1

    def wrap(self, owner, attribute: str, name) -> None:
        original = getattr(owner, attribute)

        def timed(*args, **kwargs):
            label = name(*args, **kwargs) if callable(name) else name
            with self.part(label):
                return original(*args, **kwargs)

        setattr(owner, attribute, timed)


def instrument() -> Parts:
    from pypdf import PdfWriter

    from casework import pdf_images
    from panels import pack

    parts = Parts()

    def render_label(*, template: str, **_kwargs) -> str:
        return {
            "pdf/image.html": "evidence images (WeasyPrint)",
            "panels/pack/cover.html": "cover and agenda (WeasyPrint, twice)",
        }.get(template, "other items (WeasyPrint)")

    parts.wrap(pack, "paper_for", "referral papers (render or reuse)")
    parts.wrap(pack, "render_pdf", render_label)
    parts.wrap(pdf_images, "render_pdf", render_label)
    parts.wrap(pack, "_readable_pdf", "evidence PDFs (pypdf read + rewrite)")
    parts.wrap(pack, "open_stored", "reading stored files")
    parts.wrap(pack, "open_stored_pdf", "reading stored files")
    parts.wrap(pack, "_page_count", "counting pages (pypdf)")
    parts.wrap(PdfWriter, "append", "merge: append (pypdf)")
    parts.wrap(PdfWriter, "write", "merge: write (pypdf)")
    parts.wrap(pack, "stamp", "stamping marking + Page X of Y")
    parts.wrap(pack, "store_pdf", "storing")
    return parts


def quiet() -> None:
    import logging

    for name in ("weasyprint", "fontTools", "celery", "casework", "panels", "referrals"):
        logging.getLogger(name).setLevel(logging.WARNING)


@contextmanager
def queued_nowhere():
    """pack_request owes the build as a "pack.build" job and queues it after the commit; inside
    this block that queue is an in-memory broker nobody reads (not the in-process run of the
    embedded default), so the child process below builds the version, as a worker would."""
    from config.celery import app

    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, "memory://"
    app._pool, app.amqp._producer_pool = None, None
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.broker_url = saved
        app._pool, app.amqp._producer_pool = None, None


def child_build(pack_id: int, profile: bool) -> None:
    """Run in the child: warm up the PDF engine, then build_pack(pack_id); print JSON figures."""
    setup_django(os.environ["DATABASE_URL"])
    quiet()
    began = time.perf_counter()
    from weasyprint import HTML

    HTML(string="<p>warm-up</p>").write_pdf()
    warm_up = time.perf_counter() - began

    from panels.models import MeetingPack
    from panels.pack import build_pack

    parts = instrument()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    began = time.perf_counter()
    build_pack(pack_id)
    seconds = time.perf_counter() - began
    if profiler is not None:
        import pstats

        profiler.disable()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(30)
        print(stream.getvalue(), file=sys.stderr)
    pack = MeetingPack.objects.get(pk=pack_id)
    print(
        RESULT
        + json.dumps(
            {
                "status": pack.status,
                "error": pack.error,
                "seconds": seconds,
                "warm_up": warm_up,
                "parts": dict(parts.seconds),
                "calls": dict(parts.calls),
            }
        )
    )


def run_build(pack_id: int, profile: bool) -> dict:
    """build_pack in a fresh child process; its figures plus wall time and its own peak RSS."""
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, __file__, "--child-build", str(pack_id), *(["--profile"] if profile else [])],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)  # this child's rusage alone
    wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"The build failed (exit {process.returncode})")
    figures = json.loads(next(line for line in output.splitlines() if line.startswith(RESULT))[len(RESULT) :])
    figures["wall"] = wall
    figures["rss_mb"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    return figures


def pack_file(pack) -> tuple[int, int, int]:
    """(pages, bytes, outline entries at the top level) of the stored pack."""
    from pypdf import PdfReader

    from casework.pdf import open_stored_pdf

    with open_stored_pdf(pack.pdf_name) as stored:
        data = stored.read()
    reader = PdfReader(io.BytesIO(data))
    top = [entry for entry in reader.outline if not isinstance(entry, list)]
    return len(reader.pages), len(data), len(top)


def report(label: str, figures: dict, pages: int, size: int, target: float) -> None:
    verdict = "met" if figures["seconds"] < target else "MISSED"
    print(f"\n{label}")
    print(f"  build_pack()                {figures['seconds']:7.2f} s   target < {target:.0f} s: {verdict}")
    print(
        f"  child process wall time     {figures['wall']:7.2f} s   (start-up, Django, warm-up render included)"
    )
    print(f"  warm-up render (fonts)      {figures['warm_up']:7.2f} s")
    print(f"  pages {pages}, PDF {size / 1e6:.2f} MB")
    rss = "met" if figures["rss_mb"] < TARGETS["rss_mb"] else "MISSED"
    print(f"  peak RSS of the child       {figures['rss_mb']:7.0f} MB  target < 500 MB: {rss}")
    print("  by part (outermost call only):")
    accounted = 0.0
    for name, seconds in sorted(figures["parts"].items(), key=lambda kv: -kv[1]):
        accounted += seconds
        print(f"    {name:42} {seconds:6.2f} s  {figures['calls'][name]:4d} calls")
    print(f"    {'rest (queries, Python)':42} {figures['seconds'] - accounted:6.2f} s")


def machine() -> str:
    cores = os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{platform.machine()} {cores} cores, Python {platform.python_version()}, load {load}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--referrals", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true", help="cProfile each build (top 30 to stderr)")
    parser.add_argument("--child-build", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_build:
        child_build(args.child_build, args.profile)
        return

    url = bench_url_or(DEFAULT_DATABASE_URL)
    storage = tempfile.mkdtemp(prefix="packbench-")
    os.environ["PRIVATE_STORAGE_ROOT"] = storage
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["DATABASE_URL"] = url
    try:
        print(f"Machine: {machine()}")
        began = time.perf_counter()
        recreate_database(url)
        setup_django(url)
        quiet()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(
            f"Database {dj_database_url.parse(url)['NAME']} created and migrated in {time.perf_counter() - began:.0f} s"
        )

        from panels.models import AgendaItem, MeetingPack
        from panels.services import packs
        from referrals.models import ReferralPaper

        began = time.perf_counter()
        meeting, admin = make_meeting(args.referrals, args.seed)
        print(f"Data made through the services in {time.perf_counter() - began:.0f} s: {data_size(meeting)}")
        # Placing on the agenda renders each paper and image page already (the referral.paper job,
        # in-process here): forget them all, so the first pack renders everything itself (the worst case).
        ReferralPaper.objects.all().delete()
        from casework.pdf import pdf_dir

        for stored in pdf_dir(create=True).glob("*.pdf"):
            stored.unlink()

        with queued_nowhere():
            first = packs.pack_request(actor=admin, meeting=meeting)
        one = run_build(first.pk, args.profile)
        first = MeetingPack.objects.get(pk=first.pk)
        assert one["status"] == "ready", one
        pages, size, top = pack_file(first)
        assert pages == first.page_count and top == args.referrals + 1
        report("First pack (every paper rendered fresh)", one, pages, size, TARGETS["first"])

        AgendaItem.objects.create(
            meeting=meeting,
            kind="other_business",
            title="Any other business",
            position=args.referrals + 1,
            added_by=admin,
        )
        with queued_nowhere():
            second = packs.pack_request(actor=admin, meeting=meeting)
        assert second.version == 2
        two = run_build(second.pk, args.profile)
        second = MeetingPack.objects.get(pk=second.pk)
        assert two["status"] == "ready", two
        assert ReferralPaper.objects.count() == args.referrals  # reused, not rendered again
        pages, size, _top = pack_file(second)
        report("Re-pack after one agenda change (papers reused)", two, pages, size, TARGETS["repack"])
    finally:
        shutil.rmtree(storage, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
