"""Worlds built once per module: pytest's form of Django's `TestCase.setUpTestData`.

A module whose tests only read a heavy world (the demo, a panel with its members and referrals in
given states) builds it once, in a transaction that stays open for the whole module and is rolled
back after its last test. Each test still runs inside pytest-django's `db` fixture, a savepoint in
that transaction, so what one test writes is gone for the next, as if the world were new each time.
The test gets a deep copy of the Python objects (as `setUpTestData` gives), so one that changes an
instance in memory leaves the next one the world as it was built.

    @pytest.fixture(scope="module")
    def _world(django_db_setup, django_db_blocker, tmp_path_factory):
        yield from built_once(_build, django_db_blocker, tmp_path_factory)

    @pytest.fixture
    def world(_world, db):
        return fresh(_world)

Only for modules without transactional tests (`django_db(transaction=True)`, `transactional_db`,
`live_server`): their flush would empty the world, and their own commits would not be rolled back.
Nor for tests that count on sequences or on ids starting afresh, or count rows made before them.
Stored files the world makes go to one folder kept for the whole module (`PRIVATE_STORAGE_ROOT`
while building); a test that reads them asks for `world_storage` instead of a folder of its own.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from django.db import transaction
from django.test import override_settings

T = TypeVar("T")


def built_once(
    build: Callable[[], T], django_db_blocker, tmp_path_factory: pytest.TempPathFactory | None = None
) -> Iterator[T]:
    """Yield what `build()` makes, in a transaction rolled back when the module is done.

    With `tmp_path_factory`, stored files go to a folder of the module's own while building (and
    `build` finds it as settings.PRIVATE_STORAGE_ROOT)."""
    storage = (
        override_settings(PRIVATE_STORAGE_ROOT=tmp_path_factory.mktemp("world-private"))
        if tmp_path_factory is not None
        else override_settings()
    )
    with storage, django_db_blocker.unblock(), transaction.atomic():
        world = build()
        yield world
        transaction.set_rollback(True)


def fresh(world: T) -> T:
    """A deep copy of the module's world for one test (model instances included, as Django's
    `TestData` descriptor copies `setUpTestData`'s attributes)."""
    return copy.deepcopy(world)


def storage_of(settings, folder: Path) -> Path:
    """Point this test's stored files at the world's folder (`settings` is pytest-django's)."""
    settings.PRIVATE_STORAGE_ROOT = folder
    return folder
