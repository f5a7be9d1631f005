"""Moving in (issue 19): Hampshire's partnership administrator who is also a team manager (so the
child services let her register children), the partnership's SEN service, and helpers that take a
file through the pages: upload, columns, dry run, confirm (the task runs in-process, after the
commit, as in the embedded default)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from casework.models import AgencyKind, Role
from moving_in.models import ImportBatch
from tests.factories import AgencyFactory, UserFactory

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
HEADINGS = ["NHS number", "Case number", "First name", "Surname", "Date of birth", "School", "Agencies"]


@pytest.fixture
def hants_sen(db):
    return AgencyFactory(
        name="Hampshire County Council SEN Service",
        kind=AgencyKind.SEN,
        partnership="Hampshire and Isle of Wight",
    )


@pytest.fixture
def importer(hampshire, hiow_icb, hants_sen):
    """Ines Porter: Hampshire's partnership administrator, and a team manager there."""
    return UserFactory(
        email="ines.porter@hants.example.gov.uk",
        full_name="Ines Porter",
        agency=hampshire,
        roles=[Role.PARTNERSHIP_ADMINISTRATOR, Role.TEAM_MANAGER],
    )


@pytest.fixture
def ines(importer):
    client = Client()
    client.force_login(importer)
    return client


def csv_bytes(rows, *, headings=HEADINGS, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headings)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def upload(client, content: bytes, name: str = "children.csv"):
    return client.post(reverse("moving_in:upload"), {"file": SimpleUploadedFile(name, content)})


def latest() -> ImportBatch:
    return ImportBatch.objects.order_by("-pk").first()


def map_columns(client, batch: ImportBatch, **extra):
    """Post the columns page as guessed (what the page offers)."""
    batch.refresh_from_db()
    data = {
        "header_row": str(batch.header_row),
        **{name: str(i) for name, i in batch.mapping.items()},
        **extra,
    }
    return client.post(reverse("moving_in:columns", args=[batch.pk]), data)


def dry_run(client, content: bytes, name: str = "children.csv") -> ImportBatch:
    response = upload(client, content, name)
    assert response.status_code == 302, response.content.decode()[:3000]
    batch = latest()
    response = map_columns(client, batch)
    assert response.status_code == 302, response.content.decode()[:3000]
    batch.refresh_from_db()
    return batch


def confirm(client, batch: ImportBatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("moving_in:confirm", args=[batch.pk]))
    assert response.status_code == 302, response.content.decode()[:3000]
    batch.refresh_from_db()
    return batch
