# ruff: noqa: F811 - the worker fixtures are imported from tests.celery_worker
"""The import's task path for real: confirmed on the page, queued to a Redis of the test's own
after the commit, run by a `celery worker` process (tests/celery_worker.py's kit), then queued
again by hand: the second run finds nothing to do."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from casework.models import Child
from moving_in.models import BatchStatus, ImportBatch
from tests.celery_worker import private_redis, smtp_sink, start_worker, wait_for  # noqa: F401
from tests.moving_in.conftest import csv_bytes, dry_run


@pytest.mark.django_db(transaction=True)
def test_a_confirmed_import_runs_on_a_real_worker(private_redis, start_worker, ines):
    rows = [["", f"W{n}", "Worker", f"Child{n}", "01/02/2015", "", "QRL"] for n in range(25)]
    batch = dry_run(ines, csv_bytes(rows))
    worker = start_worker()
    response = ines.post(reverse("moving_in:confirm", args=[batch.pk]))  # queued after the commit
    assert response.status_code == 302

    def finished() -> bool:
        return ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.IMPORTED).exists()

    assert wait_for(finished, 120, worker=worker.process), worker.log_tail()
    batch.refresh_from_db()
    assert (batch.rows_done, batch.counts["outcome"]) == (25, {"created": 25})
    assert Child.objects.filter(case_number__startswith="W").count() == 25
    page = ines.get(reverse("moving_in:batch", args=[batch.pk])).content.decode()
    assert "25 registered" in page

    # A message delivered twice (a redelivery after a lost worker) changes nothing.
    from moving_in.tasks import import_batch

    broker = private_redis.client()
    import_batch.apply_async(args=[batch.pk])
    assert wait_for(lambda: broker.llen("default") == 0, 30, worker=worker.process)
    time.sleep(1)  # the second run's few statements
    assert Child.objects.filter(case_number__startswith="W").count() == 25
    assert "not queued" in worker.log_text() or "succeeded" in worker.log_text()
