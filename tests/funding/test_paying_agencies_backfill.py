"""Issue 15: packages made before docs/adr/0013 have paying agencies not involved with the child, so
their finance approver is routed a share and gets a 404 for the package. funding/paying_agencies.py
involves them (funding migration 0005, `manage.py involve_paying_agencies`), audited as a system
change; another partnership's agency, an involvement a person ended after the share was given, and
ended packages are left. The old state is built by writing the share line directly, as the
package services did before the change."""

from __future__ import annotations

import datetime as dt
import importlib
import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from casework.models import AgencyKind, AuditEvent, Involvement, InvolvementRole
from casework.services.access_requests import _default_involvement_role
from funding.models import FundingCategory, PackageStatus, ShareLine
from funding.paying_agencies import REASON, involve_paying_agencies, role_for_kind
from tests.factories import AgencyFactory

D = dt.date
pytestmark = pytest.mark.django_db
SEN = "Hampshire County Council SEN"


def _share_without_involving(package, agency, *, amount="200.00") -> ShareLine:
    """A share line on the package's current version, written as before ADR 0013 (no involvement)."""
    version = package.current_version
    return ShareLine.objects.create(
        version=version,
        package=package,
        position=version.shares.count() + 1,
        agency=agency,
        category=FundingCategory.for_agency(agency),
        basis="amount",
        value=Decimal(amount),
        amount=Decimal(amount),
        annual_amount=Decimal(amount) * 52,
    )


@pytest.fixture
def old_package(existing_package, hampshire_sen):
    """The council and ICB's £1,000 a week arrangement, with a SEN share the SEN service was never
    involved for."""
    _share_without_involving(existing_package, hampshire_sen)
    assert not Involvement.objects.filter(agency=hampshire_sen).exists()
    return existing_package


def _backfill_events():
    return AuditEvent.objects.filter(
        action="involvement.added", changes__via=[None, "funding share back-fill"]
    )


def test_the_command_lists_without_changing_anything(client, old_package, sen_finance, child):
    out = io.StringIO()
    call_command("involve_paying_agencies", stdout=out)
    text = out.getvalue()
    assert "Would involve 1 paying agency(ies)" in text
    assert f"package {old_package.pk}, child {child.pk}: {SEN} (education)" in text
    assert not Involvement.objects.filter(agency__name=SEN).exists()
    assert not _backfill_events().exists()
    client.force_login(sen_finance)
    assert client.get(reverse("funding:detail", args=[old_package.pk])).status_code == 404


def test_apply_involves_the_agency_with_its_reason_audited_and_its_approver_opens_the_package(
    client, old_package, hampshire, hiow_icb, hampshire_sen, sen_finance, council_finance, child
):
    before = {i.pk: (i.agency_id, i.reason, i.ended_on) for i in Involvement.objects.filter(child=child)}
    out = io.StringIO()
    call_command("involve_paying_agencies", "--apply", stdout=out)
    assert "Involved 1 paying agency(ies)" in out.getvalue()

    involvement = Involvement.objects.get(child=child, agency=hampshire_sen, ended_on=None)
    assert involvement.reason == (
        f"Funding share in package {old_package.pk} (recorded before paying agencies were involved)"
    )
    assert involvement.role == InvolvementRole.EDUCATION
    assert involvement.started_on == D(2026, 3, 2)
    assert involvement.added_by == council_finance  # who recorded the version that gave the share
    (event,) = _backfill_events()
    assert event.actor is None and event.child_id == child.pk
    assert event.object_type == "casework.Involvement" and event.object_id == str(involvement.pk)
    assert event.changes["agency"] == [None, SEN]
    assert event.changes["role"] == [None, "education"]
    assert event.changes["reason"] == [None, involvement.reason]

    client.force_login(sen_finance)
    assert client.get(reverse("funding:detail", args=[old_package.pk])).status_code == 200

    # The agencies already involved (the council, the ICB) are untouched: same rows, no event.
    after = {i.pk: (i.agency_id, i.reason, i.ended_on) for i in Involvement.objects.filter(child=child)}
    assert {pk: row for pk, row in after.items() if pk != involvement.pk} == before
    assert not AuditEvent.objects.filter(
        action="involvement.added", changes__agency=[None, hampshire.name]
    ).exists()

    # Again: nothing more to do.
    report = involve_paying_agencies(apps=apps, apply=True)
    assert report.involved == []
    assert Involvement.objects.filter(child=child).count() == len(after)
    assert _backfill_events().count() == 1


def test_two_packages_of_one_child_involve_the_agency_once(existing_package, old_package, hampshire_sen):
    from funding import services
    from tests.funding.conftest import terms

    second = services.package_create_existing(
        actor=existing_package.created_by,
        child=existing_package.child,
        pathway="joint_package",
        terms=terms(
            existing_package.current_version.provider,
            (existing_package.child.owning_agency, "percentage", "100"),
        ),
    )
    _share_without_involving(second, hampshire_sen)
    report = involve_paying_agencies(apps=apps, apply=True)
    assert [p.package_id for p in report.involved] == [old_package.pk]
    assert Involvement.objects.filter(agency=hampshire_sen).count() == 1


def test_an_agency_of_another_partnership_is_listed_never_involved(old_package, leicester, child):
    _share_without_involving(old_package, leicester, amount="1.00")
    out = io.StringIO()
    call_command("involve_paying_agencies", "--apply", stdout=out)
    assert not Involvement.objects.filter(agency=leicester).exists()
    text = out.getvalue()
    assert "Not involved, of another partnership: 1" in text
    assert f"child {child.pk}: {leicester.name} (of Leicester, Leicestershire and Rutland" in text
    assert Involvement.objects.filter(agency__name=SEN, ended_on=None).count() == 1


def test_an_involvement_a_person_ended_after_the_share_is_left(
    old_package, hampshire_sen, social_worker, child
):
    Involvement.objects.create(
        child=child,
        agency=hampshire_sen,
        role=InvolvementRole.EDUCATION,
        started_on=D(2026, 3, 2),
        ended_on=D(2026, 3, 2),
        added_by=social_worker,
    )
    report = involve_paying_agencies(apps=apps, apply=True)
    assert report.involved == []
    assert [(p.package_id, p.agency) for p in report.ended_since] == [(old_package.pk, SEN)]
    assert not Involvement.objects.filter(agency=hampshire_sen, ended_on=None).exists()


def test_an_involvement_ended_before_the_share_was_given_does_not_hold_it_back(
    old_package, hampshire_sen, social_worker, child
):
    Involvement.objects.create(
        child=child,
        agency=hampshire_sen,
        role=InvolvementRole.EDUCATION,
        started_on=D(2025, 1, 6),
        ended_on=D(2026, 1, 30),
        added_by=social_worker,
    )
    involve_paying_agencies(apps=apps, apply=True)
    assert Involvement.objects.filter(agency=hampshire_sen).count() == 2
    assert Involvement.objects.filter(agency=hampshire_sen, ended_on=None).count() == 1


def test_an_ended_package_involves_nobody(old_package, hampshire_sen, council_finance):
    old_package.status = PackageStatus.ENDED
    old_package.ended_on = D(2026, 3, 2)
    old_package.end_reason = "The placement ended."
    old_package.ended_by = council_finance
    old_package.save()
    assert involve_paying_agencies(apps=apps, apply=True).involved == []
    assert not Involvement.objects.filter(agency=hampshire_sen).exists()


def test_the_migration_involves_them_the_same_way(old_package, hampshire_sen):
    """With the models as they stood at the migration (its historical registry), not today's."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    state = MigrationLoader(connection).project_state(("funding", "0005_involve_paying_agencies"))
    migration = importlib.import_module("funding.migrations.0005_involve_paying_agencies")
    migration.involve_paying_agencies(state.apps, None)
    assert Involvement.objects.get(agency=hampshire_sen).reason == REASON.format(package=old_package.pk)


@pytest.mark.parametrize("kind", [k.value for k in AgencyKind])
def test_the_restated_role_rule_agrees_with_the_access_request_one(kind):
    agency = AgencyFactory.build(kind=kind)
    assert role_for_kind(kind) == _default_involvement_role(agency)
