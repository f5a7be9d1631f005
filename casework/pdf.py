"""The one PDF engine: HTML templates rendered by WeasyPrint as tagged PDF/UA-1 documents on A4,
marked OFFICIAL-SENSITIVE at the top and bottom of every page with "Page X of Y", and stored
privately (never in a served folder) under a random name with its SHA-256.

DESIGN.md: "Documents are marked OFFICIAL-SENSITIVE"; PDFs are tagged (PDF/UA) for accessibility;
WeasyPrint runs only in Celery tasks after the commit (slow, memory-hungry), never in a request's
transaction. The page furniture lives in templates/pdf/base.html (CSS @page margin boxes); the
font is Arial with Liberation Sans and the system sans-serif as fallbacks (no GDS Transport).

Stored files live in PRIVATE_STORAGE_ROOT/documents; views hand them out only after an access
check (`open_stored_pdf`), as evidence downloads do (referrals/evidence.py).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.template.loader import render_to_string

from casework.access import NOT_FOUND_MESSAGE

MARKING = "OFFICIAL-SENSITIVE"
FOLDER = "documents"
# The names we hand out: 32 hex digits and ".pdf". Anything else never reaches the file system.
_STORED_NAME = re.compile(r"[0-9a-f]{32}\.pdf")


@dataclass(frozen=True)
class StoredPdf:
    name: str
    sha256: str
    size: int


def render_pdf(*, template: str, context: dict[str, Any], title: str) -> bytes:
    """Render `template` (which extends pdf/base.html) to a tagged PDF/UA-1 document.

    `title` becomes the document's title metadata (shown by screen readers and PDF viewers in
    place of the file name) and its <title>.
    """
    from weasyprint import HTML

    html = render_to_string(template, {**context, "document_title": title, "marking": MARKING})
    # base_url: no remote fetches; templates carry their CSS inline and no images.
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(pdf_variant="pdf/ua-1")


def pdf_dir(*, create: bool = False) -> Path:
    """PRIVATE_STORAGE_ROOT/documents, refusing a setting that would put it inside a served folder."""
    folder = Path(settings.PRIVATE_STORAGE_ROOT) / FOLDER
    resolved = folder.resolve()
    finders = [e[1] if isinstance(e, tuple | list) else e for e in settings.STATICFILES_DIRS]
    for served in [settings.STATIC_ROOT, settings.MEDIA_ROOT, *finders]:
        if served and resolved.is_relative_to(Path(str(served)).resolve()):
            raise ImproperlyConfigured(f"PRIVATE_STORAGE_ROOT must not be inside a served folder ({served})")
    if create and not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)  # mkdir's mode is filtered by the umask
    return folder


def store_pdf(data: bytes, *, name: str | None = None) -> StoredPdf:
    """Write a rendered PDF to private storage (owner-only) under a new random name, or under
    `name` (32 hex digits and ".pdf") for a file keyed by its content: when that file exists
    already, someone stored the same one first and it is kept."""
    folder = pdf_dir(create=True)
    if name is None:
        name = f"{secrets.token_hex(16)}.pdf"
    elif not _STORED_NAME.fullmatch(name):
        raise ValueError("A stored PDF's name is 32 hex digits and .pdf")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(folder / name, flags, 0o600)
    except FileExistsError:
        return StoredPdf(name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return StoredPdf(name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def discard_pdf(name: str) -> None:
    """Remove a stored PDF nobody recorded (a second render that lost the race)."""
    if isinstance(name, str) and _STORED_NAME.fullmatch(name):
        (pdf_dir() / name).unlink(missing_ok=True)


def open_stored_pdf(name: str) -> BinaryIO:
    """A stored PDF opened for reading, for a download that has already passed its access check.
    Http404 for a missing file or a name that is not one we hand out."""
    if not isinstance(name, str) or not _STORED_NAME.fullmatch(name):
        raise Http404(NOT_FOUND_MESSAGE)
    try:
        fd = os.open(
            pdf_dir() / name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        )
    except OSError:
        raise Http404(NOT_FOUND_MESSAGE) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise Http404(NOT_FOUND_MESSAGE)
    return os.fdopen(fd, "rb")
