"""Where checked evidence files live: the private store (casework/storage.py) under evidence/, with a
random name.

Nothing serves the store: `open_stored` opens a file only for a download that has already passed
the access check (referrals.access.get_evidence_for_user), and refuses a stored name that could
name anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.http import Http404

from casework.access import NOT_FOUND_MESSAGE
from casework.storage import open_private, private_storage

FOLDER = "evidence"
# Names we hand out are token_hex(16) plus an extension; older rows may differ, but never hold a path.
_SAFE_STORED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]{1,10})?")


@dataclass
class StoredUpload:
    """A checked file, written to private storage and not yet attached to anything."""

    display_name: str
    stored_name: str
    content_type: str
    size: int
    sha256: str

    def discard(self) -> None:
        """Delete the stored file (the database save that should have recorded it failed)."""
        private_storage().delete(_key(self.stored_name))


def evidence_dir(*, create: bool = False) -> Path:
    """The folder evidence is in when the private store is this machine's disk (FILE_STORAGE=local),
    for tests that look at the files; the service itself never uses a path. ImproperlyConfigured
    inside a served folder; NotImplementedError for object storage."""
    folder = Path(private_storage().path(FOLDER))
    if create and not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)  # mkdir's mode is filtered by the umask
    return folder


def open_stored(evidence) -> BinaryIO:
    """The stored file, opened for reading, for a download that has already passed the access check.
    Http404 for a stored name that could name anything else, or a file that is not there."""
    return open_private(_key(evidence.stored_name))


def _key(stored_name: str) -> str:
    if not isinstance(stored_name, str) or not _SAFE_STORED_NAME.fullmatch(stored_name):
        raise Http404(NOT_FOUND_MESSAGE)
    return f"{FOLDER}/{stored_name}"
