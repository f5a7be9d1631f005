"""tests/worlds.py: a world built once for the module is the same for every test, whatever the tests
before it wrote to the database or changed in memory, and is never built inside a test's own
transaction (where the first test's rollback would take it away)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from casework.models import Agency
from tests.factories import AgencyFactory
from tests.worlds import built_once, module_world, parts_of

BUILT = []


def _build() -> SimpleNamespace:
    BUILT.append(1)
    return SimpleNamespace(council=AgencyFactory(name="World Borough Council"))


_world, world = module_world(_build)
(council,) = parts_of("council")


@pytest.mark.parametrize("turn", [1, 2])
def test_each_test_starts_from_the_world_as_built(council, turn):
    assert len(BUILT) == 1
    assert council.name == "World Borough Council"
    assert Agency.objects.get(pk=council.pk).name == "World Borough Council"
    assert not Agency.objects.filter(name="Changed by a test").exists()
    council.name = "Changed by a test"
    council.save()
    AgencyFactory(name="Made by a test")
    assert Agency.objects.filter(name="Made by a test").count() == 1


@pytest.mark.django_db
def test_a_django_db_mark_still_gets_the_world_built_first(council):
    """The mark opens the test's transaction from an automatic fixture; the world, named as an
    argument, is built before it all the same."""
    assert Agency.objects.get(pk=council.pk).name == "World Borough Council"


def test_a_world_is_not_built_inside_a_tests_transaction(db, django_db_blocker):
    with pytest.raises(RuntimeError, match="inside a test's transaction"):
        next(built_once(_build, django_db_blocker))
