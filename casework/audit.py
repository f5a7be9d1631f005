"""The audit trail: who changed what, and who looked at which child.

Services call `record_event`; views call `record_child_view`. The request's IP address reaches
services through a context variable set by AuditContextMiddleware, so service signatures stay
about the domain. Both tables are append-only (a PostgreSQL trigger, migration 0002).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from django.db import models

from casework.models import AuditEvent, Child, ChildViewLog, User

current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_ip", default=None)


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.date | dt.datetime | dt.time | decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of `fields` on `obj`, JSON-ready, for a before/after comparison."""
    out = {}
    for name in fields:
        field = obj._meta.get_field(name)
        value = getattr(obj, field.attname)
        out[name] = _jsonable(value)
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def record_event(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
    child: Child | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        child=child,
        changes=changes or {},
        ip_address=current_ip.get(),
    )


def record_child_view(*, user: User, child: Child, channel: str = "page", path: str = "") -> None:
    ChildViewLog.objects.create(
        user=user, child=child, channel=channel, path=path[:300], ip_address=current_ip.get()
    )
