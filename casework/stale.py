"""A stale edit: someone else saved a record after this person opened it.

A service that compares the version (or fingerprint) the editor saw with the saved one raises
StaleEdit. It is an InvalidTransition, so the API still answers 409, with the saved version in the
body where the service had it to hand. A page does not let the 409 lose what was typed: it catches
StaleEdit and calls `conflict()`, which keeps the same form bound to the person's POST data, moves
its hidden version fields to the saved version (so a second save, after merging, goes through),
and lists their text beside the saved text, field by field, with who saved it and when
(templates/casework/stale_edit.html, shown by casework/form_page.html as `stale`).

When the record can no longer be changed at all (closed, signed, sent), `can_retry=False` still
shows the person's text, for them to copy, without offering a save that would be refused again.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponse, QueryDict
from django.utils import timezone

from casework.audit import snapshot
from casework.models import AuditEvent
from casework.services import InvalidTransition

__all__ = [
    "NOT_SEEN",
    "Conflict",
    "Difference",
    "StaleEdit",
    "conflict",
    "fingerprint",
    "last_saved",
    "moment",
    "refuse_if_stale",
    "who_saved",
    "refused",
]

ANCHOR = "stale-edit"
NOT_GIVEN = "Not given"
# A form posted without the hidden version or fingerprint of what the person opened (an old page,
# a hand-made post): refused as a form error, never saved over whatever is there now (issue 13).
NOT_SEEN = (
    "This page did not say which version you opened, so nothing was saved: open the page again "
    "and make your changes there"
)


class StaleEdit(InvalidTransition):
    """Refused because someone else saved first. `current`: the saved version, JSON-ready, for the
    API's 409 body (empty when it was not cheap to give)."""

    def __init__(self, message: str, *, current: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.current = dict(current or {})


@dataclass(frozen=True)
class Difference:
    label: str
    yours: str
    saved: str
    href: str = ""  # the field to change, when the form is still offered


@dataclass
class Conflict:
    """What the page shows about a stale edit (the context variable `stale`)."""

    message: str
    differences: list[Difference]
    saved_by: str = ""
    saved_at: dt.datetime | None = None
    can_retry: bool = True
    anchor: str = ANCHOR
    context: list[tuple[str, str]] = field(default_factory=list)


def _column(obj: models.Model, name: str) -> models.Field:
    field = obj._meta.get_field(name)
    if not isinstance(field, models.Field):  # a relation's reverse side has no value of its own
        raise TypeError(f"{name} is not a field of {obj._meta.label}")
    return field


def fingerprint(obj: models.Model, fields: Iterable[str]) -> str:
    """What an editor saw of `fields` on `obj`, as a short hash, for records with no version
    column: sent back with the edit, a different one means someone else saved in between."""
    values = {name: getattr(obj, _column(obj, name).attname) for name in fields}
    payload = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def refuse_if_stale(*, record: models.Model, fields: Sequence[str], seen: str | None, message: str) -> None:
    """For a service, with `record` locked (select_for_update): refuse a save made from a page
    opened before someone else's save. `seen` is the fingerprint the editor was given; none (an API
    client that sent none) skips the check."""
    if not seen:
        return
    now = fingerprint(record, fields)
    if seen != now:
        raise StaleEdit(message, current={**snapshot(record, fields), "fingerprint": now})


def refused(response: HttpResponse) -> HttpResponse:
    """A page that refused a stale save answers 409, as the API does, with the page itself."""
    response.status_code = 409
    return response


def last_saved(obj: models.Model, *, actions: Iterable[str] | None = None) -> tuple[str, dt.datetime | None]:
    """Who last wrote `obj`, and when, from its audit trail (every service writes one event).
    One indexed query (audit_object)."""
    events = AuditEvent.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk))
    if actions is not None:
        events = events.filter(action__in=list(actions))
    event = events.select_related("actor").order_by("-at", "-id").first()
    if event is None:
        return "", None
    who = event.actor.full_name or event.actor.email if event.actor else "the system"
    return who, event.at


def moment(at: dt.datetime | None) -> str:
    """When someone acted, as a refusal tells it ("Priya Shah disputed this share at 10:02"):
    "at 10:02" today, "on 2 March 2026 at 10:02" another day, in local time."""
    if at is None:
        return ""
    local = timezone.localtime(at)
    if local.date() == timezone.localdate():
        return f"at {local:%H:%M}"
    return f"on {local:%-d %B %Y} at {local:%H:%M}"


def who_saved(obj: models.Model, *, actions: Iterable[str] | None = None) -> str:
    """Who saved `obj` last, and when ("Adam Clerk saved it at 10:02"), from the audit trail
    (last_saved), for a stale edit's refusal to say who won; empty when the trail has nothing."""
    who, when = last_saved(obj, actions=actions)
    return f"{who} saved it {moment(when)}".rstrip() if who else ""


def conflict(
    *,
    form: forms.BaseForm,
    message: str,
    saved: Mapping[str, Any],
    refresh: Mapping[str, Any] | None = None,
    saved_by: tuple[str, dt.datetime | None] = ("", None),
    context: Sequence[tuple[str, Any]] = (),
    anchor: str = ANCHOR,
) -> Conflict:
    """The comparison for a stale edit of `form` (bound to what the person typed).

    `saved`: the saved value of each form field, as the edit page's `initial` would have it.
    `refresh`: the hidden version fields' new values; they are written into the form's data so the
    page's next save is over the saved version. None: the record can no longer be changed like
    this, so the form is not offered again. `context`: other saved facts worth seeing (label, value),
    such as a status or a meeting recorded since. `saved_by`: from last_saved().
    """
    can_retry = refresh is not None
    if refresh is not None:
        # A posted form's data is a QueryDict (its copy is mutable); a test's may be a plain dict.
        data = form.data.copy() if isinstance(form.data, QueryDict) else dict(form.data)
        for name, value in refresh.items():
            data[form.add_prefix(name)] = "" if value is None else str(value)
        form.data = data
    differences = []
    for bound in form.visible_fields():
        name = bound.name
        yours = _text(bound.field, bound.value())
        if name in saved:
            theirs = _text(bound.field, saved[name])
        elif not can_retry and yours != NOT_GIVEN:
            theirs = ""  # no saved counterpart, but the form is gone: keep their text on the page
        else:
            continue
        if theirs == yours:
            continue
        href = _href(bound) if can_retry else ""
        differences.append(Difference(label=str(bound.label), yours=yours, saved=theirs, href=href))
    who, when = saved_by
    return Conflict(
        message=headline(message),
        differences=differences,
        saved_by=who,
        saved_at=when,
        can_retry=can_retry,
        anchor=anchor,
        context=[(label, _plain(value)) for label, value in context],
    )


def headline(message: str) -> str:
    """The first sentence of a service's refusal. What follows ("reload the page", "open it again")
    is for an API client; the page already shows the saved version."""
    first = message.split(". ")[0].split(": ")[0].strip().rstrip(".")
    return f"{first}."


def _href(bound: forms.BoundField) -> str:
    from casework.templatetags.govuk import govuk_error_href

    return govuk_error_href(bound)


def _text(field: forms.Field, raw: Any) -> str:
    """What a value reads as on the page, the same for typed data and saved values."""
    if raw in (None, "", [], ()):
        return NOT_GIVEN
    try:
        value = field.clean(raw)
    except (ValidationError, TypeError, ValueError):
        value = raw
    if value in (None, "", [], ()):
        return NOT_GIVEN
    if isinstance(field, forms.ModelMultipleChoiceField) and isinstance(value, models.QuerySet):
        return ", ".join(field.label_from_instance(obj) for obj in value) or NOT_GIVEN
    if isinstance(field, forms.ModelChoiceField) and isinstance(value, models.Model):
        return field.label_from_instance(value)
    if isinstance(field, forms.ChoiceField):
        labels = _choice_labels(field)
        values = value if isinstance(value, list | tuple) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in values)
    return _plain(value)


def _choice_labels(field: forms.ChoiceField) -> dict[str, str]:
    labels = {}
    # Django keeps a field's choices as a list of pairs; the stubs give the setter's wider input types.
    for key, label in field.choices:  # type: ignore[misc, union-attr]
        if isinstance(label, list | tuple):  # an option group
            labels.update({str(k): str(v) for k, v in label})
        else:
            labels[str(key)] = str(label)
    return labels


def _plain(value: Any) -> str:
    if value in (None, ""):
        return NOT_GIVEN
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return f"{timezone.localtime(value):%-d %B %Y, %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%-d %B %Y}"
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    if isinstance(value, decimal.Decimal):
        return f"{value:,.2f}"
    if isinstance(value, models.QuerySet | list | tuple):
        return ", ".join(_plain(v) for v in value) or NOT_GIVEN
    return str(value)
