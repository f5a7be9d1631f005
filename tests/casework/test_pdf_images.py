"""Image pages (casework/pdf_images.py): an image on an A4 page headed with its title, rendered once
for each image and title and then read from private storage."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image
from pypdf import PdfReader

from casework import pdf_images
from casework.pdf import pdf_dir

pytestmark = pytest.mark.usefixtures("private_storage")  # tests/conftest.py


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (200, 10, 10, 128)).save(out, "PNG")
    return out.getvalue()


def test_rendered_once_for_each_image_and_title_then_read_from_storage():
    data = _png()
    sha = hashlib.sha256(data).hexdigest()
    reads = []

    def read() -> bytes:
        reads.append(1)
        return data

    first = pdf_images.image_page(sha256=sha, content_type="image/png", name="Body map", read=read)
    again = pdf_images.image_page(sha256=sha, content_type="image/png", name="Body map", read=read)
    assert again == first
    assert len(reads) == 1
    reader = PdfReader(io.BytesIO(first))
    assert len(reader.pages) == 1
    assert "Body map" in reader.pages[0].extract_text()
    assert (pdf_dir() / pdf_images.stored_name(sha256=sha, name="Body map")).is_file()

    pdf_images.image_page(sha256=sha, content_type="image/png", name="Another title", read=read)
    assert len(reads) == 2


def test_refuses_what_is_not_an_image():
    with pytest.raises(ValueError):
        pdf_images.image_page(sha256="0" * 64, content_type="application/pdf", name="x", read=bytes)
