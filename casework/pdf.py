"""The one PDF engine: HTML templates rendered by WeasyPrint as tagged PDF/UA-1 documents on A4,
marked OFFICIAL-SENSITIVE at the top and bottom of every page with "Page X of Y", and stored
privately (never in a served folder) under a random name with its SHA-256.

DESIGN.md: "Documents are marked OFFICIAL-SENSITIVE"; PDFs are tagged (PDF/UA) for accessibility;
WeasyPrint runs only in Celery tasks after the commit (slow, memory-hungry), never in a request's
transaction. The page furniture lives in templates/pdf/base.html (CSS @page margin boxes); the
font is Arial with Liberation Sans and the system sans-serif as fallbacks (no GDS Transport).

Documents merged from several (panel packs) keep the tags of the parts rendered here (`TaggedMerge`):
one Document of Parts, in British English; pages merged from elsewhere go in untagged.

Stored files live in the private store under documents/ (casework/storage.py: this machine's disk or
S3-compatible storage); views hand them out only after an access check (`open_stored_pdf`), as
evidence downloads do (referrals/evidence.py).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.http import Http404
from django.template.loader import render_to_string

from casework.access import NOT_FOUND_MESSAGE
from casework.storage import open_private, private_storage

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
    """The folder stored PDFs are in when the private store is this machine's disk (FILE_STORAGE=
    local), for benchmarks and tests that count files; the service itself never uses a path.
    ImproperlyConfigured inside a served folder; NotImplementedError for object storage."""
    folder = Path(private_storage().path(FOLDER))
    if create and not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)  # mkdir's mode is filtered by the umask
    return folder


def store_pdf(data: bytes, *, name: str | None = None) -> StoredPdf:
    """Keep a rendered PDF in the private store under a new random name, or under `name` (32 hex
    digits and ".pdf") for a file keyed by its content: when that file exists already, someone
    stored the same one first and it is kept."""
    storage = private_storage()
    stored = StoredPdf(name="", sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    if name is not None:
        if not _STORED_NAME.fullmatch(name):
            raise ValueError("A stored PDF's name is 32 hex digits and .pdf")
        if storage.exists(f"{FOLDER}/{name}"):
            return replace(stored, name=name)
    for _ in range(3):
        wanted = name or f"{secrets.token_hex(16)}.pdf"
        saved = storage.save(f"{FOLDER}/{wanted}", ContentFile(data))
        if saved == f"{FOLDER}/{wanted}":
            return replace(stored, name=wanted)
        # The store chose another name: the same name was taken in the meantime. A keyed file was
        # stored by someone else (keep theirs); a random name is drawn again.
        storage.delete(saved)
        if name is not None:
            return replace(stored, name=name)
    raise RuntimeError("Could not store a PDF under a new name")


def discard_pdf(name: str) -> None:
    """Remove a stored PDF nobody recorded (a second render that lost the race)."""
    if isinstance(name, str) and _STORED_NAME.fullmatch(name):
        private_storage().delete(f"{FOLDER}/{name}")


def open_stored_pdf(name: str) -> BinaryIO:
    """A stored PDF opened for reading, for a download that has already passed its access check.
    Http404 for a missing file or a name that is not one we hand out."""
    if not isinstance(name, str) or not _STORED_NAME.fullmatch(name):
        raise Http404(NOT_FOUND_MESSAGE)
    return open_private(f"{FOLDER}/{name}")


# --- Merging, keeping the tags ------------------------------------------------------------------


class TaggedMerge:
    """PDFs merged into one that keeps the structure tree (the tags) of the parts this engine
    rendered, so the merged document is a tagged PDF in British English (issue 15: `pdfinfo` says
    "Tagged: yes", the catalogue has /Lang en-GB).

    pypdf's merge copies pages but drops each document's /StructTreeRoot. Each tagged part's tree
    is cloned after its pages (pypdf maps its page references to the copies), its top elements are
    hung under one root, and its parent-tree keys (each page's /StructParents, each annotation's
    /StructParent) are moved past the keys of the parts before it. A part that is not ours
    (evidence as its author made it) goes in untagged: its pages' links into a tree we do not
    carry are removed, and its content is not in our tree.
    """

    def __init__(self) -> None:
        from pypdf import PdfWriter
        from pypdf.generic import ArrayObject, DictionaryObject, NameObject

        self.writer = PdfWriter()
        self._elements = ArrayObject()
        self._numbers = ArrayObject()
        self._role_map = DictionaryObject()
        self._next_key = 0
        self._root = self.writer._add_object(
            DictionaryObject({NameObject("/Type"): NameObject("/StructTreeRoot")})
        )
        # PDF/UA wants one top element: a Document holding each part.
        self._document = self.writer._add_object(
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/StructElem"),
                    NameObject("/S"): NameObject("/Document"),
                    NameObject("/P"): self._root,
                    NameObject("/K"): self._elements,
                }
            )
        )

    @property
    def page_count(self) -> int:
        return len(self.writer.pages)

    def append(self, reader, *, tagged: bool = True) -> int:
        """Add every page of `reader` (a pypdf PdfReader); returns the index of its first page."""
        start = len(self.writer.pages)
        self.writer.append(reader, import_outline=False)
        pages = list(zip(reader.pages, self.writer.pages[start:], strict=True))
        source = reader.root_object.get("/StructTreeRoot")
        if tagged and source is not None:
            self._graft(source.get_object().clone(self.writer), pages)
        else:
            for original, copy in pages:
                _carry_keys(original, copy, None)
        return start

    def outline(self, page_index: int, title: str, *, parent=None):
        """A bookmark to a page; returns it, to be the parent of others."""
        return self.writer.add_outline_item(title=title, page_number=page_index, parent=parent)

    def _graft(self, tree, pages: list) -> None:
        from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

        offset = self._next_key
        kids = tree.get("/K")
        kids = list(kids) if isinstance(kids, ArrayObject) else [kids] if kids is not None else []
        for kid in kids:
            element = kid.get_object()
            if isinstance(element, DictionaryObject):
                # One document of many parts: WeasyPrint's top element is each part's Document.
                element[NameObject("/P")] = self._document
                if element.get("/S") == "/Document":
                    element[NameObject("/S")] = NameObject("/Part")
            self._elements.append(kid)
        top = -1
        for key, value in _number_tree(tree.get("/ParentTree")):
            self._numbers.extend([NumberObject(key + offset), value])
            top = max(top, key)
        for name, role in (tree.get("/RoleMap") or {}).items():
            self._role_map.setdefault(NameObject(name), role)
        for original, copy in pages:
            _carry_keys(original, copy, offset)
        self._next_key = offset + max(top + 1, int(tree.get("/ParentTreeNextKey", 0)))
        tree.clear()  # the source's root, cloned with its elements: nothing may lead back to it

    def write(self, *, title: str, lang: str = "en-GB") -> bytes:
        """The merged PDF: tagged (/MarkInfo, /StructTreeRoot), in `lang`, titled `title`."""
        import io

        from pypdf.generic import BooleanObject, DictionaryObject, NameObject, NumberObject, TextStringObject

        root = self._root.get_object()
        assert isinstance(root, DictionaryObject)
        root[NameObject("/K")] = self._document
        root[NameObject("/ParentTree")] = self.writer._add_object(
            DictionaryObject({NameObject("/Nums"): self._numbers})
        )
        root[NameObject("/ParentTreeNextKey")] = NumberObject(self._next_key)
        if self._role_map:
            root[NameObject("/RoleMap")] = self._role_map
        catalog = self.writer.root_object
        catalog[NameObject("/StructTreeRoot")] = self._root
        catalog[NameObject("/MarkInfo")] = DictionaryObject({NameObject("/Marked"): BooleanObject(True)})
        catalog[NameObject("/Lang")] = TextStringObject(lang)
        catalog[NameObject("/ViewerPreferences")] = DictionaryObject(
            {NameObject("/DisplayDocTitle"): BooleanObject(True)}
        )
        self.writer.add_metadata({"/Title": title})
        out = io.BytesIO()
        self.writer.write(out)
        return out.getvalue()


def _number_tree(node) -> list[tuple[int, Any]]:
    """(key, value) pairs of a PDF number tree (/Nums leaves under /Kids), bounded against loops."""
    pairs: list[tuple[int, Any]] = []
    stack, seen = [node], 0
    while stack and seen < 100_000:
        seen += 1
        current = stack.pop()
        if current is None:
            continue
        current = current.get_object()
        nums = current.get("/Nums") or []
        pairs.extend((int(nums[i]), nums[i + 1]) for i in range(0, len(nums) - 1, 2))
        stack.extend(reversed(list(current.get("/Kids") or [])))
    return sorted(pairs, key=lambda pair: pair[0])


def _carry_keys(original, copy, offset: int | None) -> None:
    """Give a copied page its parent-tree key (pypdf leaves /StructParents behind), moved by
    `offset`; or, with None (a part we carry no tags for), none, and its annotations' removed."""
    from pypdf.generic import NameObject, NumberObject

    if offset is not None and "/StructParents" in original:
        copy[NameObject("/StructParents")] = NumberObject(int(original["/StructParents"]) + offset)
    for annotation in copy.get("/Annots") or []:
        annotation = annotation.get_object()
        if "/StructParent" not in annotation:
            continue
        if offset is None:
            del annotation[NameObject("/StructParent")]
        else:
            annotation[NameObject("/StructParent")] = NumberObject(int(annotation["/StructParent"]) + offset)
