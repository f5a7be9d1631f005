"""Issue 15, "Evidence and the pack", driven as a panel month runs: evidence uploaded to referrals
(some of it protected, damaged or Word), the referrals submitted and placed on the agenda, and the
pack built for real (WeasyPrint, pypdf) and read back with pypdf and, where the machine has it,
poppler's `pdfinfo` / `pdffonts` (scripts/system-deps.sh installs poppler-utils).

- "A password-protected PDF (including AES) is reported as protected, not as unreadable; a PDF with
  a damaged page is caught at upload or listed as damaged in the pack, never included as a blank page."
- "The pack itself (cover or contents) lists every evidence file not included and why; the referral
  paper's evidence table marks them; items about the same child are distinguishable in titles and
  bookmarks (referral number)."
- "The pack is a tagged PDF (pdfinfo says Tagged: yes, /Lang en-GB, fonts embedded) for the parts
  we render; the accessibility statement says exactly what is and is not tagged."
(Seeds 002, Joint Funding Panel terms of reference 3.9: papers circulated before the meeting.)
"""

# ruff: noqa: F811 - the panel tests' fixtures are imported by name and asked for as arguments
from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from casework.pdf import open_stored_pdf
from panels import services
from panels.models import PackStatus
from panels.pack import PROTECTED, WORD, stamped_download
from referrals import services as referral_services
from referrals.evidence import NOT_IN_PACK_DAMAGED_PAGE
from referrals.evidence import PROTECTED as UPLOAD_PROTECTED
from tests.panels.conftest import (  # noqa: F401 - fixtures, shared with the panel tests
    clock,
    council_member,
    icb_member,
    irap,
    irap_meeting,
    make_submitted,
    panel_admin,
    private_storage,
    second_icb_member,
)
from tests.panels.test_pack import attach_stored, on_agenda
from tests.referrals.test_evidence import damage_page, make_doc, make_image, make_pdf, make_text_pdf

PDFINFO = shutil.which("pdfinfo")
PDFFONTS = shutil.which("pdffonts")


def poppler(program: str | None, data: bytes) -> str:
    found = subprocess.run([program, "-"], input=data, capture_output=True, timeout=30, check=True)  # noqa: S603
    return found.stdout.decode()


def fonts_of(reader: PdfReader) -> dict[str, bool]:
    """{font name: embedded?} for every font the pages use, read with pypdf."""
    found: dict[str, bool] = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get_object().get("/Font") or {}).values():
            font = font.get_object()
            if font.get("/Subtype") == "/Type0":
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            else:
                descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font.get("/BaseFont"))] = embedded
    return found


def cover_pages(reader: PdfReader) -> list:
    """The cover, members, agenda and list of evidence left out: the pages before the first item."""
    return list(reader.pages[: reader.get_destination_page_number(reader.outline[1])])


def build(meeting, actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pack = services.pack_request(actor=actor, meeting=meeting)
    pack.refresh_from_db()
    with open_stored_pdf(pack.pdf_name) as stored:
        return pack, stored.read()


@pytest.fixture
def month(irap_meeting, make_submitted, panel_admin, social_worker, django_capture_on_commit_callbacks):
    """Two referrals for the same child (Amelia) on one agenda. The first carries the evidence the
    pack cannot include, put in storage as an earlier release let it in; the second a photo."""
    first, second = make_submitted(), make_submitted()
    for name, data, kind in [
        ("locked-rc4.pdf", make_pdf(password="secret", algorithm="RC4-128"), "application/pdf"),
        ("locked-aes.pdf", make_pdf(password="secret", algorithm="AES-256"), "application/pdf"),
        ("damaged.pdf", damage_page(make_text_pdf(3), 2), "application/pdf"),
        ("cut-short.pdf", damage_page(make_text_pdf(3), 3, "cut"), "application/pdf"),
        ("letter.doc", make_doc(), "application/msword"),
        ("restricted.pdf", make_pdf(owner_password="owner", algorithm="AES-256"), "application/pdf"),
    ]:
        attach_stored(first, name, data, kind, social_worker)
    attach_stored(second, "photo.png", make_image("PNG"), "image/png", social_worker)
    items = [on_agenda(first, irap_meeting, panel_admin, 1), on_agenda(second, irap_meeting, panel_admin, 2)]
    pack, data = build(irap_meeting, panel_admin, django_capture_on_commit_callbacks)
    return {"first": first, "second": second, "items": items, "pack": pack, "data": data}


def test_an_aes_protected_pdf_is_refused_at_upload_as_protected(make_submitted, social_worker):
    """Issue 15: "a password-protected PDF (including AES, so add cryptography) is reported as
    protected, not as unreadable" — through the service the upload page and API call."""
    referral = referral_services.referral_create(
        actor=social_worker,
        child=make_submitted().child,
        panel=make_submitted().panel,
        pathway="joint_package",
    )
    for algorithm in ("AES-256", "RC4-128"):
        locked = SimpleUploadedFile("Locked.pdf", make_pdf(password="s3cret", algorithm=algorithm))
        with pytest.raises(ValidationError) as excinfo:
            referral_services.evidence_add(actor=social_worker, referral=referral, upload=locked)
        assert excinfo.value.message_dict == {"file": [UPLOAD_PROTECTED]}


def test_the_pack_lists_what_it_leaves_out_and_why_and_never_shows_a_damaged_page(month):
    """Issue 15: the cover lists every file not included with why; the damaged file's pages are not
    in the pack (not as blank pages, not at all); a file that opens without a password is included."""
    pack, reader = month["pack"], PdfReader(io.BytesIO(month["data"]))
    assert pack.status == PackStatus.READY
    first = month["first"].pk
    reasons = {entry["file"]: (entry["item"], entry["reason"]) for entry in pack.left_out}
    item = f"{month['items'][0].title} (referral {first})"
    assert reasons == {
        "locked-rc4.pdf": (item, PROTECTED),
        "locked-aes.pdf": (item, PROTECTED),
        "damaged.pdf": (item, NOT_IN_PACK_DAMAGED_PAGE.format(page=2)),
        "cut-short.pdf": (item, NOT_IN_PACK_DAMAGED_PAGE.format(page=3)),
        "letter.doc": (item, WORD),
    }
    # Compared without spaces: a table cell wraps "locked-rc4.pdf" after its hyphen.
    cover = "".join("".join(page.extract_text() for page in cover_pages(reader)).split())
    assert "Evidencenotincludedinthispack" in cover
    for name, (_, reason) in reasons.items():
        assert name in cover
        assert "".join(reason.split()) in cover
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Assessment, page" not in text  # the damaged file's readable pages are not in either
    evidence = [entry.title for entry in reader.outline[2]]
    assert f"restricted.pdf (referral {first})" in evidence
    assert not any(name in title for title in evidence for name in reasons)


def test_the_paper_marks_the_evidence_the_pack_leaves_out(month):
    """Issue 15: "the referral paper's evidence table marks them"."""
    reader = PdfReader(io.BytesIO(month["data"]))
    paper_page = reader.get_destination_page_number(reader.outline[1])
    paper = " ".join(" ".join(page.extract_text() for page in reader.pages[paper_page:]).split())
    assert "In the panel pack" in paper
    assert paper.count("Not included.") == len(month["pack"].left_out) == 5
    assert f"Not included. {PROTECTED}" in paper


def test_two_referrals_for_the_same_child_are_told_apart_by_their_number(month):
    """Issue 15: "items about the same child are distinguishable in titles and bookmarks"."""
    reader = PdfReader(io.BytesIO(month["data"]))
    first, second = month["first"], month["second"]
    assert first.child_id == second.child_id
    titles = [entry.title for entry in reader.outline if not isinstance(entry, list)]
    assert titles[1] == f"{month['items'][0].title} (referral {first.pk})"
    assert titles[2] == f"{month['items'][1].title} (referral {second.pk})"
    assert titles[1] != titles[2]
    evidence = [entry.title for entry in reader.outline[4]]
    assert f"photo.png (referral {second.pk})" in evidence
    assert all(title.endswith(f"(referral {second.pk})") for title in evidence)
    cover = "\n".join(page.extract_text() for page in cover_pages(reader))
    assert f"(referral {first.pk})" in cover and f"(referral {second.pk})" in cover


def test_the_pack_is_tagged_in_british_english_with_its_fonts_embedded(month):
    """Issue 15: "pdfinfo says Tagged: yes, /Lang en-GB, fonts embedded" for the parts we render.
    Read with pypdf always, and with poppler's pdfinfo and pdffonts where installed."""
    data = month["data"]
    reader = PdfReader(io.BytesIO(data))
    catalog = reader.root_object
    assert catalog["/Lang"] == "en-GB"
    assert catalog["/MarkInfo"]["/Marked"] is True or catalog["/MarkInfo"]["/Marked"] == True  # noqa: E712
    tree = catalog["/StructTreeRoot"].get_object()
    document = tree["/K"].get_object()
    assert isinstance(document, DictionaryObject) and document["/S"] == "/Document"
    parts = [kid.get_object() for kid in document["/K"]]
    # The cover, each paper, each image page: one Part each; the evidence PDFs carry none.
    assert len(parts) >= 4 and all(part["/S"] == "/Part" for part in parts)
    keys = [int(value) for value in tree["/ParentTree"]["/Nums"][::2]]
    assert keys == sorted(set(keys)) and int(tree["/ParentTreeNextKey"]) == keys[-1] + 1
    page_keys = [int(page["/StructParents"]) for page in reader.pages if "/StructParents" in page]
    assert len(page_keys) == len(set(page_keys)) and set(page_keys) <= set(keys)
    assert reader.pages[0]["/StructParents"] is not None  # the cover is tagged
    fonts = fonts_of(reader)
    assert fonts and all(fonts.values()), fonts
    if PDFINFO:
        info = poppler(PDFINFO, data)
        assert "Tagged:          yes" in info, info
    if PDFFONTS:
        rows = poppler(PDFFONTS, data).splitlines()[2:]
        assert rows and all(row.split()[-5] == "yes" for row in rows), rows


def test_a_download_keeps_the_tags(month, panel_admin):
    """The per-download line is stamped onto the stored pack: the tags, language and embedded
    fonts survive it."""
    data = stamped_download(month["pack"], person_name="Adam Clerk")
    reader = PdfReader(io.BytesIO(data))
    assert reader.root_object["/Lang"] == "en-GB" and "/StructTreeRoot" in reader.root_object
    assert all(fonts_of(reader).values())
    assert "Downloaded by Adam Clerk" in reader.pages[0].extract_text()
    if PDFINFO:
        assert "Tagged:          yes" in poppler(PDFINFO, data)


def test_the_accessibility_statement_says_what_is_and_is_not_tagged(client, db):
    """Issue 15: "the accessibility statement says exactly what is and is not tagged"."""
    text = " ".join(client.get(reverse("accessibility")).content.decode().split())
    assert "tagged PDFs in British English, with their fonts embedded" in text
    assert "evidence PDFs in a meeting pack are added as their authors made them" in text
    assert "lists on its cover every evidence file it does not include and why" in text
