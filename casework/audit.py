"""The audit trail: who changed what, and who looked at which child.

Services call `record_event`; views call `record_child_view` for one child's record and
`record_child_list_view` for a list or search that shows children (issue 12: every read of a
child's personal data is logged). The request's IP address reaches services through a context
variable set by AuditContextMiddleware, so service signatures stay about the domain. The tables
are append-only (a PostgreSQL trigger, migrations 0002 and 0008).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from django.db import models

from casework.models import AuditEvent, Child, ChildListViewLog, ChildViewLog, User

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
        if not isinstance(field, models.Field):  # a relation's reverse side has no value of its own
            raise TypeError(f"{name} is not a field of {obj._meta.label}")
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


def record_events(
    *,
    actor: User | None,
    action: str,
    events: Iterable[tuple[models.Model, Child | None, dict[str, Any]]],
) -> list[AuditEvent]:
    """`record_event` for many objects at once, each (object, child, changes): the same rows, one
    INSERT."""
    ip = current_ip.get()
    return AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor,
                action=action,
                object_type=obj._meta.label,
                object_id=str(obj.pk),
                object_repr=str(obj)[:300],
                child=child,
                changes=changes or {},
                ip_address=ip,
            )
            for obj, child, changes in events
        ]
    )


def record_child_view(*, user: User, child: Child, channel: str = "page", path: str = "") -> None:
    ChildViewLog.objects.create(
        user=user, child=child, channel=channel, path=path[:300], ip_address=current_ip.get()
    )


def record_child_views(
    *, user: User, children: Iterable[Child], channel: str = "page", path: str = ""
) -> None:
    """Each child a page shows in full (a summary of the child's record, not a line of a list) is
    logged as viewed, in one INSERT for the page whatever the number of children."""
    ChildViewLog.objects.bulk_create(
        [
            ChildViewLog(
                user=user, child=child, channel=channel, path=path[:300], ip_address=current_ip.get()
            )
            for child in dict.fromkeys(children)
        ]
    )


LIST_QUERY_LENGTH = 200


def filters_text(params: Mapping[str, str]) -> str:
    """A list's filters as text for the log (status=submitted&panel=3), less the page number."""
    return urlencode(sorted((k, v) for k, v in params.items() if k != "page"))


def record_child_list_view(
    *, user: User, child_ids: Iterable[int], channel: str = "page", path: str = "", query: str = ""
) -> None:
    """Log one list or search: who, the search terms, and the children on the page they were shown.

    One INSERT per request, from ids the caller already holds (no query per child). A list that
    showed nobody is logged only when something was searched for.
    """
    ids = list(dict.fromkeys(child_ids))
    query = " ".join((query or "").split())[:LIST_QUERY_LENGTH]
    if not ids and not query:
        return
    ChildListViewLog.objects.create(
        user=user,
        channel=channel,
        path=path[:300],
        query=query,
        child_ids=ids,
        ip_address=current_ip.get(),
    )
