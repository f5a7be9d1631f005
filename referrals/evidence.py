"""Evidence files: checked by what they contain, stored privately, opened only for checked downloads.

The issue's rules: "PDF, Word, images; size limit (setting, 20 MB default); type checked by content
not extension; filenames sanitised; stored outside static/media serving and downloaded only through
the access check". An oversized, empty, mislabelled or corrupt upload is a ValidationError on
"file" in plain English (GOV.UK file upload wording), never a server error. The browser's content
type is never read: the bytes decide.

Files live in the private store (casework/storage.py) under evidence/ with a random name. Nothing
serves it; views call `open_stored` after `referrals.access.get_evidence_for_user`.

This module is the check and the way in; beside it: what a file may be (evidence_formats.py), where
files live (evidence_store.py), and what the panel pack includes (evidence_pack.py). Their names are
re-exported here, so `from referrals.evidence import ...` keeps working.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import tempfile
import time
import unicodedata
import zipfile
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File

from casework.storage import private_storage
from casework.uploads import register_upload_store
from referrals.evidence_formats import (  # noqa: F401 (re-exported)
    DOC,
    DOCX,
    JPEG,
    JPEG_MAGIC,
    KIND_BY_EXTENSION,
    KINDS,
    OLE2_MAGIC,
    OLE2_STORAGE,
    OLE2_STREAM,
    PDF,
    PDF_MAGIC,
    PDF_ROOT_RECOVERY_LIMIT,
    PNG,
    PNG_MAGIC,
    ZIP_MAGIC,
    DamagedFile,
    Kind,
    ole2_directory,
)
from referrals.evidence_pack import (  # noqa: F401 (re-exported)
    MAX_CONTENT_INFLATED,
    NOT_IN_PACK_DAMAGED,
    NOT_IN_PACK_DAMAGED_PAGE,
    NOT_IN_PACK_KIND,
    NOT_IN_PACK_MISSING,
    NOT_IN_PACK_PROTECTED,
    NOT_IN_PACK_WORD,
    damaged_page,
    not_in_pack,
    pdf_for_pack,
)
from referrals.evidence_store import FOLDER, StoredUpload, evidence_dir, open_stored  # noqa: F401 (re-exported)

EMPTY = "The selected file is empty"
TOO_BIG = "The selected file must be smaller than {limit} MB"
WRONG_TYPE = "The selected file must be a PDF, Word document, PNG or JPEG"
MISLABELLED = "The selected file is called {name} but is {actual}: rename it or choose another file"
NOT_WHAT_IT_SAYS = (
    "The selected file is called {name} but is not {claimed}: choose a PDF, Word document, PNG or JPEG"
)
DAMAGED = "The selected file is damaged and cannot be opened"
DAMAGED_PAGE = "Page {page} of the selected file is damaged: upload a copy that opens in full"
PROTECTED = "The selected file is protected with a password: upload a copy without one"
MACROS = "The selected file contains macros: save it as a Word document without macros, or as a PDF"

MAX_NAME_LENGTH = 255  # Evidence.original_name
FALLBACK_STEM = "evidence"

# A .docx is a zip; a hostile one can claim gigabytes. Word documents come nowhere near these.
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_UNCOMPRESSED = 512 * 1024 * 1024
# Reading a PDF's page tree: a real one of thousands of pages takes well under a second.
PDF_CHECK_SECONDS = 5.0
# Progressive scans times pixels: 10 scans of 200 megapixels, or 100 of 20, is about 5 seconds.
JPEG_SCAN_PIXEL_BUDGET = 2_000_000_000


# Something that looks like a file extension: "pdf", "JPEG", "docx"; not "2024" in "Minutes 12.03.2024".
_EXTENSION = re.compile(r"(?P<stem>.*)\.(?P<ext>(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,5})", re.DOTALL)
_UNSAFE_CHARACTERS = re.compile(r'[<>:"/\\|?*]')


def store_upload(upload) -> StoredUpload:
    """Check an uploaded file by its content and store it privately.

    Raises ValidationError({"file": [message]}) for an empty, oversized, unsupported, mislabelled
    or damaged file; nothing is left on disk when it does.
    """
    limit_mb = settings.EVIDENCE_MAX_UPLOAD_MB
    limit = int(limit_mb * 1024 * 1024)
    stem, claimed = _clean_name(getattr(upload, "name", None))
    declared = getattr(upload, "size", None)
    if declared == 0:
        raise _invalid(EMPTY)
    if declared is not None and declared > limit:
        raise _invalid(TOO_BIG.format(limit=f"{limit_mb:g}"))

    # Checked in a scratch file of this process (memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then
    # an unnamed temporary file), then kept through the storage API: nothing partial is ever stored.
    with tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as scratch:
        size, sha256 = _copy(upload, scratch, limit=limit, limit_mb=limit_mb)
        if size == 0:
            raise _invalid(EMPTY)
        scratch.seek(0)
        kind = _check(scratch, stem=stem, claimed=claimed)
        scratch.seek(0)
        storage = private_storage()
        wanted = f"{FOLDER}/{secrets.token_hex(16)}.{kind.extension}"
        saved = storage.save(wanted, File(scratch, name=wanted))
        if saved != wanted:  # a random name already taken: never in practice, but never kept under another
            storage.delete(saved)
            raise RuntimeError("Could not store the evidence under a new name")
    stored_name = saved.rsplit("/", 1)[1]
    extension = claimed if claimed and claimed.lower() in kind.extensions else kind.extension
    return StoredUpload(
        display_name=_display_name(stem, extension),
        stored_name=stored_name,
        content_type=kind.content_type,
        size=size,
        sha256=sha256,
    )


# --- Names ---------------------------------------------------------------------------------------


def _clean_name(name: object) -> tuple[str, str | None]:
    """(stem, extension) of a browser-supplied name: no path, no control or reserved characters."""
    # NFKC first: it turns look-alikes such as the full-width solidus into the "/" we then split on.
    text = unicodedata.normalize("NFKC", str(name or ""))
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(
        " " if character.isspace() else character
        for character in text
        if character.isspace() or not unicodedata.category(character).startswith("C")
    )
    text = " ".join(_UNSAFE_CHARACTERS.sub("", text).split())
    match = _EXTENSION.fullmatch(text)
    if match is None:
        return text, None
    return match["stem"], match["ext"]


def _display_name(stem: str, extension: str) -> str:
    stem = stem.strip(" .")[: MAX_NAME_LENGTH - len(extension) - 1].rstrip(" .")
    return f"{stem or FALLBACK_STEM}.{extension}"


def _as_named(stem: str, claimed: str | None) -> str:
    """The name as the person chose it (cleaned and shortened), for error messages."""
    return _display_name(stem, claimed) if claimed else stem[:MAX_NAME_LENGTH]


# --- Storing ------------------------------------------------------------------------------------


def _copy(upload, out: BinaryIO, *, limit: int, limit_mb: float) -> tuple[int, str]:
    """Write the upload to `out`, in chunks, hashing as it goes. Returns (size, sha256)."""
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        size += len(chunk)
        # The declared size came from the request; count the bytes too.
        if size > limit:
            raise _invalid(TOO_BIG.format(limit=f"{limit_mb:g}"))
        digest.update(chunk)
        out.write(chunk)
    return size, digest.hexdigest()


# --- Content checks ------------------------------------------------------------------------------


def _check(file: BinaryIO, *, stem: str, claimed: str | None) -> Kind:
    """The kind of file the bytes are, after checking it can be opened and matches its name."""
    head = file.read(16)
    named = _as_named(stem, claimed)
    claimed_kind = KIND_BY_EXTENSION.get(claimed.lower()) if claimed else None

    def unsupported() -> ValidationError:
        if claimed_kind is not None:
            return _invalid(NOT_WHAT_IT_SAYS.format(name=named, claimed=claimed_kind.family))
        return _invalid(WRONG_TYPE)

    def check_name(kind: Kind) -> None:
        if claimed and claimed.lower() not in kind.extensions:
            # .doc and .docx are both Word documents: Word opens either name, so we only correct it.
            if claimed_kind is None or claimed_kind.family != kind.family:
                raise _invalid(MISLABELLED.format(name=named, actual=kind.family))

    try:
        if head.startswith(PDF_MAGIC):
            check_name(PDF)
            _check_pdf(file)
            return PDF
        if head.startswith(PNG_MAGIC):
            check_name(PNG)
            _check_image(file, "PNG")
            return PNG
        if head.startswith(JPEG_MAGIC):
            check_name(JPEG)
            _check_image(file, "JPEG")
            return JPEG
        if head.startswith(ZIP_MAGIC):
            kind = _check_docx(file, claimed_kind=claimed_kind)
        elif head.startswith(OLE2_MAGIC):
            kind = _check_doc(file, claimed_kind=claimed_kind)
        else:
            kind = None
    except ValidationError:
        raise
    except Exception:  # pypdf, Pillow, zipfile and struct all raise their own; any of them means damaged
        raise _invalid(DAMAGED) from None
    if kind is None:
        raise unsupported()
    check_name(kind)
    return kind


def _check_pdf(file: BinaryIO) -> None:
    """Opens with pypdf and has at least one page, found by walking the page tree on a budget.

    pypdf repairs broken files by searching the whole file for each object it cannot find, so a
    crafted 20 MB file can keep it busy for many minutes (len(reader.pages) has no limit). We walk
    the tree ourselves and give up, as damaged, when it takes longer than any real PDF would.
    """
    from pypdf import PdfReader
    from pypdf.errors import DependencyError
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    deadline = time.monotonic() + PDF_CHECK_SECONDS
    file.seek(0)
    try:
        reader = PdfReader(file, strict=False, root_object_recovery_limit=PDF_ROOT_RECOVERY_LIMIT)
        locked = reader.is_encrypted and not reader.decrypt("")
    except DependencyError:
        locked = True  # an encryption pypdf cannot open even with `cryptography`: no use to the panel
    if locked:
        # Issue 15: a PDF that needs a password to open is reported as protected, not as damaged.
        # One that opens without one (only printing or copying restricted) is read as any other.
        raise _invalid(PROTECTED)

    pages = 0
    seen: set[tuple[int, int]] = set()
    stack = [reader.root_object.raw_get("/Pages")]
    while stack:
        if time.monotonic() > deadline:
            raise DamagedFile("page tree too slow to read")
        node = stack.pop()
        if isinstance(node, IndirectObject):
            if (node.idnum, node.generation) in seen:
                raise DamagedFile("page tree loops")
            seen.add((node.idnum, node.generation))
            node = node.get_object()
        if not isinstance(node, DictionaryObject):
            raise DamagedFile("page tree node is not a dictionary")
        if "/Kids" in node:
            kids = node["/Kids"]
            if not isinstance(kids, ArrayObject):
                raise DamagedFile("page tree /Kids is not an array")
            stack.extend(reversed(kids))
        else:
            pages += 1
    if pages < 1:
        raise _invalid(EMPTY)
    page = damaged_page(reader, deadline=deadline)
    if page:
        raise _invalid(DAMAGED_PAGE.format(page=page))


def _check_image(file: BinaryIO, image_format: str) -> None:
    from PIL import Image

    file.seek(0)
    with Image.open(file, formats=[image_format]) as image:
        image.verify()  # PNG: every chunk's checksum
    if image_format != "JPEG":
        return
    # verify() reads little of a JPEG, so decode it, at an eighth of the size to keep it cheap. Each
    # progressive scan costs a pass over the whole image, and a crafted file can hold thousands of
    # them (libjpeg-turbo advises limiting scans for untrusted files); real encoders use about 10.
    file.seek(0)
    with Image.open(file, formats=[image_format]) as image:
        if _count_bytes(file, b"\xff\xda") * image.width * image.height > JPEG_SCAN_PIXEL_BUDGET:
            raise DamagedFile("too many scans for the image size")
        image.draft("RGB", (max(image.width // 8, 1), max(image.height // 8, 1)))
        image.load()


def _count_bytes(file: BinaryIO, needle: bytes) -> int:
    """How often a two-byte marker occurs in the file, read in blocks (markers may straddle them)."""
    file.seek(0)
    count, previous = 0, b""
    while block := file.read(1 << 20):
        count += (previous + block).count(needle)
        previous = block[-1:]
    return count


def _check_docx(file: BinaryIO, *, claimed_kind: Kind | None) -> Kind | None:
    """DOCX if the zip is a Word document ([Content_Types].xml and word/document.xml) that reads back."""
    file.seek(0)
    try:
        archive = zipfile.ZipFile(file)
    except Exception:
        if claimed_kind is not None and claimed_kind.family == DOCX.family:
            raise DamagedFile("not a zip") from None
        return None  # some other zip-looking file
    with archive:
        members = archive.infolist()
        names = {member.filename for member in members}
        if "[Content_Types].xml" not in names or "word/document.xml" not in names:
            return None
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise _invalid(MACROS)
        if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_ZIP_UNCOMPRESSED:
            raise DamagedFile("zip too large")
        for member in members:
            if member.flag_bits & 0x1:
                raise DamagedFile("encrypted zip member")
            with archive.open(member) as data:
                while data.read(1 << 16):  # zipfile checks each member's CRC as it reaches the end
                    pass
    return DOCX


def _check_doc(file: BinaryIO, *, claimed_kind: Kind | None) -> Kind | None:
    """DOC if the OLE2 compound file has a WordDocument stream.

    A password-protected .docx is also an OLE2 file (an EncryptedPackage stream), not a zip. It is
    allowed when named as a Word document, as password-protected PDFs are; without the password
    nobody can tell it from a locked spreadsheet, so the name is all there is to go on.
    """
    try:
        entries = ole2_directory(file)
    except Exception:
        if claimed_kind is not None and claimed_kind.family == DOC.family:
            raise DamagedFile("broken compound file") from None
        return None
    if entries.get("WordDocument") == OLE2_STREAM:
        if entries.get("Macros") == OLE2_STORAGE:
            raise _invalid(MACROS)
        return DOC
    if entries.get("EncryptedPackage") == OLE2_STREAM and claimed_kind in (DOC, DOCX):
        return DOCX
    return None


def _invalid(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


# The core's own documents (a CETR's report) go through the same check and store (casework/uploads.py).
register_upload_store(store=store_upload, open_file=open_stored)
