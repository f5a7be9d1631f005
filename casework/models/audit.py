"""The append-only trails: every write, every view of a child's record, every list that named children."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone

from casework.models.children import Child
from casework.models.people import User


class AuditEvent(models.Model):
    """Append-only record of every write (a PostgreSQL trigger refuses UPDATE and DELETE)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300, blank=True)
    child = models.ForeignKey(
        Child, on_delete=models.DO_NOTHING, null=True, db_constraint=False, related_name="+"
    )
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["child", "-at"], name="audit_child_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["actor", "-at"], name="audit_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type} {self.object_id}"


class ChildViewLog(models.Model):
    """Append-only record of every view of a child's record, by page or API."""

    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    channel = models.CharField(max_length=20, default="page")
    path = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["child", "-at"], name="viewlog_child_at"),
            models.Index(fields=["user", "-at"], name="viewlog_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} viewed child {self.child_id}"


class ChildListViewLog(models.Model):
    """Append-only record of every list or search that showed children's names, by page or API.

    One row per request: who, the search terms, and the ids of the children on the page they saw,
    so "who saw child X" is one GIN-indexed query (`child_ids @> [X]`).
    """

    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=20, default="page")
    path = models.CharField(max_length=300, blank=True)
    query = models.CharField(max_length=200, blank=True, help_text="The search terms, cut to 200 characters")
    child_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            GinIndex(fields=["child_ids"], name="listviewlog_child_ids_gin"),
            models.Index(fields=["user", "-at"], name="listviewlog_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} listed {len(self.child_ids)} children"
