"""Page furniture stamped onto finished PDFs: the protective marking, "Page X of Y" across a whole
merged document, and a per-download line ("Downloaded by ... on ...").

Written straight into each page's content stream (no second WeasyPrint render), so stamping a
120-page pack takes well under a second. Merged documents (panel packs) are numbered as one; a page
of any size gets its furniture at its own edges.

The font is the system's sans-serif (Arial or Liberation Sans where installed, as the rendered pages
ask for; DejaVu Sans otherwise), found with fontconfig and embedded once per document as a subset
of the Windows-1252 characters (issue 15: fonts embedded), falling back to the standard Helvetica
only on a machine without fontconfig. The furniture is marked as a pagination artifact, so a screen
reader reading the tagged pages does not read "OFFICIAL-SENSITIVE" and the page number as content.
"""

from __future__ import annotations

import functools
import io
import logging
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
)

log = logging.getLogger(__name__)

MARKING = "OFFICIAL-SENSITIVE"
FONT = "/CwStampF1"
FONT_BOLD = "/CwStampF2"
MARGIN = 28.0  # points from the page edge (about 10 mm)
# Helvetica's average advance is about half the size for mixed text, more for bold capitals.
_WIDTH = {False: 0.52, True: 0.68}
# The fonts we ask fontconfig for, as the rendered pages' CSS does (templates/pdf/base.html).
_FAMILY = "Arial,Liberation Sans,sans-serif"
_CODES = range(32, 256)  # the Windows-1252 characters the furniture can show


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


@dataclass(frozen=True)
class _Font:
    name: str  # PostScript name with its subset tag
    widths: tuple[int, ...]  # per code in _CODES, in thousandths of the size
    data: bytes  # the subset TrueType file
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int


def _font_file(bold: bool) -> str | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    style = "Bold" if bold else "Regular"
    found = subprocess.run(  # noqa: S603 - a fixed program and pattern, no shell
        [fc_match, "-f", "%{file}", f"{_FAMILY}:style={style}"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    path = found.stdout.strip()
    return path if found.returncode == 0 and path.lower().endswith(".ttf") else None


@functools.cache
def _embeddable(bold: bool) -> _Font | None:
    """The sans-serif font as a Windows-1252 subset, read once per process; None without one."""
    path = _font_file(bold)
    if path is None:
        return None
    try:
        from fontTools import subset
        from fontTools.ttLib import TTFont

        characters = [bytes([code]).decode("cp1252", errors="ignore") for code in _CODES]
        font = TTFont(path)
        options = subset.Options()
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.drop_tables += ["FFTM"]  # FontForge's timestamps: fontTools would warn and drop it
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in characters if c])
        subsetter.subset(font)
        scale = 1000 / font["head"].unitsPerEm
        cmap = font.getBestCmap()
        widths = tuple(
            round(font["hmtx"][cmap[ord(c)]][0] * scale) if c and ord(c) in cmap else 0 for c in characters
        )
        head, os2 = font["head"], font["OS/2"]
        out = io.BytesIO()
        font.save(out)
        base = font["name"].getDebugName(6) or ("Sans-Bold" if bold else "Sans")
        return _Font(
            name=f"{'CWSTPB' if bold else 'CWSTPR'}+{base}",
            widths=widths,
            data=out.getvalue(),
            bbox=(
                round(head.xMin * scale),
                round(head.yMin * scale),
                round(head.xMax * scale),
                round(head.yMax * scale),
            ),
            ascent=round(os2.sTypoAscender * scale),
            descent=round(os2.sTypoDescender * scale),
            cap_height=round(getattr(os2, "sCapHeight", os2.sTypoAscender) * scale),
        )
    except Exception:  # a font we cannot read: the standard Helvetica, not a failed pack
        log.exception("The stamp font %s could not be embedded", path)
        return None


def _text_width(text: str, size: float, bold: bool) -> float:
    font = _embeddable(bold)
    if font is None:
        return len(text) * size * _WIDTH[bold]
    raw = text.encode("cp1252", errors="replace")
    return sum(font.widths[code - 32] if code >= 32 else 0 for code in raw) * size / 1000


def _operations(lines: list[Line], width: float, height: float) -> bytes:
    # Marked as a pagination artifact: not content for a screen reader in a tagged document.
    ops = [b"/Artifact <</Type /Pagination>> BDC q 0 g"]
    for line in lines:
        text_width = _text_width(line.text, line.size, line.bold)
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
    ops.append(b"Q EMC")
    return b"\n".join(ops)


def _font(writer: PdfWriter, bold: bool) -> IndirectObject:
    """The furniture's font, added to `writer` once: embedded when we have one, else Helvetica."""
    font = _embeddable(bold)
    if font is None:
        return writer._add_object(
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Font"),
                    NameObject("/Subtype"): NameObject("/Type1"),
                    NameObject("/BaseFont"): NameObject("/Helvetica-Bold" if bold else "/Helvetica"),
                    NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
                }
            )
        )
    file = DecodedStreamObject()
    file.set_data(font.data)
    file[NameObject("/Length1")] = NumberObject(len(font.data))
    descriptor = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/FontDescriptor"),
            NameObject("/FontName"): NameObject(f"/{font.name}"),
            NameObject("/Flags"): NumberObject(32),  # non-symbolic: the codes are Windows-1252
            NameObject("/FontBBox"): ArrayObject(NumberObject(v) for v in font.bbox),
            NameObject("/ItalicAngle"): NumberObject(0),
            NameObject("/Ascent"): NumberObject(font.ascent),
            NameObject("/Descent"): NumberObject(font.descent),
            NameObject("/CapHeight"): NumberObject(font.cap_height),
            NameObject("/StemV"): NumberObject(120 if bold else 80),
            NameObject("/FontFile2"): writer._add_object(file.flate_encode()),
        }
    )
    return writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/TrueType"),
                NameObject("/BaseFont"): NameObject(f"/{font.name}"),
                NameObject("/FirstChar"): NumberObject(_CODES.start),
                NameObject("/LastChar"): NumberObject(_CODES.stop - 1),
                NameObject("/Widths"): ArrayObject(FloatObject(w) for w in font.widths),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
                NameObject("/FontDescriptor"): writer._add_object(descriptor),
            }
        )
    )


def _overlay(lines: list[Line], width: float, height: float, fonts: DictionaryObject) -> PageObject:
    page = PageObject.create_blank_page(width=width, height=height)
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    content = DecodedStreamObject()
    content.set_data(_operations(lines, width, height))
    # Any stream object is accepted at run time; pypdf's annotation names only the encoded kinds.
    page.replace_contents(content)  # type: ignore[arg-type]
    return page


def stamp(pdf: bytes, lines_for: Callable[[int, int], list[Line]]) -> bytes:
    """`pdf` with `lines_for(page_number, page_count)` drawn on each page (numbers from 1)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    total = len(writer.pages)
    fonts = DictionaryObject(
        {NameObject(FONT): _font(writer, False), NameObject(FONT_BOLD): _font(writer, True)}
    )
    for number, page in enumerate(writer.pages, start=1):
        box = page.mediabox
        overlay = _overlay(lines_for(number, total), float(box.width), float(box.height), fonts)
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
