"""Issue 15, "the pack is a tagged PDF for the parts we render": the merge and the stamp on their
own, without a database (casework/pdf.py TaggedMerge, casework/pdf_stamp.py)."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from casework import pdf_stamp
from casework.pdf import TaggedMerge
from casework.pdf_stamp import furniture, stamp
from tests.referrals.test_evidence import make_text_pdf


def tagged(title: str, pages: int) -> bytes:
    from weasyprint import HTML

    body = "".join(
        f'<h1>{title} {n}</h1><p>See <a href="https://example.org/{n}">the guidance</a>.</p>'
        f'<p style="break-after: page">End of page {n}.</p>'
        for n in range(pages)
    )
    html = f'<html lang="en-GB"><head><title>{title}</title></head><body>{body}</body></html>'
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def merged() -> bytes:
    merge = TaggedMerge()
    merge.outline(merge.append(PdfReader(io.BytesIO(tagged("Cover", 1)))), "Cover")
    merge.outline(merge.append(PdfReader(io.BytesIO(tagged("Paper", 2)))), "Paper")
    merge.outline(merge.append(PdfReader(io.BytesIO(make_text_pdf(2))), tagged=False), "Evidence")
    return stamp(merge.write(title="Panel pack"), furniture())


def elements(node, found: list) -> list:
    node = node.get_object()
    if isinstance(node, DictionaryObject):
        found.append(node)
        kids = node.get("/K")
        for kid in kids if isinstance(kids, ArrayObject) else [kids] if kids is not None else []:
            elements(kid, found)
    return found


def test_each_rendered_part_keeps_its_tags_under_one_document_and_the_evidence_has_none():
    reader = PdfReader(io.BytesIO(merged()))
    catalog = reader.root_object
    assert catalog["/Lang"] == "en-GB" and catalog["/MarkInfo"]["/Marked"]
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"]
    tree = catalog["/StructTreeRoot"]
    document = tree["/K"].get_object()
    assert document["/S"] == "/Document"
    assert [kid.get_object()["/S"] for kid in document["/K"]] == ["/Part", "/Part"]
    headings = [e for e in elements(tree, []) if e.get("/S") == "/H1"]
    assert len(headings) == 3  # Cover 0, Paper 0, Paper 1

    # Every page and link of the rendered parts has its own parent-tree key; the evidence none.
    nums = tree["/ParentTree"]["/Nums"]
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    assert keys == list(range(len(keys))) and int(tree["/ParentTreeNextKey"]) == len(keys)
    used = []
    for page in reader.pages[:3]:
        used.append(int(page["/StructParents"]))
        used += [int(a.get_object()["/StructParent"]) for a in page.get("/Annots") or []]
    assert sorted(used) == keys
    assert all("/StructParents" not in page for page in reader.pages[3:])
    # A link's tag points at the very annotation on its page.
    links = {a.idnum for page in reader.pages if "/Annots" in page for a in page.raw_get("/Annots")}
    targets = {e.raw_get("/Obj").idnum for e in elements(tree, []) if e.get("/Type") == "/OBJR"}
    assert targets == links and len(links) == 3


def test_the_page_furniture_is_an_artifact_in_an_embedded_font():
    reader = PdfReader(io.BytesIO(merged()))
    for page in reader.pages:
        content = page.get_contents().get_data()
        assert re.search(rb"/Artifact\s*<<\s*/Type\s*/Pagination\s*>>\s*BDC", content), content[-400:]
        fonts = page["/Resources"]["/Font"]
        stamp_fonts = [f.get_object() for name, f in fonts.items() if name.startswith("/CwStamp")]
        assert stamp_fonts and all("/FontFile2" in f["/FontDescriptor"] for f in stamp_fonts)
    assert "Page 5 of 5" in reader.pages[4].extract_text()


def test_without_fontconfig_the_furniture_falls_back_to_helvetica(monkeypatch):
    monkeypatch.setattr(pdf_stamp.shutil, "which", lambda name: None)
    pdf_stamp._embeddable.cache_clear()
    try:
        data = stamp(make_text_pdf(1), furniture())
    finally:
        pdf_stamp._embeddable.cache_clear()
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert {str(f.get_object()["/BaseFont"]) for f in page["/Resources"]["/Font"].values()} == {
        "/Helvetica",
        "/Helvetica-Bold",
    }
    assert "OFFICIAL-SENSITIVE" in page.extract_text()
