"""The private file store: referral evidence (evidence/...) and stored PDFs (documents/...).

Every file is kept and read through Django's storage API, as STORAGES["private"] (`private_storage`),
never through a path, so the store can be this machine's disk (FILE_STORAGE=local, the default,
under PRIVATE_STORAGE_ROOT) or S3-compatible object storage (FILE_STORAGE=s3, django-storages),
which every web process and worker shares (docs/adr/0014-scaling-out.md). Nothing in it is ever
served by URL: views stream a file only after their access check.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import Http404

from casework.access import NOT_FOUND_MESSAGE

PRIVATE = "private"


def private_storage() -> Storage:
    """The store for evidence and PDFs (STORAGES["private"])."""
    return storages[PRIVATE]


def open_private(name: str) -> BinaryIO:
    """A stored file opened for reading, for a download that has already passed its access check;
    Http404 when it is not there (or is a link or a folder on this machine's disk). The caller has
    checked `name` is one the service hands out."""
    storage = private_storage()
    try:
        if not storage.exists(name):
            raise Http404(NOT_FOUND_MESSAGE)
        return cast("BinaryIO", storage.open(name, "rb"))
    except OSError:
        raise Http404(NOT_FOUND_MESSAGE) from None


def served_folders() -> list[Path]:
    """The folders a web server or whitenoise may hand out files from."""
    # STATICFILES_DIRS entries may be (prefix, folder) pairs.
    finders = [entry[1] if isinstance(entry, tuple | list) else entry for entry in settings.STATICFILES_DIRS]
    folders = [settings.STATIC_ROOT, settings.MEDIA_ROOT, *finders]
    return [Path(str(folder)).resolve() for folder in folders if folder]


class PrivateFileSystemStorage(FileSystemStorage):
    """PRIVATE_STORAGE_ROOT on this machine (read when used, so a test may point it elsewhere):
    folders and files for the owner alone, refused inside anything served, and a stored name that
    is a link or a folder is not opened."""

    def __init__(self, location: str | None = None, **kwargs) -> None:
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        self._private_location = location
        super().__init__(location=location, **kwargs)

    @property
    def base_location(self) -> str:
        return str(self._private_location or settings.PRIVATE_STORAGE_ROOT)

    @property
    def location(self) -> str:
        location = os.path.abspath(self.base_location)
        resolved = Path(location).resolve()
        for served in served_folders():
            if resolved.is_relative_to(served):
                raise ImproperlyConfigured(
                    f"PRIVATE_STORAGE_ROOT must not be inside a served folder ({served})"
                )
        return location

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Private files have no address: a view streams them after its access check")

    def _open(self, name: str, mode: str = "rb") -> File:
        if mode != "rb":
            raise ValueError("Private files are opened for reading only")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(self.path(name), flags)  # a link is refused (ELOOP), a missing file raises
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise FileNotFoundError(name)
        return File(os.fdopen(fd, "rb"), name=name)
