"""Evidence uploads: checked by content, names cleaned, stored privately, bad files refused in plain English.

The issue: "PDF, Word, images; size limit (setting, 20 MB default); type checked by content not
extension; filenames sanitised; stored outside static/media serving" and "an oversized, empty,
mislabelled or corrupt upload" gets a clear error, never a 500. Every fixture file is made here.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import stat
import struct
import time
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile, TemporaryUploadedFile
from django.http import Http404
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader, PdfWriter

from referrals import evidence, services
from referrals.evidence import open_stored, store_upload
from referrals.models import Evidence
from tests.factories import PanelFactory
from tests.referrals.test_journey_services import MINIMAL_PDF

DAMAGED = "The selected file is damaged and cannot be opened"
DAMAGED_PAGE = "Page {page} of the selected file is damaged: upload a copy that opens in full"
PROTECTED = "The selected file is protected with a password: upload a copy without one"
WRONG_TYPE = "The selected file must be a PDF, Word document, PNG or JPEG"
MACROS = "The selected file contains macros: save it as a Word document without macros, or as a PDF"


# --- Files, made in code ------------------------------------------------------------------------


def make_pdf(
    *,
    pages: int = 1,
    password: str | None = None,
    algorithm: str = "RC4-128",
    owner_password: str | None = None,
) -> bytes:
    """Blank pages; `password` to open it (pypdf's writer.encrypt, RC4-128 or AES-256), or only
    `owner_password` for a file that opens without one but restricts printing or copying."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password is not None or owner_password is not None:
        writer.encrypt(
            user_password=password or "", owner_password=owner_password or password, algorithm=algorithm
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_text_pdf(pages: int = 3) -> bytes:
    """Pages each with lines of text in a compressed content stream, as real PDFs have."""
    from pypdf.generic import DecodedStreamObject

    writer = PdfWriter()
    for number in range(1, pages + 1):
        page = writer.add_blank_page(width=595, height=842)
        content = DecodedStreamObject()
        content.set_data(
            b"".join(
                b"BT /F1 12 Tf 72 %d Td (Assessment, page %d, line %d) Tj ET\n"
                % (770 - 14 * line, number, line)
                for line in range(30)
            )
        )
        page.replace_contents(content)
        page.compress_content_streams()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def damage_page(data: bytes, page: int, how: str = "overwritten") -> bytes:
    """`data` with the compressed content stream of page `page` (from 1) damaged, so the file's
    structure still reads and only that page cannot be drawn in full: "overwritten" with zeros,
    "cut" (its second half zeros, as a copy that stopped part way) or "truncated" (shorter than
    its /Length says)."""
    raw = PdfReader(io.BytesIO(data)).pages[page - 1]["/Contents"].get_object()._data
    assert data.count(raw) == 1
    half = len(raw) // 2
    damaged = {
        "overwritten": b"\0" * len(raw),
        "cut": raw[:half] + b"\0" * (len(raw) - half),
        "truncated": raw[:half],
    }[how]
    return data.replace(raw, damaged)


def pdf_from_objects(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF written by hand, for shapes pypdf will not write here (object 1 must be the catalogue)."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    return bytes(out)


PAGE_OBJECTS = [
    b"<</Type/Catalog/Pages 2 0 R>>",
    b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
    b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
]


def make_aes256_pdf() -> bytes:
    """Acrobat's default protection (AES-256, revision 6) with a password nobody knows. Trying even the
    empty password needs AES, which pypdf has from `cryptography` (a dependency since issue 15)."""
    encrypt = b"<</Filter/Standard/V 5/R 6/Length 256/P -1028/O <%s>/U <%s>/OE <%s>/UE <%s>/Perms <%s>>>" % (
        b"11" * 48,
        b"22" * 48,
        b"33" * 32,
        b"44" * 32,
        b"55" * 16,
    )
    return pdf_from_objects(
        [*PAGE_OBJECTS, encrypt], trailer=b"/Encrypt 4 0 R /ID [<%s><%s>]" % (b"ab" * 16, b"ab" * 16)
    )


def make_image(image_format: str, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 40).convert("RGB").save(out, image_format)
    return out.getvalue()


CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
DOCUMENT_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Core assessment, March 2026.</w:t></w:r></w:p></w:body></w:document>"
)


def make_docx(*, extra: dict[str, bytes] | None = None, word: bool = True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES_XML)
        if word:
            archive.writestr("word/document.xml", DOCUMENT_XML * 20)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def make_ole2(entries: list[tuple[str, int]]) -> bytes:
    """A minimal Compound File Binary ([MS-CFB]): sector 0 is the FAT, sector 1 the directory.

    `entries` are (name, object type) after the root: 1 storage, 2 stream (all empty).
    """
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = bytes.fromhex("d0cf11e0a1b11ae1")
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 0x28, 0, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([free] * 108))
    fat = struct.pack("<128I", fat_sector, end, *([free] * 126))

    def entry(name: str, object_type: int, child: int = free, right: int = free) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        raw[: len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), object_type, 1)
        struct.pack_into("<III", raw, 68, free, right, child)
        struct.pack_into("<II", raw, 116, end, 0)
        return bytes(raw)

    directory = [entry("Root Entry", 5, child=1 if entries else free)]
    for index, (name, object_type) in enumerate(entries, start=1):
        directory.append(entry(name, object_type, right=index + 1 if index < len(entries) else free))
    directory_sector = b"".join(directory).ljust(512, b"\0")
    assert len(directory) <= 4
    return bytes(header) + fat + directory_sector


def make_doc(*, macros: bool = False) -> bytes:
    entries = [("WordDocument", 2), ("1Table", 2)]
    if macros:
        entries.append(("Macros", 1))
    return make_ole2(entries)


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    # The browser's content type is deliberately wrong: it must never be trusted.
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def raw_upload(name: str, data: bytes) -> SimpleUploadedFile:
    """An upload whose name skipped Django's own clean-up (basename on "/", 255 characters), as a
    name from another client or a future Django might, so our cleaning is tested on its own."""
    item = upload("placeholder", data)
    item._name = name
    return item


def file_error(excinfo) -> str:
    assert list(excinfo.value.message_dict) == ["file"]
    [message] = excinfo.value.message_dict["file"]
    return message


@pytest.fixture
def evidence_dir(settings, tmp_path) -> Path:
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.EVIDENCE_MAX_UPLOAD_MB = 20
    return tmp_path / "private" / "evidence"


def stored_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


# --- Accepted files -----------------------------------------------------------------------------

ACCEPTED = [
    ("Core assessment.pdf", make_pdf, "application/pdf", "pdf"),
    (
        "Care plan.docx",
        make_docx,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    ("Old letter.doc", make_doc, "application/msword", "doc"),
    ("Body map.png", lambda: make_image("PNG"), "image/png", "png"),
    ("Photo.jpg", lambda: make_image("JPEG"), "image/jpeg", "jpg"),
    ("Photo.JPEG", lambda: make_image("JPEG"), "image/jpeg", "jpg"),
]


@pytest.mark.parametrize(("name", "make", "content_type", "extension"), ACCEPTED)
def test_accepts_each_supported_type(evidence_dir, name, make, content_type, extension):
    data = make()
    stored = store_upload(upload(name, data))

    assert stored.display_name == name
    assert stored.content_type == content_type
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert re.fullmatch(rf"[0-9a-f]{{32}}\.{extension}", stored.stored_name)
    assert len(stored.stored_name) <= Evidence._meta.get_field("stored_name").max_length
    path = evidence_dir / stored.stored_name
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(evidence_dir.stat().st_mode) == 0o700
    assert stored_files(evidence_dir) == [stored.stored_name]  # no partial file left behind


def test_stored_names_are_random(evidence_dir):
    data = make_pdf()
    first, second = store_upload(upload("a.pdf", data)), store_upload(upload("a.pdf", data))
    assert first.stored_name != second.stored_name
    assert first.sha256 == second.sha256


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_a_pdf_that_needs_a_password_is_refused_as_protected_not_damaged(evidence_dir, algorithm):
    """Issue 15: "a password-protected PDF (including AES) is reported as protected, not as
    unreadable": nobody at the panel could open it, so the upload says why and what to do."""
    with pytest.raises(ValidationError) as excinfo:
        store_upload(upload("Locked report.pdf", make_pdf(password="s3cret", algorithm=algorithm)))
    assert file_error(excinfo) == PROTECTED
    assert stored_files(evidence_dir) == []


def test_acrobats_aes_256_protection_written_by_hand_is_refused_as_protected(evidence_dir):
    with pytest.raises(ValidationError) as excinfo:
        store_upload(upload("Locked report.pdf", make_aes256_pdf()))
    assert file_error(excinfo) == PROTECTED


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_a_pdf_that_opens_without_a_password_but_restricts_printing_is_accepted(evidence_dir, algorithm):
    stored = store_upload(upload("Report.pdf", make_pdf(owner_password="owner", algorithm=algorithm)))
    assert stored.content_type == "application/pdf"


@pytest.mark.parametrize("how", ["overwritten", "cut", "truncated"])
def test_a_pdf_with_a_damaged_page_is_refused_naming_the_page(evidence_dir, how):
    """Issue 15: "a PDF with a damaged page is caught at upload ... never included as a blank page".
    pypdf decodes what it can of a broken stream (nothing, or the part before the damage) and at
    most logs it: a stream that does not inflate to its end is damage."""
    with pytest.raises(ValidationError) as excinfo:
        store_upload(upload("Assessment.pdf", damage_page(make_text_pdf(3), 2, how)))
    assert file_error(excinfo) == DAMAGED_PAGE.format(page=2)
    assert stored_files(evidence_dir) == []


def test_a_pdf_whose_pages_all_read_is_accepted(evidence_dir):
    assert store_upload(upload("Assessment.pdf", make_text_pdf(3))).content_type == "application/pdf"


def test_accepts_a_hand_written_pdf(evidence_dir):
    assert store_upload(upload("Plain.pdf", pdf_from_objects(PAGE_OBJECTS))).content_type == "application/pdf"


def test_accepts_the_minimal_pdf_the_journey_tests_use(evidence_dir):
    assert store_upload(upload("assessment.pdf", MINIMAL_PDF)).size == len(MINIMAL_PDF)


def test_accepts_a_password_protected_docx(evidence_dir):
    """Office encrypts a .docx into an OLE2 file with an EncryptedPackage stream, not a zip."""
    data = make_ole2([("EncryptionInfo", 2), ("EncryptedPackage", 2)])
    stored = store_upload(upload("Locked plan.docx", data))
    assert stored.display_name == "Locked plan.docx"
    assert stored.stored_name.endswith(".docx")


def test_works_with_every_kind_of_django_upload(evidence_dir):
    data = make_pdf(pages=3)
    temporary = TemporaryUploadedFile("on disk.pdf", "application/pdf", len(data), None)
    temporary.write(data)
    temporary.seek(0)
    in_memory = InMemoryUploadedFile(io.BytesIO(data), "file", "in memory.pdf", "text/plain", len(data), None)
    try:
        for item in (temporary, in_memory):
            stored = store_upload(item)
            assert (evidence_dir / stored.stored_name).read_bytes() == data
    finally:
        temporary.close()


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("scan", make_pdf, "scan.pdf"),  # no extension: we add the right one
        ("Minutes 12.03.2024", make_pdf, "Minutes 12.03.2024.pdf"),  # a date is not an extension
        ("Letter.doc", make_docx, "Letter.docx"),  # Word opens either; we store the true one
        ("Letter.docx", make_doc, "Letter.doc"),
        ("REPORT.PDF", make_pdf, "REPORT.PDF"),
        ("Locked plan.doc", lambda: make_ole2([("EncryptedPackage", 2)]), "Locked plan.docx"),
    ],
)
def test_display_name_ends_with_the_right_extension(evidence_dir, name, make, expected):
    assert store_upload(upload(name, make())).display_name == expected


# --- Names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("..\\..\\windows\\system32\\report.pdf", "report.pdf"),
        ("..／..／secret.pdf", "secret.pdf"),  # full-width solidus: NFKC turns it into "/"
        ("ＲＥＰＯＲＴ．ｐｄｆ", "REPORT.pdf"),
        ("re\x00po\x07rt\t\n final\r\n.pdf", "report final.pdf"),
        ("invoice\u202egpj.pdf", "invoicegpj.pdf"),  # right-to-left override hides the real extension
        ('a<b>c:"d|e?f*.pdf', "abcdef.pdf"),
        ("   lots    of   spaces   .pdf", "lots of spaces.pdf"),
        (".pdf", "evidence.pdf"),
        ("  . .pdf", "evidence.pdf"),
        ("", "evidence.pdf"),
        ("\x00\x01\x02", "evidence.pdf"),
        ("../", "evidence.pdf"),
    ],
)
def test_names_are_cleaned(evidence_dir, name, expected):
    assert store_upload(raw_upload(name, make_pdf())).display_name == expected


def test_names_are_cleaned_after_django_has_had_its_go(evidence_dir):
    assert store_upload(upload("../../etc/passwd.pdf", make_pdf())).display_name == "passwd.pdf"
    assert store_upload(upload("C:\\Users\\x\\report.pdf", make_pdf())).display_name == "report.pdf"


def test_very_long_names_are_shortened_keeping_the_extension(evidence_dir):
    stored = store_upload(raw_upload("a" * 1000 + ".pdf", make_pdf()))
    assert len(stored.display_name) == 255
    assert stored.display_name.endswith("aaa.pdf")

    stored = store_upload(raw_upload("ﬀ" * 300 + ".pdf", make_pdf()))  # NFKC makes each of these two letters
    assert len(stored.display_name) <= 255
    assert stored.display_name.endswith("ff.pdf")


# --- Refused files ------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", make_pdf(pages=0)], ids=["no bytes", "pdf without pages"])
def test_refuses_an_empty_file(evidence_dir, data):
    with pytest.raises(ValidationError) as excinfo:
        store_upload(upload("report.pdf", data))
    assert file_error(excinfo) == "The selected file is empty"
    assert stored_files(evidence_dir) == []


def test_refuses_a_file_over_the_limit(evidence_dir, settings):
    settings.EVIDENCE_MAX_UPLOAD_MB = 1
    with pytest.raises(ValidationError) as excinfo:
        store_upload(upload("big.pdf", b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 1 - 9)))
    assert file_error(excinfo) == "The selected file must be smaller than 1 MB"
    assert stored_files(evidence_dir) == []


def test_the_limit_message_uses_the_setting(evidence_dir, settings):
    settings.EVIDENCE_MAX_UPLOAD_MB = 20
    big = upload("big.pdf", b"x")
    big.size = 20 * 1024 * 1024 + 1
    with pytest.raises(ValidationError) as excinfo:
        store_upload(big)
    assert file_error(excinfo) == "The selected file must be smaller than 20 MB"


def test_a_file_exactly_at_the_limit_gets_past_the_size_check(evidence_dir, settings):
    settings.EVIDENCE_MAX_UPLOAD_MB = 1
    with pytest.raises(ValidationError) as excinfo:
        store_upload(upload("notes.txt", b"x" * 1024 * 1024))
    assert file_error(excinfo) == WRONG_TYPE


def test_counts_the_bytes_rather_than_trusting_the_declared_size(evidence_dir, settings):
    settings.EVIDENCE_MAX_UPLOAD_MB = 1
    liar = upload("big.pdf", make_pdf() + b"\n" * (1024 * 1024))
    liar.size = 100
    with pytest.raises(ValidationError) as excinfo:
        store_upload(liar)
    assert file_error(excinfo) == "The selected file must be smaller than 1 MB"
    assert stored_files(evidence_dir) == []


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        (
            "report.pdf",
            lambda: make_image("PNG"),
            "The selected file is called report.pdf but is a PNG image: rename it or choose another file",
        ),
        (
            "photo.png",
            lambda: make_image("JPEG"),
            "The selected file is called photo.png but is a JPEG image: rename it or choose another file",
        ),
        (
            "care plan.pdf",
            make_docx,
            "The selected file is called care plan.pdf but is a Word document: rename it or choose another file",
        ),
        (
            "report.exe",
            make_pdf,
            "The selected file is called report.exe but is a PDF: rename it or choose another file",
        ),
        (
            "page.html",
            make_pdf,
            "The selected file is called page.html but is a PDF: rename it or choose another file",
        ),
        (
            "setup.pdf",
            lambda: b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(range(256)) * 8,
            "The selected file is called setup.pdf but is not a PDF: choose a PDF, Word document, PNG or JPEG",
        ),
        (
            "notes.docx",
            lambda: make_docx(word=False),
            "The selected file is called notes.docx but is not a Word document: "
            "choose a PDF, Word document, PNG or JPEG",
        ),
        (
            "budget.doc",
            lambda: make_ole2([("Workbook", 2)]),
            "The selected file is called budget.doc but is not a Word document: "
            "choose a PDF, Word document, PNG or JPEG",
        ),
        ("budget.xls", lambda: make_ole2([("Workbook", 2)]), WRONG_TYPE),
        ("notes.txt", lambda: b"Just some notes\n", WRONG_TYPE),
        ("archive.zip", lambda: make_docx(word=False), WRONG_TYPE),
        ("page.html", lambda: b"<html><script>alert(1)</script></html>", WRONG_TYPE),
        ("photo.gif", lambda: make_image("GIF"), WRONG_TYPE),
        ("locked.xlsx", lambda: make_ole2([("EncryptedPackage", 2)]), WRONG_TYPE),
    ],
)
def test_refuses_mislabelled_and_unsupported_files(evidence_dir, name, make, expected):
    with pytest.raises(ValidationError) as excinfo:
        store_upload(raw_upload(name, make()))
    assert file_error(excinfo) == expected
    assert stored_files(evidence_dir) == []


def truncated_pdf() -> bytes:
    data = make_pdf(pages=3)
    return data[: len(data) // 2]


def corrupt_png() -> bytes:
    data = bytearray(make_image("PNG"))
    data[60] ^= 0xFF  # inside the image data: the chunk checksum no longer matches
    return bytes(data)


def corrupt_docx() -> bytes:
    data = bytearray(make_docx())
    index = data.index(b"word/document.xml") + 40  # into the compressed document
    data[index : index + 8] = b"\x00" * 8
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("report.pdf", truncated_pdf),
        ("report.pdf", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 4),
        ("report.pdf", lambda: b"%PDF-1.4\n" + b"[" * 200_000 + b"\n%%EOF\n"),
        ("loop.pdf", lambda: pdf_from_objects([PAGE_OBJECTS[0], b"<</Type/Pages/Kids[2 0 R]/Count 1>>"])),
        (
            "twice.pdf",
            lambda: pdf_from_objects(
                [*PAGE_OBJECTS[:1], b"<</Type/Pages/Kids[3 0 R 3 0 R]/Count 2>>", PAGE_OBJECTS[2]]
            ),
        ),
        ("no root.pdf", lambda: pdf_from_objects(PAGE_OBJECTS[1:])),
        ("photo.png", corrupt_png),
        ("photo.png", lambda: make_image("PNG")[:-20]),
        ("photo.jpg", lambda: make_image("JPEG", (300, 200))[:400]),
        ("care plan.docx", lambda: make_docx()[:-30]),  # the zip's central directory is cut off
        ("care plan.docx", corrupt_docx),
        ("care plan.docx", lambda: b"PK\x03\x04" + b"\x00" * 100),
        ("letter.doc", lambda: make_doc()[:700]),
        ("letter.doc", lambda: bytes.fromhex("d0cf11e0a1b11ae1") + b"\xff" * 600),
    ],
)
def test_refuses_damaged_files(evidence_dir, name, make):
    with pytest.raises(ValidationError) as excinfo:
        store_upload(upload(name, make()))
    assert file_error(excinfo) == DAMAGED
    assert stored_files(evidence_dir) == []


def test_a_pdf_built_to_keep_pypdf_busy_is_refused_quickly(evidence_dir):
    """No catalogue, and a trailer promising millions of objects: left to its defaults, pypdf
    searches the whole file for each of 10,000 of them (about 2 minutes at this 2 MB size)."""
    data = (
        b"%PDF-1.7\ntrailer <</Size 99999999 /Root 1 0 R>>\nxref\n0 999999999\n"
        + b"0000000000 65535 f \n" * 100_000
        + b"startxref\n9\n%%EOF\n"
    )
    started = time.monotonic()
    with pytest.raises(ValidationError) as excinfo:
        store_upload(upload("busy.pdf", data))
    assert file_error(excinfo) == DAMAGED
    assert time.monotonic() - started < 5


def test_a_slow_page_tree_is_given_up_on(evidence_dir, monkeypatch):
    monkeypatch.setattr(evidence, "PDF_CHECK_SECONDS", -1)
    with pytest.raises(ValidationError) as excinfo:
        store_upload(upload("report.pdf", make_pdf()))
    assert file_error(excinfo) == DAMAGED


def test_a_jpeg_with_too_many_scans_for_its_size_is_refused(evidence_dir, monkeypatch):
    data = make_image("JPEG", (400, 300))
    monkeypatch.setattr(evidence, "JPEG_SCAN_PIXEL_BUDGET", 400 * 300 - 1)  # one scan is over
    with pytest.raises(ValidationError) as excinfo:
        store_upload(upload("photo.jpg", data))
    assert file_error(excinfo) == DAMAGED


def test_ole2_directory_loops_are_damaged():
    data = bytearray(make_doc())
    struct.pack_into("<I", data, 512 + 4, 1)  # the directory sector's FAT entry points at itself
    with io.BytesIO(bytes(data)) as file, pytest.raises(ValidationError) as excinfo:
        evidence._check(file, stem="letter", claimed="doc")
    assert file_error(excinfo) == DAMAGED


def test_zip_bombs_are_refused_without_being_unpacked(evidence_dir, monkeypatch):
    monkeypatch.setattr(evidence, "MAX_ZIP_UNCOMPRESSED", 1000)
    with pytest.raises(ValidationError) as excinfo:
        store_upload(upload("care plan.docx", make_docx(extra={"word/media/big.bin": b"\0" * 5000})))
    assert file_error(excinfo) == DAMAGED


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("macro.docx", lambda: make_docx(extra={"word/vbaProject.bin": b"VBA"})),
        ("macro.doc", lambda: make_doc(macros=True)),
    ],
)
def test_refuses_word_documents_with_macros(evidence_dir, name, make):
    with pytest.raises(ValidationError) as excinfo:
        store_upload(upload(name, make()))
    assert file_error(excinfo) == MACROS
    assert stored_files(evidence_dir) == []


# --- Storage ------------------------------------------------------------------------------------


def test_stored_outside_anything_served(evidence_dir):
    stored = store_upload(upload("report.pdf", make_pdf()))
    path = (evidence_dir / stored.stored_name).resolve()
    served = [django_settings.STATIC_ROOT, *django_settings.STATICFILES_DIRS]
    if django_settings.MEDIA_ROOT:
        served.append(django_settings.MEDIA_ROOT)
    for folder in served:
        assert not path.is_relative_to(Path(folder).resolve())


def test_default_private_storage_is_not_served():
    folder = evidence.evidence_dir().resolve()
    assert folder.name == "evidence"
    for served in (django_settings.STATIC_ROOT, *django_settings.STATICFILES_DIRS):
        assert not folder.is_relative_to(Path(served).resolve())


@pytest.mark.parametrize("setting", ["STATIC_ROOT", "MEDIA_ROOT"])
def test_refuses_to_store_inside_a_served_folder(settings, tmp_path, setting):
    setattr(settings, setting, tmp_path / "public")
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "public" / "private"
    with pytest.raises(ImproperlyConfigured):
        store_upload(upload("report.pdf", make_pdf()))


def test_discard_removes_the_stored_file(evidence_dir):
    stored = store_upload(upload("report.pdf", make_pdf()))
    assert (evidence_dir / stored.stored_name).exists()
    stored.discard()
    assert stored_files(evidence_dir) == []
    stored.discard()  # twice is harmless


def test_open_stored_reads_back_the_file(evidence_dir):
    data = make_image("PNG")
    stored = store_upload(upload("map.png", data))
    row = Evidence(stored_name=stored.stored_name)
    with open_stored(row) as file:
        assert file.read() == data


@pytest.mark.parametrize(
    "stored_name",
    [
        "../report.pdf",
        "../../etc/passwd",
        "..",
        ".",
        "",
        "a/b.pdf",
        "a\\b.pdf",
        "/etc/passwd",
        ".hidden.pdf",
        "report.pdf\x00.png",
        "0123456789abcdef0123456789abcdef.pdf",  # well-formed, but no such file
    ],
)
def test_open_stored_refuses_anything_but_a_stored_file(evidence_dir, stored_name):
    evidence_dir.mkdir(parents=True)
    (evidence_dir.parent / "report.pdf").write_bytes(b"secret")
    with pytest.raises(Http404):
        open_stored(Evidence(stored_name=stored_name))


def test_open_stored_does_not_follow_links_out_of_the_folder(evidence_dir, tmp_path):
    evidence_dir.mkdir(parents=True)
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(b"secret")
    os.symlink(outside, evidence_dir / "0123456789abcdef0123456789abcdef.pdf")
    with pytest.raises(Http404):
        open_stored(Evidence(stored_name="0123456789abcdef0123456789abcdef.pdf"))


def test_open_stored_refuses_a_folder(evidence_dir):
    (evidence_dir / "folder").mkdir(parents=True)
    with pytest.raises(Http404):
        open_stored(Evidence(stored_name="folder"))


# --- Hostile bytes never cause a server error ----------------------------------------------------

MAGIC_PREFIXES = [
    b"",
    b"%PDF-1.7\n",
    b"PK\x03\x04",
    bytes.fromhex("d0cf11e0a1b11ae1"),
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff\xe0",
]
NAMES = ["report.pdf", "plan.docx", "letter.doc", "map.png", "photo.jpg", "notes.txt", "no extension"]
SAMPLES = [make_pdf(), MINIMAL_PDF, make_docx(), make_doc(), make_image("PNG"), make_image("JPEG")]


def store_or_refuse(name: str, data: bytes) -> None:
    """Only a ValidationError on "file" may come out; anything stored is then removed."""
    try:
        stored = store_upload(raw_upload(name, data))
    except ValidationError as error:
        assert list(error.message_dict) == ["file"]
    else:
        stored.discard()


@hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(prefix=st.sampled_from(MAGIC_PREFIXES), body=st.binary(max_size=4096), name=st.sampled_from(NAMES))
def test_random_bytes_only_ever_raise_validation_error(evidence_dir, prefix, body, name):
    store_or_refuse(name, prefix + body)


@hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sample=st.sampled_from(SAMPLES),
    name=st.sampled_from(NAMES),
    seed=st.integers(min_value=0, max_value=2**32),
    flips=st.integers(min_value=0, max_value=8),
    cut=st.floats(min_value=0.05, max_value=1.0),
)
def test_damaged_copies_of_real_files_only_ever_raise_validation_error(
    evidence_dir, sample, name, seed, flips, cut
):
    rng = random.Random(seed)
    data = bytearray(sample[: max(1, int(len(sample) * cut))])
    for _ in range(flips):
        data[rng.randrange(len(data))] = rng.randrange(256)
    store_or_refuse(name, bytes(data))
    assert stored_files(evidence_dir) == []


# --- Through the service ------------------------------------------------------------------------


@pytest.fixture
def referral(child, social_worker, hampshire):
    panel = PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)
    return services.referral_create(actor=social_worker, child=child, panel=panel, pathway="joint_package")


def test_evidence_add_stores_the_checked_file(evidence_dir, referral, social_worker):
    data = make_pdf(pages=2)
    item = services.evidence_add(
        actor=social_worker,
        referral=referral,
        upload=SimpleUploadedFile("../Core assessment.pdf", data, "text/html"),
        title="Core assessment",
    )
    item.refresh_from_db()
    assert item.original_name == "Core assessment.pdf"
    assert item.content_type == "application/pdf"
    assert item.size == len(data)
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert stored_files(evidence_dir) == [item.stored_name]
    with open_stored(item) as file:
        assert file.read() == data


def test_a_bad_upload_leaves_no_row_and_no_file(evidence_dir, referral, social_worker):
    with pytest.raises(ValidationError) as excinfo:
        services.evidence_add(
            actor=social_worker, referral=referral, upload=upload("report.pdf", make_image("PNG"))
        )
    assert "is a PNG image" in file_error(excinfo)
    assert not Evidence.objects.filter(referral=referral).exists()
    assert stored_files(evidence_dir) == []


def test_a_failed_save_discards_the_stored_file(evidence_dir, referral, social_worker, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise ValidationError({"title": ["Broken on purpose"]})

    monkeypatch.setattr(Evidence, "full_clean", refuse)
    with pytest.raises(ValidationError):
        services.evidence_add(actor=social_worker, referral=referral, upload=upload("report.pdf", make_pdf()))
    assert not Evidence.objects.filter(referral=referral).exists()
    assert stored_files(evidence_dir) == []
