"""Checked file uploads for the core's own records (a CETR's report, casework.cetr).

One check for every document the service keeps: the referral evidence's (referrals/evidence.py:
a size limit, the type read from the bytes not the name, a damaged or password-protected PDF
refused, names cleaned, stored privately and opened only after an access check). The core imports
no app, so the evidence module registers its store here and the core finds it by module name, as
the child's timeline finds its sources (docs/adr/0011-layers.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, BinaryIO

__all__ = ["UploadStore", "open_checked", "register_upload_store", "store_checked_upload"]

UPLOAD_MODULES = ("referrals.evidence",)


@dataclass(frozen=True)
class UploadStore:
    """`store(upload)` checks and stores a file, returning an object with display_name,
    stored_name, content_type, size, sha256 and discard(), or raises ValidationError({"file": [...]});
    `open_file(record)` opens a stored file by its record's `stored_name`."""

    store: Callable[[Any], Any]
    open_file: Callable[[Any], BinaryIO]


_STORES: list[UploadStore] = []


def register_upload_store(*, store: Callable[[Any], Any], open_file: Callable[[Any], BinaryIO]) -> None:
    if not _STORES:
        _STORES.append(UploadStore(store=store, open_file=open_file))


def _store() -> UploadStore:
    for module in UPLOAD_MODULES:
        importlib.import_module(module)
    if not _STORES:
        raise RuntimeError("No upload store is registered (referrals.evidence registers it)")
    return _STORES[0]


def store_checked_upload(upload: Any) -> Any:
    """Check and store an upload privately (the evidence rules); ValidationError on "file"."""
    return _store().store(upload)


def open_checked(stored_name: str) -> BinaryIO:
    """Open a stored file for a download that has already passed its access check (Http404 for a
    stored name that could leave the private folder, or a file that is gone)."""
    return _store().open_file(SimpleNamespace(stored_name=stored_name))
