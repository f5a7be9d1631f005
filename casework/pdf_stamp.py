"""Page furniture stamped onto finished PDFs: the protective marking, "Page X of Y" across a whole
merged document, and a per-download line ("Downloaded by ... on ...").

Written straight into each page's content stream with the standard Helvetica font (no embedding,
no second WeasyPrint render), so stamping a 120-page pack takes well under a second. Merged
documents (panel packs) are numbered as one; a page of any size gets its furniture at its own edges.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

MARKING = "OFFICIAL-SENSITIVE"
FONT = "/CwStampF1"
FONT_BOLD = "/CwStampF2"
MARGIN = 28.0  # points from the page edge (about 10 mm)
# Helvetica's average advance is about half the size for mixed text, more for bold capitals.
_WIDTH = {False: 0.52, True: 0.68}


@dataclass(frozen=True)
class Line:
    text: str
    where: str  # "top", "bottom" (centred) or "bottom-right", "bottom-left"
    size: float = 9.0
    bold: bool = False
    raise_by: float = 0.0  # points above the default baseline, to stack lines


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _operations(lines: list[Line], width: float, height: float) -> bytes:
    ops = [b"q 0 g"]
    for line in lines:
        text_width = len(line.text) * line.size * _WIDTH[line.bold]
        if line.where == "top":
            x, y = (width - text_width) / 2, height - MARGIN + 6
        elif line.where == "bottom":
            x, y = (width - text_width) / 2, MARGIN - 12
        elif line.where == "bottom-right":
            x, y = width - MARGIN - text_width, MARGIN - 12
        else:
            x, y = MARGIN, MARGIN - 12
        font = FONT_BOLD if line.bold else FONT
        ops.append(
            b"BT %s %.1f Tf %.2f %.2f Td %s Tj ET"
            % (font.encode(), line.size, x, y + line.raise_by, _pdf_string(line.text))
        )
    ops.append(b"Q")
    return b"\n".join(ops)


def _font(base: str) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject(base),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )


def _overlay(lines: list[Line], width: float, height: float) -> PageObject:
    page = PageObject.create_blank_page(width=width, height=height)
    page[NameObject("/Resources")] = DictionaryObject(
        {
            NameObject("/Font"): DictionaryObject(
                {NameObject(FONT): _font("/Helvetica"), NameObject(FONT_BOLD): _font("/Helvetica-Bold")}
            )
        }
    )
    content = DecodedStreamObject()
    content.set_data(_operations(lines, width, height))
    # Any stream object is accepted at run time; pypdf's annotation names only the encoded kinds.
    page.replace_contents(content)  # type: ignore[arg-type]
    return page


def stamp(pdf: bytes, lines_for: Callable[[int, int], list[Line]]) -> bytes:
    """`pdf` with `lines_for(page_number, page_count)` drawn on each page (numbers from 1)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    total = len(writer.pages)
    for number, page in enumerate(writer.pages, start=1):
        box = page.mediabox
        overlay = _overlay(lines_for(number, total), float(box.width), float(box.height))
        page.merge_translated_page(overlay, float(box.left), float(box.bottom))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def furniture(*, downloaded_by: str = "") -> Callable[[int, int], list[Line]]:
    """The marking top and bottom, "Page X of Y", and optionally who downloaded it."""

    def lines(number: int, total: int) -> list[Line]:
        result = [
            Line(MARKING, "top", size=10, bold=True),
            Line(MARKING, "bottom", size=10, bold=True),
            Line(f"Page {number} of {total}", "bottom-right"),
        ]
        if downloaded_by:
            result.append(Line(downloaded_by, "bottom-left", size=7, raise_by=-9))
        return result

    return lines
