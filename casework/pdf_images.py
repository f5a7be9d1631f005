"""Image pages: an image (PNG or JPEG) placed on an A4 page of the PDF engine (casework/pdf.py),
with its title as the heading, for a pack or paper that merges PDFs.

Rendering a page costs about a second, so each page is rendered once for each image and title and
stored privately under a name derived from both (`store_pdf(name=...)`); every later call reads the
stored page. The caller says what the image is (its SHA-256 and content type) and how to read its
bytes, only called when the page is not stored yet, so this module knows nothing of where images
live (referrals' evidence today).
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable

from django.http import Http404

from casework.pdf import open_stored_pdf, render_pdf, store_pdf

IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})
TEMPLATE = "pdf/image.html"


def _as_jpeg(png: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as opened:
        opened.load()
        image: Image.Image = opened
        if image.mode in ("RGBA", "LA", "P"):
            flat = Image.new("RGB", image.size, "white")
            flat.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
            image = flat
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=90)
        return out.getvalue()


def stored_name(*, sha256: str, name: str) -> str:
    """The stored page's name for this image and title (the same one every time)."""
    return hashlib.sha256(f"image-page:{sha256}:{name}".encode()).hexdigest()[:32] + ".pdf"


def image_page(*, sha256: str, content_type: str, name: str, read: Callable[[], bytes]) -> bytes:
    """The image with SHA-256 `sha256` on an A4 page headed `name`: the stored page if there is
    one, otherwise rendered from `read()`, stored and returned."""
    if content_type not in IMAGE_TYPES:
        raise ValueError(f"Not an image a page can show: {content_type}")
    stored = stored_name(sha256=sha256, name=name)
    try:
        with open_stored_pdf(stored) as page:
            return page.read()
    except Http404:
        pass
    data = read()
    if content_type == "image/png":
        # WeasyPrint re-compresses a PNG (about a second a page); a JPEG it passes straight through.
        data, content_type = _as_jpeg(data), "image/jpeg"
    uri = f"data:{content_type};base64,{base64.b64encode(data).decode()}"
    pdf = render_pdf(template=TEMPLATE, context={"name": name, "image": uri, "bare": True}, title=name)
    store_pdf(pdf, name=stored)
    return pdf
