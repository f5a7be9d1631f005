"""The demo loader: realistic, synthetic, idempotent, and never in production.

The demo as loaded at midday is built once for the module (tests/worlds.py) and read by the tests
that check what it holds; the tests of the hour-by-hour rule load it on their own clocks, first, on
an empty database."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from casework.models import AuditEvent, Child, User
from casework.nhs import nhs_number_problem
from funding.models import FundingPackage, ShareLine, ShareStatus
from panels.models import (
    Action,
    ActionUpdate,
    AgencyRecommendation,
    AgendaItem,
    Attendance,
    Decision,
    DecisionLetter,
    Declaration,
    Meeting,
    Minutes,
    MinutesStatus,
    Panel,
)
from pathways.models import CaseKind, MDTMeeting, PathwayCase
from referrals.models import Referral, Status
from tests.demo_clock import at_midday_today
from tests.worlds import built_once, fresh

IRAP = "Hampshire Integrated Resource Allocation Panel"


def _counts() -> dict[str, int]:
    models = (
        User,
        Child,
        Referral,
        AuditEvent,
        Meeting,
        AgendaItem,
        Attendance,
        Declaration,
        Decision,
        AgencyRecommendation,
        Minutes,
        DecisionLetter,
        Action,
        ActionUpdate,
        FundingPackage,
        PathwayCase,
        MDTMeeting,
    )
    counts = {m.__name__: m.objects.count() for m in models}
    counts["approved shares"] = ShareLine.objects.filter(status=ShareStatus.APPROVED).count()
    return counts


@pytest.fixture
def midday():
    """The full demo (today's meeting included) is loaded at midday; the hour-by-hour rule is
    tested on its own below."""
    with at_midday_today():
        yield


@pytest.mark.parametrize(("clock", "held"), [("00:02", True), ("11:00", True), ("23:57", False)])
def test_todays_meeting_is_in_the_demo_whenever_one_fits_before_midnight(db, private_storage, clock, held):
    """Loaded a moment before midnight the demo leaves today's meeting out rather than fake the
    clock; tests that need it load the demo at midday (tests/demo_clock.py). First in the module:
    each load starts from an empty database, before the module's demo below is built."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    import time_machine

    assert not Panel.objects.exists(), "the module's demo is loaded already: this test must run first"
    at = dt.datetime.fromisoformat(f"2026-12-07 {clock}").replace(tzinfo=ZoneInfo("Europe/London"))
    with time_machine.travel(at, tick=False):
        call_command("seed_demo", "--no-history")
        assert Meeting.objects.filter(panel__name=IRAP, date=at.date()).exists() is held


def _seed_at_midday() -> dict:
    out = io.StringIO()
    with at_midday_today():
        call_command("seed_demo", "--no-history", stdout=out)
    return {"out": out.getvalue(), "counts": _counts()}


@pytest.fixture(scope="module")
def _demo(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[dict]:
    yield from built_once(_seed_at_midday, django_db_blocker, tmp_path_factory)


@pytest.fixture
def demo(_demo, db) -> dict:
    """`seed_demo --no-history` run at midday: what it printed and the rows it made. Its stored
    files stay in the module's folder, so the tests using it ask for no `private_storage`."""
    return fresh(_demo)


def test_seed_demo_loads_everything_once(demo, midday):
    out = demo["out"]
    assert "social.worker@hants.demo.gov.uk" in out and "demo-casework-2026" in out
    counts = _counts()
    assert counts == demo["counts"]
    assert counts["Child"] == 40 and counts["Referral"] == 10
    assert all(
        nhs_number_problem(n) is None and n.startswith("999")
        for n in Child.objects.values_list("nhs_number", flat=True)
    )
    # Every role has a demo person in each partnership.
    for partnership in ("Hampshire and Isle of Wight", "Leicester, Leicestershire and Rutland"):
        roles = {r for u in User.objects.filter(agency__partnership=partnership) for r in u.roles}
        assert len(roles) == 10, (partnership, roles)

    call_command("seed_demo", "--no-history")
    assert _counts() == counts


def test_demo_meetings_show_every_capability(demo, client, midday):
    today = timezone.localdate()
    panel = Panel.objects.get(name=IRAP)
    assert sorted(panel.quorum_agencies.values_list("kind", flat=True)) == ["childrens_services", "icb"]

    held = Meeting.objects.get(panel=panel, date=today)
    assert held.circulated_at is not None
    assert sorted(Decision.objects.filter(agenda_item__meeting=held).values_list("outcome", flat=True)) == [
        "agreed_with_conditions",
        "deferred",
        "returned",
    ]
    agreed = Decision.objects.get(agenda_item__meeting=held, outcome="agreed_with_conditions")
    assert agreed.shares.count() == 3
    recommendation = AgencyRecommendation.objects.get(decision=agreed)
    assert recommendation.agency.name == "Hampshire County Council SEN Service"
    package = FundingPackage.objects.get(decision=agreed)
    statuses = sorted(package.share_lines.values_list("status", flat=True))
    assert statuses == ["approved", "awaiting", "awaiting"]
    assert Attendance.objects.filter(meeting=held, status="apologies").count() == 1
    assert Declaration.objects.filter(agenda_item__meeting=held).count() == 1
    assert Minutes.objects.get(meeting=held).status == MinutesStatus.CIRCULATED
    assert (
        DecisionLetter.objects.filter(decision__agenda_item__meeting=held, sent_at__isnull=False).count() == 3
    )
    actions = Action.objects.filter(panel=panel)
    assert actions.filter(status="closed").count() == 1
    assert actions.filter(status="open", due_on__lt=today).count() == 1

    upcoming = (
        Meeting.objects.filter(panel=panel, date__gt=today, status="scheduled").order_by("date").first()
    )
    assert upcoming.circulated_at is None
    assert upcoming.agenda_items.filter(referral__isnull=False).count() == 2
    assert upcoming.agenda_items.filter(kind="action_log").exists()
    waiting = upcoming.referrals.filter(status=Status.SUBMITTED)
    assert [(r.is_late_paper, r.late_accepted_by_id) for r in waiting] == [(True, None)]

    kinds = set(PathwayCase.objects.values_list("kind", flat=True))
    assert kinds == {k.value for k in CaseKind}

    admin = User.objects.get(email="panel.admin@hants.demo.gov.uk")
    chair = User.objects.get(email="panel.chair@hants.demo.gov.uk")
    council_finance = User.objects.get(email="finance@hants.demo.gov.uk")
    nurse = User.objects.get(email="nurse.assessor@hiow.demo.nhs.uk")
    sen_finance = User.objects.get(email="sen.finance@hants-sen.demo.gov.uk")
    cc_case = PathwayCase.objects.get(kind=CaseKind.CONTINUING_CARE, child__owning_agency=admin.agency)
    pages = [
        (admin, reverse("panels:meeting", args=[held.pk])),
        (admin, reverse("panels:meeting", args=[upcoming.pk])),
        (admin, reverse("panels:agenda", args=[upcoming.pk])),
        (chair, reverse("panels:run_meeting", args=[held.pk])),
        (chair, reverse("panels:minutes", args=[held.pk])),
        (admin, reverse("panels:letters", args=[held.pk])),
        (admin, reverse("panels:actions", args=[panel.pk])),
        (admin, reverse("panels:tracker", args=[panel.pk])),
        (council_finance, reverse("funding:tray")),
        (sen_finance, reverse("funding:tray")),
        (council_finance, reverse("funding:detail", args=[package.pk])),
        (sen_finance, reverse("panels:recommendations")),
        (nurse, reverse("pathways:case", args=[cc_case.pk])),
    ]
    # The nurse's own partnership's cases (Leicester, Leicestershire and Rutland has an IFR too).
    for case in PathwayCase.objects.exclude(pk=cc_case.pk).filter(
        child__owning_agency__partnership=nurse.agency.partnership
    ):
        pages.append((nurse, reverse("pathways:case", args=[case.pk])))
    for user, url in pages:
        client.force_login(user)
        assert client.get(url).status_code == 200, (user.email, url)


def test_seed_demo_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
