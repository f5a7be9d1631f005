"""Every read of a child's personal data is logged: lists and searches too (issue 12)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from casework.models import ChildListViewLog


def test_list_view_log_cannot_be_changed_or_deleted(child, social_worker):
    log = ChildListViewLog.objects.create(user=social_worker, query="Ab", child_ids=[child.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ChildListViewLog.objects.filter(pk=log.pk).update(query="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ChildListViewLog.objects.filter(pk=log.pk).delete()
    assert ChildListViewLog.objects.get(pk=log.pk).query == "Ab"
