"""Which evidence the panel pack can include, and why not when it cannot: a PDF is opened and
written afresh, a damaged page or a password leaves it out, in one wording shared by the pack's
cover (panels/pack.py) and the referral's paper (referrals/papers.py).
"""

from __future__ import annotations

import io
import logging
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.http import Http404

from referrals.evidence_formats import DOC, DOCX, JPEG, PDF, PDF_ROOT_RECOVERY_LIMIT, PNG, DamagedFile
from referrals.evidence_store import open_stored

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
                raise DamagedFile("pages too slow to read")
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
