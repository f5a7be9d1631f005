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

(or `_world, world = module_world(_build)`, which makes the same two.)

Only for modules without transactional tests (`django_db(transaction=True)`, `transactional_db`,
`live_server`): their flush would empty the world, and their own commits would not be rolled back.
Nor for tests that count on sequences or on ids starting afresh, or count rows made before them.
Stored files the world makes go to one folder kept for the whole module (`PRIVATE_STORAGE_ROOT`
while building and while its tests run); a test that reads them must not ask for a folder of its
own (`private_storage`).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any, TypeVar

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
    with storage, django_db_blocker.unblock():
        if transaction.get_connection().in_atomic_block:
            raise RuntimeError(
                "The module's world is being built inside a test's transaction, and would be rolled "
                "back with it: ask for it through an argument (`world`, `parts_of`), not getfixturevalue"
            )
        with transaction.atomic():
            world = build()
            yield world
            transaction.set_rollback(True)


def fresh(world: T) -> T:
    """A deep copy of the module's world for one test (model instances included, as Django's
    `TestData` descriptor copies `setUpTestData`'s attributes)."""
    return copy.deepcopy(world)


def module_world(build: Callable[[], Any]) -> tuple:
    """The pair of fixtures above for `build`, to assign to `_world, world` in a test module:

        _world, world = module_world(_build)

    `_world` builds it once for the module (stored files in a folder of the module's own);
    `world` is each test's copy, in the test's own savepoint."""

    @pytest.fixture(scope="module", name="_world")
    def built(django_db_setup, django_db_blocker, tmp_path_factory):
        yield from built_once(build, django_db_blocker, tmp_path_factory)

    @pytest.fixture(name="world")
    def copied(_world, db):
        return fresh(_world)

    return built, copied


def parts_of(*names: str) -> tuple:
    """Fixtures named `names`, each the attribute of that name of this test's copy of the world
    (the fixture `world`): a module assigns them to the same names to stand in for the shared
    fixtures (tests/conftest.py's personas, a directory's conftest), and every fixture built on
    those names (a persona's team, a referral in its first state) then builds on the world's:

        hampshire, social_worker, child = parts_of("hampshire", "social_worker", "child")

    The parts come from one copy per test, so they still point at each other (the child's
    `owning_agency` is `hampshire`). Each names `world` as an argument, not through
    `request.getfixturevalue`, so pytest sees the module's `_world` among the test's fixtures and
    builds it before the test's own transaction begins (a `django_db` mark would otherwise open
    that first, and the world would be rolled back with the first test)."""

    def part(name: str):
        @pytest.fixture(name=name)
        def from_world(world):
            return getattr(world, name)

        from_world.__doc__ = f"`world.{name}`, built once for the module."
        return from_world

    return tuple(part(name) for name in names)


def stand_in_on_the_panels_clock(
    module: dict[str, Any], build: Callable[[], Any], names: tuple[str, ...]
) -> None:
    """A panels module's whole stand-in, given its `globals()`: `_world` and `world` for `build`,
    a fixture for each of `names` (parts_of), every test on the panels' clock, and stored files in
    the world's folder rather than the test's own."""

    @pytest.fixture(autouse=True)
    def _panels_clock(clock):
        """Every test on the panels' clock, as the shared `irap` fixture put them."""

    @pytest.fixture(autouse=True)
    def private_storage(settings):
        """The world's folder (Amelia's evidence is there), not one of the test's own."""
        return settings.PRIVATE_STORAGE_ROOT

    module["_world"], module["world"] = module_world(build)
    module.update(zip(names, parts_of(*names), strict=True))
    module["_panels_clock"] = _panels_clock
    module["private_storage"] = private_storage


# --- Worlds made of the shared personas --------------------------------------------------------
# The same rows tests/conftest.py's and tests/panels/conftest.py's fixtures make, made by plain
# functions so a module's world can hold them (a module-scoped fixture cannot ask for those
# function-scoped ones). Keep each in step with the fixture of the same name.


def hampshire_people() -> dict[str, Any]:
    """tests/conftest.py's Hampshire: `hampshire`, `hiow_icb`, `hampshire_team`, `social_worker`,
    `team_manager`, `service_manager`, `panel_chair` and Amelia (`child`)."""
    from casework.models import AgencyKind, Role
    from tests.factories import AgencyFactory, ChildFactory, TeamFactory, UserFactory

    hampshire = AgencyFactory(
        name="Hampshire County Council Children's Services",
        kind=AgencyKind.CHILDRENS_SERVICES,
        partnership="Hampshire and Isle of Wight",
    )
    hiow_icb = AgencyFactory(
        name="NHS Hampshire and Isle of Wight ICB",
        kind=AgencyKind.ICB,
        ods_code="QRL",
        partnership="Hampshire and Isle of Wight",
    )
    team = TeamFactory(agency=hampshire, name="Children with Disabilities Team (North)")
    social_worker = UserFactory(
        email="sam.okafor@hants.example.gov.uk",
        full_name="Sam Okafor",
        agency=hampshire,
        roles=[Role.SOCIAL_WORKER],
    )
    team_manager = UserFactory(
        email="tara.bell@hants.example.gov.uk",
        full_name="Tara Bell",
        agency=hampshire,
        roles=[Role.TEAM_MANAGER],
    )
    social_worker.teams.add(team)
    team_manager.teams.add(team)
    return {
        "hampshire": hampshire,
        "hiow_icb": hiow_icb,
        "hampshire_team": team,
        "social_worker": social_worker,
        "team_manager": team_manager,
        "service_manager": UserFactory(
            email="sunita.rao@hants.example.gov.uk",
            full_name="Sunita Rao",
            agency=hampshire,
            roles=[Role.SERVICE_MANAGER],
        ),
        "panel_chair": UserFactory(
            email="peter.chair@hants.example.gov.uk",
            full_name="Peter Hale",
            agency=hampshire,
            roles=[Role.PANEL_CHAIR, Role.PANEL_MEMBER],
        ),
        "child": ChildFactory(
            given_name="Amelia",
            family_name="Hart",
            owning_agency=hampshire,
            created_by=social_worker,
            allocated_social_worker=social_worker,
            involved=[hiow_icb],
        ),
    }


def irap_people(people: dict[str, Any]) -> dict[str, Any]:
    """tests/panels/conftest.py's Hampshire IRAP on `hampshire_people()`, on its clock (Monday
    2 March 2026): `panel_admin`, `council_member`, `icb_member`, `second_icb_member`, `irap` and
    its `irap_meeting` (Thursday 9 April 2026)."""
    from casework.models import Role
    from panels.models import Membership
    from tests.factories import MeetingFactory, PanelFactory, UserFactory
    from tests.panels.conftest import MEETING_DAY

    hampshire, hiow_icb = people["hampshire"], people["hiow_icb"]
    made = {
        "panel_admin": UserFactory(
            email="adam.clerk@hants.example.gov.uk",
            full_name="Adam Clerk",
            agency=hampshire,
            roles=[Role.PANEL_ADMINISTRATOR],
        ),
        "council_member": UserFactory(
            email="paula.member@hants.example.gov.uk",
            full_name="Paula Member",
            agency=hampshire,
            roles=[Role.PANEL_MEMBER],
        ),
        "icb_member": UserFactory(
            email="irene.grant@hiow.example.nhs.uk",
            full_name="Irene Grant",
            agency=hiow_icb,
            roles=[Role.PANEL_MEMBER],
        ),
        "second_icb_member": UserFactory(
            email="ivan.moss@hiow.example.nhs.uk",
            full_name="Ivan Moss",
            agency=hiow_icb,
            roles=[Role.PANEL_MEMBER],
        ),
    }
    irap = PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)
    irap.quorum_agencies.set([hampshire, hiow_icb])
    start = dt.date(2026, 1, 1)
    for person, agency, role in [
        (people["panel_chair"], hampshire, "chair"),
        (made["council_member"], hampshire, "member"),
        (made["icb_member"], hiow_icb, "member"),
        (made["second_icb_member"], hiow_icb, "member"),
        (made["panel_admin"], hampshire, "administrator"),
    ]:
        Membership.objects.create(panel=irap, person=person, agency=agency, role=role, starts_on=start)
    return {**made, "irap": irap, "irap_meeting": MeetingFactory(panel=irap, date=MEETING_DAY)}


def amelia_submitted_to_irap() -> dict[str, Any]:
    """`hampshire_people()` and `irap_people()` on the panels' clock (Monday 2 March 2026, 09:30
    London), and tests/panels/conftest.py's `submitted_referral`: Amelia's referral written, signed
    by both managers and submitted to `irap_meeting`."""
    import time_machine

    from tests.panels.conftest import at, submit_referral

    with time_machine.travel(at(dt.date(2026, 3, 2)), tick=False):
        made = hampshire_people()
        made.update(irap_people(made))
        made["submitted_referral"] = submit_referral(
            child=made["child"],
            meeting=made["irap_meeting"],
            social_worker=made["social_worker"],
            team_manager=made["team_manager"],
            service_manager=made["service_manager"],
            hampshire=made["hampshire"],
            hiow_icb=made["hiow_icb"],
        )
    return made


SUBMITTED_TO_IRAP = (
    "hampshire",
    "hiow_icb",
    "hampshire_team",
    "social_worker",
    "team_manager",
    "service_manager",
    "panel_chair",
    "child",
    "panel_admin",
    "council_member",
    "icb_member",
    "second_icb_member",
    "irap",
    "irap_meeting",
    "submitted_referral",
)
"""The names of `amelia_submitted_to_irap()`'s parts, for `parts_of`."""


def amelia_on_irap_agenda() -> SimpleNamespace:
    """`amelia_submitted_to_irap()` and tests/panels/conftest.py's `item`: her referral on the IRAP
    meeting's agenda (parts: `ON_IRAP_AGENDA`)."""
    import time_machine

    from tests.factories import agenda_item_for
    from tests.panels.conftest import at

    made = amelia_submitted_to_irap()
    with time_machine.travel(at(dt.date(2026, 3, 2)), tick=False):
        made["item"] = agenda_item_for(
            referral=made["submitted_referral"], meeting=made["irap_meeting"], actor=made["panel_admin"]
        )
    return SimpleNamespace(**made)


ON_IRAP_AGENDA = (*SUBMITTED_TO_IRAP, "item")
