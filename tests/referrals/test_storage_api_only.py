"""Evidence and stored PDFs go through Django's storage API alone (casework/storage.py), so any
backend will do: here Django's InMemoryStorage stands in for S3-compatible object storage, and
PRIVATE_STORAGE_ROOT is a file, not a folder, so any use of a local path would fail."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import InMemoryStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client
from django.urls import reverse

from casework import pdf
from casework.storage import private_storage
from referrals import papers, services
from referrals.evidence import open_stored, store_upload
from referrals.models import Evidence
from tests.referrals.test_evidence import make_pdf


@pytest.fixture(autouse=True)
def in_memory(settings, tmp_path):
    not_a_folder = tmp_path / "private"
    not_a_folder.write_text("a file: nothing may be kept under it")
    settings.PRIVATE_STORAGE_ROOT = not_a_folder
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    assert isinstance(private_storage(), InMemoryStorage)
    yield private_storage()
    assert not_a_folder.read_text() == "a file: nothing may be kept under it"


def test_evidence_is_checked_kept_opened_and_discarded_through_the_storage(in_memory):
    data = make_pdf(pages=2)
    stored = store_upload(SimpleUploadedFile("Core assessment.pdf", data, "text/html"))
    assert in_memory.exists(f"evidence/{stored.stored_name}")
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    with open_stored(Evidence(stored_name=stored.stored_name)) as file:
        assert file.read() == data
    stored.discard()
    assert not in_memory.exists(f"evidence/{stored.stored_name}")
    with pytest.raises(Http404):
        open_stored(Evidence(stored_name=stored.stored_name))
    with pytest.raises(Http404):
        open_stored(Evidence(stored_name="../documents/x.pdf"))


def test_a_refused_upload_keeps_nothing(in_memory):
    with pytest.raises(ValidationError):
        store_upload(SimpleUploadedFile("report.pdf", b"%PDF-1.7 not really", "application/pdf"))
    assert in_memory.listdir("") == ([], [])


def test_stored_pdfs_are_kept_opened_and_discarded_through_the_storage(in_memory):
    data = make_pdf()
    first, second = pdf.store_pdf(data), pdf.store_pdf(data)
    assert first.name != second.name
    with pdf.open_stored_pdf(first.name) as handle:
        assert handle.read() == data
    pdf.discard_pdf(second.name)
    assert not in_memory.exists(f"documents/{second.name}")
    # A file keyed by its content is kept once: storing it again keeps the first.
    keyed = "0123456789abcdef0123456789abcdef.pdf"
    pdf.store_pdf(data, name=keyed)
    again = pdf.store_pdf(b"%PDF- another", name=keyed)
    assert again.name == keyed
    with pdf.open_stored_pdf(keyed) as handle:
        assert handle.read() == data
    with pytest.raises(Http404):
        pdf.open_stored_pdf("fedcba9876543210fedcba9876543210.pdf")


def test_uploading_downloading_and_the_paper_use_the_storage(in_memory, draft, social_worker):
    client = Client()
    client.force_login(social_worker)
    data = make_pdf(pages=1)
    item = services.evidence_add(
        actor=social_worker,
        referral=draft,
        upload=SimpleUploadedFile("Care plan.pdf", data, "application/pdf"),
        title="Care plan",
    )
    response = client.get(reverse("referrals:evidence_download", args=[draft.pk, item.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data

    paper = papers.paper_for(draft)
    assert in_memory.exists(f"documents/{paper.pdf_name}")
    with pdf.open_stored_pdf(paper.pdf_name) as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == paper.pdf_sha256
