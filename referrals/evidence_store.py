"""Where checked evidence files live: PRIVATE_STORAGE_ROOT/evidence, under a random name.

Nothing serves that folder: `open_stored` opens a file only for a download that has already passed
the access check (referrals.access.get_evidence_for_user), and refuses a stored name that could
leave the folder.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404

from casework.access import NOT_FOUND_MESSAGE

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
        _path_for(self.stored_name).unlink(missing_ok=True)


def evidence_dir(*, create: bool = False) -> Path:
    """PRIVATE_STORAGE_ROOT/evidence, refusing a setting that would put it inside a served folder."""
    folder = Path(settings.PRIVATE_STORAGE_ROOT) / "evidence"
    resolved = folder.resolve()
    for served in _served_dirs():
        if resolved.is_relative_to(served):
            raise ImproperlyConfigured(f"PRIVATE_STORAGE_ROOT must not be inside a served folder ({served})")
    if create and not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)  # mkdir's mode is filtered by the umask
    return folder


def stored_path(evidence) -> Path:
    """Where an Evidence row's file lives. Http404 for a stored name that could leave the folder."""
    return _path_for(evidence.stored_name)


def open_stored(evidence) -> BinaryIO:
    """The stored file, opened for reading, for a download that has already passed the access check."""
    path = stored_path(evidence)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        raise Http404(NOT_FOUND_MESSAGE) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise Http404(NOT_FOUND_MESSAGE)
    return os.fdopen(fd, "rb")


def _served_dirs() -> list[Path]:
    # STATICFILES_DIRS entries may be (prefix, folder) pairs.
    finders = [entry[1] if isinstance(entry, tuple | list) else entry for entry in settings.STATICFILES_DIRS]
    folders = [settings.STATIC_ROOT, settings.MEDIA_ROOT, *finders]
    return [Path(folder).resolve() for folder in folders if folder]


def _path_for(stored_name: str) -> Path:
    if not isinstance(stored_name, str) or not _SAFE_STORED_NAME.fullmatch(stored_name):
        raise Http404(NOT_FOUND_MESSAGE)
    folder = evidence_dir().resolve()
    path = (folder / stored_name).resolve()
    if path.parent != folder:
        raise Http404(NOT_FOUND_MESSAGE)
    return path
