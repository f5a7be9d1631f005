"""The panel pack reads each paper and its evidence, and keeps the pack, through Django's storage API
alone (casework/storage.py): built here with InMemoryStorage standing in for S3-compatible storage,
and PRIVATE_STORAGE_ROOT a file, so any use of a local path would fail."""

from __future__ import annotations

import pytest
from django.core.files.storage import InMemoryStorage

from casework.storage import private_storage
from panels.models import PackStatus
from referrals.models import Evidence, ReferralPaper
from tests.panels.test_pack import build, on_agenda, read


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


def test_the_pack_is_built_from_and_kept_in_the_storage(
    in_memory, irap_meeting, make_submitted, panel_admin, django_capture_on_commit_callbacks
):
    item = on_agenda(make_submitted(), irap_meeting, panel_admin, 1)
    [evidence] = Evidence.objects.filter(referral=item.referral)
    assert in_memory.exists(f"evidence/{evidence.stored_name}")

    pack = build(irap_meeting, panel_admin, django_capture_on_commit_callbacks)

    assert pack.status == PackStatus.READY
    assert in_memory.exists(f"documents/{pack.pdf_name}")
    paper = ReferralPaper.objects.get(referral=item.referral)
    assert in_memory.exists(f"documents/{paper.pdf_name}")
    reader = read(pack)
    assert len(reader.pages) == pack.page_count
    assert [entry.title for entry in reader.outline[2]] == [f"assessment.pdf (referral {item.referral_id})"]
