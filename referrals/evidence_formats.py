"""What an evidence file may be (its kinds and the bytes each starts with), and the low-level
reading the checks in referrals/evidence.py share: a Compound File Binary (OLE2) directory, as Word's
.doc files and password-protected .docx files are.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import BinaryIO

# Reading any PDF (the upload check and the pack): pypdf searches the whole file once per object when
# hunting for a lost catalogue (its default limit is 10,000).
PDF_ROOT_RECOVERY_LIMIT = 20


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


class DamagedFile(Exception):
    """The bytes start like a supported type but cannot be read as one."""


# --- Compound files (OLE2) ----------------------------------------------------------------------

OLE2_STORAGE = 1
OLE2_STREAM = 2
_OLE2_ROOT = 5
_OLE2_END_OF_CHAIN = 0xFFFFFFFE
_OLE2_MAX_SECTOR = 0xFFFFFFFA


def ole2_directory(file: BinaryIO) -> dict[str, int]:
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
        raise DamagedFile("bad header")
    sector_size = 1 << sector_shift
    sector_count = max(-(-(size - sector_size) // sector_size), 0)  # sectors after the header
    fat_count, first_directory = struct.unpack_from("<II", header, 0x2C)
    first_difat, difat_count = struct.unpack_from("<II", header, 0x44)
    if fat_count > sector_count or difat_count > sector_count:
        raise DamagedFile("impossible sector counts")

    def read_sector(sector: int) -> bytes:
        if sector > _OLE2_MAX_SECTOR or sector >= sector_count:
            raise DamagedFile("sector out of range")
        file.seek((sector + 1) * sector_size)
        data = file.read(sector_size)
        if not data:
            raise DamagedFile("file ends early")
        return data.ljust(sector_size, b"\0")  # some writers leave the last sector short

    fat_sectors = list(struct.unpack_from("<109I", header, 0x4C))[:fat_count]
    per_sector = sector_size // 4
    difat, seen = first_difat, set()
    while len(fat_sectors) < fat_count and difat != _OLE2_END_OF_CHAIN:
        if difat in seen or len(seen) >= difat_count:
            raise DamagedFile("DIFAT chain loops")
        seen.add(difat)
        *entries, difat = struct.unpack(f"<{per_sector}I", read_sector(difat))
        fat_sectors.extend(entries)
    fat_sectors = fat_sectors[:fat_count]

    def next_sector(sector: int) -> int:
        index, slot = divmod(sector, per_sector)
        if index >= len(fat_sectors):
            raise DamagedFile("sector beyond the FAT")
        return struct.unpack_from("<I", read_sector(fat_sectors[index]), slot * 4)[0]

    found: dict[str, int] = {}
    sector, seen = first_directory, set()
    while sector != _OLE2_END_OF_CHAIN:
        if sector in seen:
            raise DamagedFile("directory chain loops")
        seen.add(sector)
        data = read_sector(sector)
        for offset in range(0, sector_size, 128):
            name_length, object_type = struct.unpack_from("<HB", data, offset + 64)
            if object_type == 0:
                continue
            if name_length > 64 or name_length % 2:
                raise DamagedFile("bad directory entry")
            name = data[offset : offset + max(name_length - 2, 0)].decode("utf-16-le", errors="replace")
            found.setdefault(name, object_type)
        sector = next_sector(sector)
    if _OLE2_ROOT not in found.values():
        raise DamagedFile("no root entry")
    return found


def _read_exactly(file: BinaryIO, count: int) -> bytes:
    data = file.read(count)
    if len(data) != count:
        raise DamagedFile("file ends early")
    return data
