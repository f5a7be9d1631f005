from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from casework import services
from casework.audit import record_child_view
from casework.models import AuditEvent, ChildViewLog


def test_registering_a_child_is_audited_with_the_fields(social_worker):
    child = services.child_register(
        actor=social_worker,
        fields={"given_name": "Ruby", "family_name": "Stone", "date_of_birth": "2015-03-02"},
    )
    event = AuditEvent.objects.get(action="child.registered", object_id=str(child.pk))
    assert event.actor == social_worker
    assert event.child_id == child.pk
    assert event.changes["given_name"] == [None, "Ruby"]


def test_update_records_before_and_after(child, social_worker):
    services.child_update(actor=social_worker, child=child, fields={"preferred_name": "Mia"})
    event = AuditEvent.objects.get(action="child.updated", child=child)
    assert event.changes == {"preferred_name": ["", "Mia"]}


def test_audit_events_cannot_be_changed_or_deleted(child, social_worker):
    services.child_update(actor=social_worker, child=child, fields={"preferred_name": "Mia"})
    event = AuditEvent.objects.filter(child=child).first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "child.updated"


def test_view_log_cannot_be_changed_or_deleted(child, social_worker):
    record_child_view(user=social_worker, child=child, path="/children/1/")
    log = ChildViewLog.objects.get(child=child)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ChildViewLog.objects.filter(pk=log.pk).update(path="/elsewhere/")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ChildViewLog.objects.filter(pk=log.pk).delete()
