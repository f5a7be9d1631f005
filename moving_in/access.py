"""Who may import children, and which batches they may see (docs/adr/0016-moving-in.md).

The pages are the partnership administrator's (ADR 0008): anyone else gets the same 404 as a
missing page. A batch holds what its agency's file said about children, so it is seen by the
partnership administrators of the agency that uploaded it; another agency's or partnership's batch
is the same 404 as one that does not exist.

Registering the children is a write of the child pages (casework.services.child_register), with
its own check: the importer needs a role that registers children (access.CHILD_EDITORS) as well,
and matches and updates only children their agency can see. The administrator role alone still
shows no child (ADR 0008)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from casework import access
from casework.models import User
from moving_in.models import ImportBatch


def require_importer(user: User | AnonymousUser | None) -> User:
    access.require_partnership_administrator(user)  # type: ignore[arg-type]
    assert isinstance(user, User)
    return user


def can_register_children(user: User) -> bool:
    return access.can_edit_children(user=user)


def batches_visible_to(*, user: User | AnonymousUser | None) -> QuerySet[ImportBatch]:
    if not (isinstance(user, User) and access.is_partnership_administrator(user)):
        return ImportBatch.objects.none()
    agency = access.agency_of(user)
    return ImportBatch.objects.filter(agency=agency, partnership=agency.partnership)


def get_batch_for_user(*, user: User | AnonymousUser | None, pk: object) -> ImportBatch:
    require_importer(user)
    try:
        number = int(str(pk))
    except ValueError:
        raise Http404(access.NOT_FOUND_MESSAGE) from None
    batch = batches_visible_to(user=user).defer("content", "table").filter(pk=number).first()
    if batch is None:
        raise Http404(access.NOT_FOUND_MESSAGE)
    return batch
