"""The PDF engine: tagged PDF/UA-1 on A4, OFFICIAL-SENSITIVE top and bottom of every page with
"Page X of Y", the document title in the metadata, stored privately under a random name."""

from __future__ import annotations

import hashlib
import io
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from pypdf import PdfReader

from casework import pdf

pytestmark = pytest.mark.usefixtures("private_storage")  # tests/conftest.py


def _long_letter() -> bytes:
    from panels.models import DecisionLetter, Panel

    letter = DecisionLetter(
        subject="Decision on referral 12 for AH", body="A paragraph of the letter.\n" * 120
    )
    return pdf.render_pdf(
        template="pdf/letter.html",
        context={"letter": letter, "panel": Panel(name="Hampshire IRAP"), "sent_on": None},
        title="Decision on referral 12 for AH",
    )


def test_every_page_is_marked_and_numbered_and_the_title_is_set():
    reader = PdfReader(io.BytesIO(_long_letter()))
    pages = len(reader.pages)
    assert pages >= 2
    assert reader.metadata.title == "Decision on referral 12 for AH"
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert text.count("OFFICIAL-SENSITIVE") == 2, number  # top and bottom
        assert f"Page {number} of {pages}" in text
    assert "A paragraph of the letter." in reader.pages[0].extract_text()
    # A4 in points.
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_tagged_for_accessibility():
    reader = PdfReader(io.BytesIO(_long_letter()))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en-GB"
    # PDF/UA identification in the XMP metadata.
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()


def test_stored_privately_with_random_name_and_hash(settings):
    data = _long_letter()
    first, second = pdf.store_pdf(data), pdf.store_pdf(data)
    assert first.name != second.name and first.name.endswith(".pdf")
    assert first.sha256 == hashlib.sha256(data).hexdigest() and first.size == len(data)
    path = pdf.pdf_dir() / first.name
    assert path.is_relative_to(settings.PRIVATE_STORAGE_ROOT)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pdf.open_stored_pdf(first.name) as handle:
        assert handle.read() == data
    pdf.discard_pdf(second.name)
    assert not (pdf.pdf_dir() / second.name).exists()


@pytest.mark.parametrize("name", ["../settings.py", "", "x.pdf", "0" * 32 + ".pdf", None])
def test_only_our_names_open(name):
    pdf.pdf_dir(create=True)
    with pytest.raises(Http404):
        pdf.open_stored_pdf(name)


def test_refuses_a_served_folder(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "static" / "private"
    with pytest.raises(ImproperlyConfigured):
        pdf.store_pdf(b"%PDF-")
