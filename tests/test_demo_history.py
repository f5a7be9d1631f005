"""The demo's year of history (config/demo_history.py, issue 16 "A demo that shows a real month"):
loaded once for the module (it is the slow part of seed_demo) and rolled back after it. Each
partnership has about 150 referrals, a year of held meetings with signed decisions, packages with
their shares, some recommendations still open and some actions overdue; nothing crosses from one
partnership to the other; the rules the services keep hold in the rows; a second load adds nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import F, Q, Sum
from django.test import Client, override_settings
from django.utils import timezone

from tests.demo_clock import while_a_meeting_fits

pytestmark = pytest.mark.django_db

HIOW = "Hampshire and Isle of Wight"
LLR = "Leicester, Leicestershire and Rutland"


def _counts() -> dict[str, int]:
    from casework.models import AuditEvent, Child
    from funding.models import FundingPackage, ShareLine
    from panels.models import Action, AgencyRecommendation, Decision, Meeting
    from referrals.models import Referral

    return {
        model.__name__: model.objects.count()
        for model in (
            AuditEvent,
            Child,
            Referral,
            Meeting,
            Decision,
            AgencyRecommendation,
            FundingPackage,
            ShareLine,
            Action,
        )
    }


@pytest.fixture(scope="module")
def history(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[dict]:
    from config.demo import load_demo

    files = override_settings(PRIVATE_STORAGE_ROOT=tmp_path_factory.mktemp("private"))
    with files, django_db_blocker.unblock(), transaction.atomic():
        with while_a_meeting_fits():
            made = load_demo(history=True)
        yield {"made": made, "counts": _counts()}
        transaction.set_rollback(True)


@pytest.mark.parametrize("partnership", [HIOW, LLR])
def test_each_partnership_has_a_year_at_a_working_volume(history, partnership):
    from funding.models import FundingPackage, PackageStatus, ShareLine, ShareStatus
    from panels.models import (
        Action,
        ActionStatus,
        AgencyRecommendation,
        Decision,
        DecisionStatus,
        Meeting,
        MeetingStatus,
        Minutes,
        RecommendationStatus,
    )
    from referrals.models import Referral, Status

    today = timezone.localdate()
    year_ago = today - dt.timedelta(days=366)
    referrals = Referral.objects.filter(child__owning_agency__partnership=partnership)
    assert 120 <= referrals.count() <= 190
    # Some in flight now, as well as the year's decided ones.
    assert referrals.filter(status=Status.DRAFT).exists()
    assert referrals.filter(
        status__in=[Status.AWAITING_TEAM_MANAGER, Status.AWAITING_SERVICE_MANAGER]
    ).exists()
    assert referrals.filter(status=Status.SUBMITTED).exists()

    held = Meeting.objects.filter(panel__partnership=partnership, status=MeetingStatus.HELD, date__lt=today)
    months = {(m.year, m.month) for m in held.values_list("date", flat=True)}
    assert len(months) >= 11, "a meeting in (nearly) every month of the year"
    assert held.filter(date__gte=year_ago).count() == held.count()

    signed = Decision.objects.filter(
        agenda_item__meeting__panel__partnership=partnership, status=DecisionStatus.SIGNED
    )
    assert signed.count() >= 100

    packages = FundingPackage.objects.filter(child__owning_agency__partnership=partnership)
    assert packages.count() >= 60
    assert packages.filter(status=PackageStatus.AGREED).count() >= 40
    assert packages.filter(status=PackageStatus.AWAITING_APPROVAL).exists()
    shares = ShareLine.objects.filter(package__in=packages)
    assert shares.filter(status=ShareStatus.APPROVED).count() >= 60
    assert shares.filter(status=ShareStatus.AWAITING).exists()

    recommendations = AgencyRecommendation.objects.filter(
        decision__agenda_item__meeting__panel__partnership=partnership
    )
    assert recommendations.filter(status=RecommendationStatus.AWAITING).exists()
    assert recommendations.filter(status=RecommendationStatus.ACCEPTED).exists()

    actions = Action.objects.filter(panel__partnership=partnership)
    assert actions.filter(status=ActionStatus.OPEN, due_on__lt=today).exists(), "some actions overdue"
    assert actions.filter(status=ActionStatus.CLOSED).count() >= 15
    assert Minutes.objects.filter(meeting__in=held).count() >= 11


def test_no_record_crosses_partnerships(history):
    from funding.models import ShareLine
    from panels.models import Action, AgencyRecommendation, AgendaItem, Attendance, DecisionShare
    from referrals.models import Referral

    assert not Referral.objects.exclude(panel__partnership=F("child__owning_agency__partnership")).exists()
    assert (
        not AgendaItem.objects.filter(referral__isnull=False)
        .exclude(meeting__panel=F("referral__panel"))
        .exists()
    )
    assert not Attendance.objects.exclude(membership__panel=F("meeting__panel")).exists()
    assert not DecisionShare.objects.exclude(
        agency__partnership=F("decision__referral__child__owning_agency__partnership")
    ).exists()
    assert not AgencyRecommendation.objects.exclude(
        agency__partnership=F("decision__agenda_item__meeting__panel__partnership")
    ).exists()
    assert not ShareLine.objects.exclude(
        agency__partnership=F("package__child__owning_agency__partnership")
    ).exists()
    assert (
        not Action.objects.filter(owners__isnull=False)
        .exclude(owners__agency__partnership=F("panel__partnership"))
        .exists()
    )


def test_the_rows_keep_the_rules(history):
    """What the services would have checked: amounts add up to the penny; a recommendation only to
    an agency that was absent; a share approved only by an approver whose limit covers its year, and
    never while its agency's recommendation is unanswered; every history referral has its trail."""
    from casework.demo import HISTORY_CASE_PREFIX
    from casework.models import AuditEvent, ProviderKind
    from funding.models import ShareLine, ShareStatus
    from panels.models import AgencyRecommendation, Attendance, Decision, RecommendationStatus
    from referrals.models import Option, Referral

    for decision in Decision.objects.filter(shares__isnull=False).distinct().prefetch_related("shares"):
        assert sum(s.amount for s in decision.shares.all()) == decision.cost
    for version_id, total in (
        ShareLine.objects.values("version_id")
        .annotate(total=Sum("amount"))
        .values_list("version_id", "total")
    ):
        assert total == ShareLine.objects.filter(version_id=version_id).first().version.cost

    for rec in AgencyRecommendation.objects.select_related("decision__agenda_item"):
        present = Attendance.objects.filter(
            meeting_id=rec.decision.agenda_item.meeting_id, membership__agency=rec.agency, status="present"
        )
        assert not present.exists(), f"a recommendation to {rec.agency} though it was there"
        if rec.status == RecommendationStatus.AWAITING:
            held = ShareLine.objects.filter(
                package__decision=rec.decision, agency=rec.agency, status=ShareStatus.APPROVED
            )
            assert not held.exists(), "a share approved while its agency's recommendation is open"

    for share in ShareLine.objects.filter(status=ShareStatus.APPROVED).select_related("decided_by"):
        assert share.decided_by.agency_id == share.agency_id
        assert share.decided_by.delegated_limit >= share.annual_amount
        assert share.decided_at <= timezone.now()

    history_referrals = Referral.objects.filter(child__case_number__startswith=HISTORY_CASE_PREFIX)
    # seeds 002 s3: a CETR before a Joint Solutions or Joint Funding Panel for an autistic child or
    # a child with a learning disability; seeds 003: none of the options is a residential placement
    # of 38 weeks or more without one.
    needing = history_referrals.filter(panel__kind__in=["jsp", "jfp"]).filter(
        Q(child__autism=True) | Q(child__learning_disability=True)
    )
    assert needing.exists()
    for referral in needing.prefetch_related("cetr_records"):
        assert any(
            c.held_on <= referral.submitted_at.date() <= c.valid_until for c in referral.cetr_records.all()
        ), referral
    assert not Option.objects.filter(
        referral__in=history_referrals, provider_kind=ProviderKind.RESIDENTIAL
    ).exists()
    ids = {str(pk) for pk in history_referrals.values_list("pk", flat=True)}
    trailed = set(
        AuditEvent.objects.filter(action="referral.created", object_type="referrals.Referral").values_list(
            "object_id", flat=True
        )
    )
    assert ids <= trailed
    assert not AuditEvent.objects.filter(at__gt=timezone.now() + dt.timedelta(minutes=1)).exists()
    assert Decimal("0") < sum(s.annual_amount for s in ShareLine.objects.all()[:50])


def test_every_agency_paying_for_a_package_is_involved_with_the_child(history):
    """docs/adr/0013: an agency given a share of a child's funding is involved with the child, so
    its finance approver can open the package; the back-fill (funding/paying_agencies.py) finds
    nothing to do."""
    from django.apps import apps
    from django.db.models import Exists, OuterRef
    from django.urls import reverse

    from casework.demo import HISTORY_CASE_PREFIX, email_for
    from casework.models import Involvement, User
    from funding.models import ShareLine
    from funding.paying_agencies import involve_paying_agencies

    involved = Involvement.objects.filter(
        child=OuterRef("package__child"), agency=OuterRef("agency"), ended_on__isnull=True
    )
    assert (
        ShareLine.objects.filter(package__child__case_number__startswith=HISTORY_CASE_PREFIX).count() >= 100
    )
    assert not ShareLine.objects.filter(~Exists(involved)).exists()
    assert involve_paying_agencies(apps=apps, apply=False).involved == []

    sen_finance = User.objects.get(email=email_for("sen.finance", "leics-sen"))
    share = ShareLine.objects.filter(
        agency=sen_finance.agency, package__child__case_number__startswith=HISTORY_CASE_PREFIX
    ).first()
    client = Client()
    client.force_login(sen_finance)
    assert client.get(reverse("funding:detail", args=[share.package_id])).status_code == 200


def test_my_work_reads_like_a_working_month(history):
    from casework.demo import email_for
    from casework.models import User

    for local, agency, expected in (
        ("panel.admin", "leics", "Letters"),
        ("social.worker", "leics", "Draft"),
        ("sen.finance", "leics-sen", "ecommendation"),
    ):
        client = Client()
        client.force_login(User.objects.get(email=email_for(local, agency)))
        response = client.get("/my-work/")
        assert response.status_code == 200
        assert expected.lower() in response.content.decode().lower(), f"{local}@{agency}: no {expected}"


def test_loading_again_adds_nothing(history):
    from config.demo import load_demo
    from config.demo_history import load_history

    assert history["made"]["history referrals"] >= 200
    assert load_history() == {}
    with while_a_meeting_fits():
        made = load_demo(history=True)
    assert not any(made.values()), made
    assert _counts() == history["counts"]
