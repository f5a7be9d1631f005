"""Evidence files: checked by what they contain, stored privately, opened only for checked downloads.

The issue's rules: "PDF, Word, images; size limit (setting, 20 MB default); type checked by content
not extension; filenames sanitised; stored outside static/media serving and downloaded only through
the access check". An oversized, empty, mislabelled or corrupt upload is a ValidationError on
"file" in plain English (GOV.UK file upload wording), never a server error. The browser's content
type is never read: the bytes decide.

Files live in PRIVATE_STORAGE_ROOT/evidence under a random name. Nothing serves that folder; views
call `open_stored` after `referrals.access.get_evidence_for_user`.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import secrets
import stat
import struct
import threading
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import Http404

from casework.access import NOT_FOUND_MESSAGE
from casework.uploads import register_upload_store

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
# pypdf searches the whole file once per object when hunting for a lost catalogue (default 10,000).
PDF_ROOT_RECOVERY_LIMIT = 20
# Progressive scans times pixels: 10 scans of 200 megapixels, or 100 of 20, is about 5 seconds.
JPEG_SCAN_PIXEL_BUDGET = 2_000_000_000


@dataclass(frozen=True)
class Kind:
    family: str  # what a person would call it; .doc and .docx are both "Word document"
    extension: str  # the one we store and show when the name has none
    extensions: frozenset[str]  # the ones a person may have given it
    content_type: str


PDF = Kind("a PDF", "pdf", frozenset({"pdf"}), "application/pdf")
DOCX = Kind(
    "a Word document",
    "docx",
    frozenset({"docx"}),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
DOC = Kind("a Word document", "doc", frozenset({"doc"}), "application/msword")
PNG = Kind("a PNG image", "png", frozenset({"png"}), "image/png")
JPEG = Kind("a JPEG image", "jpg", frozenset({"jpg", "jpeg"}), "image/jpeg")
KINDS = (PDF, DOCX, DOC, PNG, JPEG)
KIND_BY_EXTENSION = {extension: kind for kind in KINDS for extension in kind.extensions}

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"

# Something that looks like a file extension: "pdf", "JPEG", "docx"; not "2024" in "Minutes 12.03.2024".
_EXTENSION = re.compile(r"(?P<stem>.*)\.(?P<ext>(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,5})", re.DOTALL)
_UNSAFE_CHARACTERS = re.compile(r'[<>:"/\\|?*]')
# Names we hand out are token_hex(16) plus an extension; older rows may differ, but never hold a path.
_SAFE_STORED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]{1,10})?")


@dataclass
class StoredUpload:
    """A checked file, written to private storage and not yet attached to anything."""

    display_name: str
    stored_name: str
    content_type: str
    size: int
    sha256: str

    def discard(self) -> None:
        """Delete the stored file (the database save that should have recorded it failed)."""
        _path_for(self.stored_name).unlink(missing_ok=True)


class _Damaged(Exception):
    """The bytes start like a supported type but cannot be read as one."""


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

    folder = evidence_dir(create=True)
    token = secrets.token_hex(16)
    partial = folder / f"{token}.part"
    try:
        size, sha256 = _copy(upload, partial, limit=limit, limit_mb=limit_mb)
        if size == 0:
            raise _invalid(EMPTY)
        with partial.open("rb") as file:
            kind = _check(file, stem=stem, claimed=claimed)
        stored_name = f"{token}.{kind.extension}"
        os.replace(partial, folder / stored_name)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    extension = claimed if claimed and claimed.lower() in kind.extensions else kind.extension
    return StoredUpload(
        display_name=_display_name(stem, extension),
        stored_name=stored_name,
        content_type=kind.content_type,
        size=size,
        sha256=sha256,
    )


def evidence_dir(*, create: bool = False) -> Path:
    """PRIVATE_STORAGE_ROOT/evidence, refusing a setting that would put it inside a served folder."""
    folder = Path(settings.PRIVATE_STORAGE_ROOT) / "evidence"
    resolved = folder.resolve()
    for served in _served_dirs():
        if resolved.is_relative_to(served):
            raise ImproperlyConfigured(f"PRIVATE_STORAGE_ROOT must not be inside a served folder ({served})")
    if create and not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)  # mkdir's mode is filtered by the umask
    return folder


def stored_path(evidence) -> Path:
    """Where an Evidence row's file lives. Http404 for a stored name that could leave the folder."""
    return _path_for(evidence.stored_name)


def open_stored(evidence) -> BinaryIO:
    """The stored file, opened for reading, for a download that has already passed the access check."""
    path = stored_path(evidence)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        raise Http404(NOT_FOUND_MESSAGE) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise Http404(NOT_FOUND_MESSAGE)
    return os.fdopen(fd, "rb")


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


# --- Storage -------------------------------------------------------------------------------------


def _served_dirs() -> list[Path]:
    # STATICFILES_DIRS entries may be (prefix, folder) pairs.
    finders = [entry[1] if isinstance(entry, tuple | list) else entry for entry in settings.STATICFILES_DIRS]
    folders = [settings.STATIC_ROOT, settings.MEDIA_ROOT, *finders]
    return [Path(folder).resolve() for folder in folders if folder]


def _path_for(stored_name: str) -> Path:
    if not isinstance(stored_name, str) or not _SAFE_STORED_NAME.fullmatch(stored_name):
        raise Http404(NOT_FOUND_MESSAGE)
    folder = evidence_dir().resolve()
    path = (folder / stored_name).resolve()
    if path.parent != folder:
        raise Http404(NOT_FOUND_MESSAGE)
    return path


def _copy(upload, path: Path, *, limit: int, limit_mb: float) -> tuple[int, str]:
    """Write the upload to `path` (owner-only), in chunks, hashing as it goes. Returns (size, sha256)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o600)
    digest = hashlib.sha256()
    size = 0
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), 0o600)
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
            raise _Damaged("page tree too slow to read")
        node = stack.pop()
        if isinstance(node, IndirectObject):
            if (node.idnum, node.generation) in seen:
                raise _Damaged("page tree loops")
            seen.add((node.idnum, node.generation))
            node = node.get_object()
        if not isinstance(node, DictionaryObject):
            raise _Damaged("page tree node is not a dictionary")
        if "/Kids" in node:
            kids = node["/Kids"]
            if not isinstance(kids, ArrayObject):
                raise _Damaged("page tree /Kids is not an array")
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
            raise _Damaged("too many scans for the image size")
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
            raise _Damaged("not a zip") from None
        return None  # some other zip-looking file
    with archive:
        members = archive.infolist()
        names = {member.filename for member in members}
        if "[Content_Types].xml" not in names or "word/document.xml" not in names:
            return None
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise _invalid(MACROS)
        if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_ZIP_UNCOMPRESSED:
            raise _Damaged("zip too large")
        for member in members:
            if member.flag_bits & 0x1:
                raise _Damaged("encrypted zip member")
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
        entries = _ole2_directory(file)
    except Exception:
        if claimed_kind is not None and claimed_kind.family == DOC.family:
            raise _Damaged("broken compound file") from None
        return None
    if entries.get("WordDocument") == _OLE2_STREAM:
        if entries.get("Macros") == _OLE2_STORAGE:
            raise _invalid(MACROS)
        return DOC
    if entries.get("EncryptedPackage") == _OLE2_STREAM and claimed_kind in (DOC, DOCX):
        return DOCX
    return None


_OLE2_STORAGE = 1
_OLE2_STREAM = 2
_OLE2_ROOT = 5
_OLE2_END_OF_CHAIN = 0xFFFFFFFE
_OLE2_MAX_SECTOR = 0xFFFFFFFA


def _ole2_directory(file: BinaryIO) -> dict[str, int]:
    """{entry name: object type} from a Compound File Binary directory ([MS-CFB] 2.2, 2.5, 2.6).

    Reads only the header, the FAT sectors the directory chain needs and the directory itself,
    with every chain bounded by the file's size so a crafted file cannot loop.
    """
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(0)
    header = _read_exactly(file, 512)
    byte_order, sector_shift = struct.unpack_from("<HH", header, 0x1C)
    if header[:8] != OLE2_MAGIC or byte_order != 0xFFFE or sector_shift not in (9, 12):
        raise _Damaged("bad header")
    sector_size = 1 << sector_shift
    sector_count = max(-(-(size - sector_size) // sector_size), 0)  # sectors after the header
    fat_count, first_directory = struct.unpack_from("<II", header, 0x2C)
    first_difat, difat_count = struct.unpack_from("<II", header, 0x44)
    if fat_count > sector_count or difat_count > sector_count:
        raise _Damaged("impossible sector counts")

    def read_sector(sector: int) -> bytes:
        if sector > _OLE2_MAX_SECTOR or sector >= sector_count:
            raise _Damaged("sector out of range")
        file.seek((sector + 1) * sector_size)
        data = file.read(sector_size)
        if not data:
            raise _Damaged("file ends early")
        return data.ljust(sector_size, b"\0")  # some writers leave the last sector short

    fat_sectors = list(struct.unpack_from("<109I", header, 0x4C))[:fat_count]
    per_sector = sector_size // 4
    difat, seen = first_difat, set()
    while len(fat_sectors) < fat_count and difat != _OLE2_END_OF_CHAIN:
        if difat in seen or len(seen) >= difat_count:
            raise _Damaged("DIFAT chain loops")
        seen.add(difat)
        *entries, difat = struct.unpack(f"<{per_sector}I", read_sector(difat))
        fat_sectors.extend(entries)
    fat_sectors = fat_sectors[:fat_count]

    def next_sector(sector: int) -> int:
        index, slot = divmod(sector, per_sector)
        if index >= len(fat_sectors):
            raise _Damaged("sector beyond the FAT")
        return struct.unpack_from("<I", read_sector(fat_sectors[index]), slot * 4)[0]

    found: dict[str, int] = {}
    sector, seen = first_directory, set()
    while sector != _OLE2_END_OF_CHAIN:
        if sector in seen:
            raise _Damaged("directory chain loops")
        seen.add(sector)
        data = read_sector(sector)
        for offset in range(0, sector_size, 128):
            name_length, object_type = struct.unpack_from("<HB", data, offset + 64)
            if object_type == 0:
                continue
            if name_length > 64 or name_length % 2:
                raise _Damaged("bad directory entry")
            name = data[offset : offset + max(name_length - 2, 0)].decode("utf-16-le", errors="replace")
            found.setdefault(name, object_type)
        sector = next_sector(sector)
    if _OLE2_ROOT not in found.values():
        raise _Damaged("no root entry")
    return found


def _read_exactly(file: BinaryIO, count: int) -> bytes:
    data = file.read(count)
    if len(data) != count:
        raise _Damaged("file ends early")
    return data


# --- Pages that cannot be shown, and what the panel pack can include -----------------------------

# Why a stored file is not in the panel pack: listed on the pack's cover and marked in the paper's
# evidence table (issue 15: "the pack itself lists every evidence file not included and why").
NOT_IN_PACK_PROTECTED = "Protected with a password: it cannot be opened without one"
NOT_IN_PACK_DAMAGED = "Damaged: the file cannot be read"
NOT_IN_PACK_DAMAGED_PAGE = "Damaged: page {page} cannot be read"
NOT_IN_PACK_WORD = "Word documents cannot be merged into the pack: open it from the referral"
NOT_IN_PACK_KIND = "This kind of file cannot be merged into the pack: open it from the referral"
NOT_IN_PACK_MISSING = "The file is missing from the store: ask the referrer to upload it again"


class _Warnings(logging.Handler):
    """pypdf's decoding warnings on this thread. Given a broken page stream, pypdf keeps what it can
    decode (often nothing) and says so only in its log: a page drawn from it would be blank. (Its
    reader's warnings, such as a repaired cross-reference table, are not damage to a page.)"""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.seen.append(record.getMessage())


@contextmanager
def _pypdf_warnings() -> Iterator[list[str]]:
    handler = _Warnings()
    logger = logging.getLogger("pypdf.filters")
    logger.addHandler(handler)
    try:
        yield handler.seen
    finally:
        logger.removeHandler(handler)


def damaged_page(reader, *, deadline: float | None = None) -> int:
    """The number (from 1) of the first page whose content cannot be decoded, or 0 when all can.

    Issue 15: a PDF with a damaged page is caught at upload, or listed as damaged in the pack, never
    included as a blank page. `deadline` (time.monotonic()) bounds the work for an upload.
    """
    with _pypdf_warnings() as warnings:
        for number, page in enumerate(reader.pages, start=1):
            if deadline is not None and time.monotonic() > deadline:
                raise _Damaged("pages too slow to read")
            try:
                if not all(_inflates_in_full(stream) for stream in _content_streams(page)):
                    return number
                page.get_contents()  # decodes every content stream of the page
            except Exception:  # any of pypdf's own errors: the page cannot be drawn
                return number
            if warnings:
                return number
    return 0


# A page's content stream inflating past this is a bomb, not a page (pypdf stops at 75 MB).
MAX_CONTENT_INFLATED = 256 * 1024 * 1024


def _content_streams(page) -> list:
    from pypdf.generic import ArrayObject

    contents = page.get("/Contents")
    if contents is None:
        return []
    contents = contents.get_object()
    return [each.get_object() for each in contents] if isinstance(contents, ArrayObject) else [contents]


def _inflates_in_full(stream) -> bool:
    """False for a Flate-compressed stream that stops short (truncated or overwritten): pypdf keeps
    the part it could inflate without a word, and the rest of the page would be missing."""
    from pypdf.generic import ArrayObject

    filters = stream.get("/Filter")
    first = filters[0] if isinstance(filters, ArrayObject) and filters else filters
    raw = getattr(stream, "_data", None)  # the stream's bytes as stored (decrypted, still encoded)
    if first not in ("/FlateDecode", "/Fl") or not isinstance(raw, bytes):
        return True
    inflater, inflated = zlib.decompressobj(), 0
    try:
        while raw and not inflater.eof:
            inflated += len(inflater.decompress(raw, 1 << 20))
            raw = inflater.unconsumed_tail
            if inflated > MAX_CONTENT_INFLATED:
                return False
    except zlib.error:
        return False
    return inflater.eof


def pdf_for_pack(data: bytes) -> tuple[bytes | None, str]:
    """A stored evidence PDF as the pack merges it: opened (with the empty password when it has
    one, so only-restricted files are included) and written afresh, or None and why not."""
    from pypdf import PdfReader, PdfWriter

    try:
        reader = PdfReader(io.BytesIO(data), strict=False, root_object_recovery_limit=PDF_ROOT_RECOVERY_LIMIT)
        if reader.is_encrypted and not reader.decrypt(""):
            return None, NOT_IN_PACK_PROTECTED
        if len(reader.pages) == 0:
            return None, NOT_IN_PACK_DAMAGED
        page = damaged_page(reader)
        if page:
            return None, NOT_IN_PACK_DAMAGED_PAGE.format(page=page)
        writer = PdfWriter()
        for each in reader.pages:
            writer.add_page(each)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue(), ""
    except Exception as error:  # a hostile or broken file must not break the pack
        if "password" in str(error).lower() or "decrypt" in str(error).lower():
            return None, NOT_IN_PACK_PROTECTED
        logging.getLogger(__name__).info("Evidence PDF could not be read: %s", type(error).__name__)
        return None, NOT_IN_PACK_DAMAGED


def not_in_pack(evidence) -> str:
    """Why this evidence would be left out of a panel pack, or "" when it goes in (the referral's
    paper marks these in its evidence table; the pack lists them on its cover)."""
    if evidence.content_type == PDF.content_type:
        try:
            stored = open_stored(evidence)
        except Http404:
            return NOT_IN_PACK_MISSING
        with stored:
            return pdf_for_pack(stored.read())[1]
    if evidence.content_type in (PNG.content_type, JPEG.content_type):
        return ""
    if evidence.content_type in (DOC.content_type, DOCX.content_type):
        return NOT_IN_PACK_WORD
    return NOT_IN_PACK_KIND


def _invalid(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


# The core's own documents (a CETR's report) go through the same check and store (casework/uploads.py).
register_upload_store(store=store_upload, open_file=open_stored)
