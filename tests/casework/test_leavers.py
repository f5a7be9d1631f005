"""Leavers (issue 20, "Joiners, movers, leavers"): closing an account ends the person's panel seats and
papers at once and tells their managers what work is left to give to someone else; the daily job
closes accounts nobody has signed in to for ACCOUNT_CLOSE_AFTER_DAYS (casework.leavers)."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework import leavers
from casework.access import grant_child_view
from casework.administration import services
from casework.models import AuditEvent, ChildUserObjectPermission, Notification, Role, User
from casework.tasks import close_dormant_accounts
from panels.models import Membership, PapersGrant
from tests.factories import (
    ActionFactory,
    ChildFactory,
    MeetingFactory,
    PanelFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def seated(social_worker, hampshire, panel):
    """Sam sits on the IRAP for the council, holds the papers of its next meeting, and owns an open
    action from its log; a seat on another panel starts next month."""
    seat = Membership.objects.create(
        panel=panel,
        person=social_worker,
        agency=hampshire,
        role="member",
        starts_on=timezone.localdate() - dt.timedelta(days=100),
    )
    later = PanelFactory(name="Hampshire Joint Funding Panel", kind="jfp", host_agency=hampshire)
    Membership.objects.create(
        panel=later,
        person=social_worker,
        agency=hampshire,
        role="member",
        starts_on=timezone.localdate() + dt.timedelta(days=30),
    )
    meeting = MeetingFactory(panel=panel, date=timezone.localdate() + dt.timedelta(days=10))
    PapersGrant.objects.create(
        meeting=meeting, person=social_worker, reason="member", starts_at=timezone.now()
    )
    ActionFactory(panel=panel, owners=[social_worker])
    return seat


def test_the_page_that_asks_says_what_ends_and_what_is_left(
    hants_admin, social_worker, team_manager, service_manager, seated
):
    page = html.unescape(
        _client(hants_admin)
        .get(reverse("administration:person_deactivate", args=[social_worker.pk]))
        .content.decode()
    )
    assert "Panel seats end now: 2." in page
    assert "Meeting papers end now: 1." in page
    assert (
        "Still Sam Okafor's, for someone else to finish: open actions from the action log, as owner (1)."
        in page
    )
    assert f"{team_manager.full_name}" in page and f"{service_manager.full_name}" in page


def test_closing_ends_seats_and_papers_and_tells_the_managers(
    hants_admin, social_worker, team_manager, service_manager, elsewhere, outsider, seated, panel
):
    response = _client(hants_admin).post(reverse("administration:person_deactivate", args=[social_worker.pk]))
    assert response.status_code == 302

    # The seat held until yesterday (a seat's last day counts: not today's meeting); the one that had
    # not begun is gone, with a line in the audit saying so.
    today = timezone.localdate()
    assert list(Membership.objects.filter(person=social_worker).values_list("ends_on", flat=True)) == [
        today - dt.timedelta(days=1)
    ]
    assert not Membership.objects.current().filter(person=social_worker).exists()
    assert not Membership.objects.current(today + dt.timedelta(days=40)).filter(person=social_worker).exists()
    assert not PapersGrant.objects.filter(person=social_worker, revoked_at__isnull=True).exists()
    ended = AuditEvent.objects.get(action="panel.member_ended", actor=hants_admin)
    assert ended.changes["person"] == [social_worker.pk, None]
    removed = AuditEvent.objects.get(action="panel.member_removed", actor=hants_admin)
    assert removed.changes["reason"] == [None, "left before the seat began"]
    assert AuditEvent.objects.get(action="panel.papers_revoked", actor=hants_admin).changes["person"] == [
        social_worker.pk,
        None,
    ]

    told = Notification.objects.filter(subject="Sam Okafor has left: their work needs someone else")
    assert sorted(n.user_id for n in told) == sorted([team_manager.pk, service_manager.pk])
    notice = told.first()
    assert notice.url == reverse("my_work_team_person", args=[social_worker.pk])
    assert "Open actions from the action log, as owner: 1" in notice.body
    # Nobody else hears: not a colleague outside the team, not another partnership.
    assert not Notification.objects.filter(
        user__in=[elsewhere, outsider], subject__contains="has left"
    ).exists()
    # The manager can open the link and give the work away (the team view's own tests cover giving).
    assert _client(team_manager).get(notice.url).status_code == 200


def test_closing_someone_with_nothing_tells_nobody(hants_admin, colleague, team_manager):
    services.person_deactivate(actor=hants_admin, person=colleague)
    assert not Notification.objects.filter(subject__contains="has left").exists()


def _quiet(person: User, days: int, *, signed_in: bool = True) -> User:
    when = timezone.now() - dt.timedelta(days=days)
    if signed_in:
        User.objects.filter(pk=person.pk).update(last_login=when, date_joined=when - dt.timedelta(days=1))
    else:
        User.objects.filter(pk=person.pk).update(last_login=None, date_joined=when)
    return person


def test_the_daily_job_closes_accounts_quiet_for_the_setting_s_days(
    settings, hants_admin, social_worker, colleague, team_manager, elsewhere, hampshire, seated
):
    settings.ACCOUNT_CLOSE_AFTER_DAYS = 90
    _quiet(social_worker, 91)  # signed in 91 days ago: closed
    _quiet(colleague, 89)  # 89 days: stays
    _quiet(elsewhere, 91, signed_in=False)  # invited 91 days ago, never signed in: closed
    robot = _quiet(UserFactory(agency=hampshire, is_service_account=True, roles=[Role.SOCIAL_WORKER]), 400)
    _quiet(hants_admin, 10)
    _quiet(team_manager, 1)

    assert close_dormant_accounts() == 2
    closed = set(User.objects.filter(is_active=False).values_list("pk", flat=True))
    assert closed == {social_worker.pk, elsewhere.pk}
    assert robot.pk not in closed
    event = AuditEvent.objects.get(action="user.deactivated", object_id=str(social_worker.pk))
    assert event.actor is None and event.changes["reason"] == [None, "no sign-in for 90 days"]
    # What a closing does, as when an administrator closes: seats end, managers hear of the work.
    assert not Membership.objects.current().filter(person=social_worker).exists()
    assert Notification.objects.filter(
        user=team_manager, subject="Sam Okafor has left: their work needs someone else"
    )
    # The partnership's administrators are told, with a link to reopen.
    told = Notification.objects.get(user=hants_admin, subject="Account closed: Sam Okafor")
    assert told.url == reverse("administration:person", args=[social_worker.pk])

    # Safe to run twice: nothing more closes, nothing is said twice.
    assert close_dormant_accounts() == 0
    assert AuditEvent.objects.filter(action="user.deactivated").count() == 2


def test_a_reopened_account_is_not_closed_again_that_night(settings, hants_admin, social_worker):
    settings.ACCOUNT_CLOSE_AFTER_DAYS = 90
    _quiet(social_worker, 200)
    assert close_dormant_accounts() == 1
    services.person_reactivate(actor=hants_admin, person=social_worker)
    assert close_dormant_accounts() == 0
    social_worker.refresh_from_db()
    assert social_worker.is_active and social_worker.reopened_at is not None
    # Reopened long ago and still never used: closed again.
    User.objects.filter(pk=social_worker.pk).update(reopened_at=timezone.now() - dt.timedelta(days=100))
    assert close_dormant_accounts() == 1


def test_the_setting_at_zero_closes_nobody(settings, social_worker):
    settings.ACCOUNT_CLOSE_AFTER_DAYS = 0
    _quiet(social_worker, 1000)
    assert not leavers.dormant_accounts().exists()
    assert close_dormant_accounts() == 0


def test_the_job_is_on_the_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["close-dormant-accounts"]
    assert entry["task"] == "casework.tasks.close_dormant_accounts"


def test_another_partnership_s_administrator_cannot_close_or_see_what_they_hold(
    leics_admin, social_worker, seated
):
    client = _client(leics_admin)
    url = reverse("administration:person_deactivate", args=[social_worker.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    social_worker.refresh_from_db()
    assert social_worker.is_active
    assert Membership.objects.current().filter(person=social_worker).exists()


# --- Movers ------------------------------------------------------------------------------------


def test_a_mover_to_another_agency_loses_what_was_theirs_for_the_old_one(
    hants_admin, social_worker, hampshire, hiow_icb, panel
):
    """Sam was let see a child of another agency and given a meeting's papers as lead member; seats
    for the council ended first (person_move's own rule). Moving to the ICB, both go at once; their
    history stays."""

    other = ChildFactory(owning_agency=hiow_icb)
    grant_child_view(user=social_worker, child=other)
    meeting = MeetingFactory(panel=panel, date=timezone.localdate() + dt.timedelta(days=10))
    PapersGrant.objects.create(
        meeting=meeting, person=social_worker, reason="lead_member", starts_at=timezone.now()
    )

    services.person_move(actor=hants_admin, person=social_worker, agency=hiow_icb, teams=[])

    social_worker.refresh_from_db()
    assert social_worker.agency == hiow_icb and not social_worker.holds_child_grants
    assert not ChildUserObjectPermission.objects.filter(user=social_worker).exists()
    assert not PapersGrant.objects.filter(person=social_worker, revoked_at__isnull=True).exists()
    ended = AuditEvent.objects.get(action="user.child_grants_ended", object_id=str(social_worker.pk))
    assert ended.actor == hants_admin and ended.changes["children"] == [[other.pk], None]
    assert AuditEvent.objects.filter(action="panel.papers_revoked", actor=hants_admin).count() == 1


def test_a_move_between_teams_keeps_everything(hants_admin, social_worker, hampshire, hiow_icb, panel):

    other = ChildFactory(owning_agency=hiow_icb)
    grant_child_view(user=social_worker, child=other)
    meeting = MeetingFactory(panel=panel, date=timezone.localdate() + dt.timedelta(days=10))
    PapersGrant.objects.create(
        meeting=meeting, person=social_worker, reason="member", starts_at=timezone.now()
    )

    services.person_move(
        actor=hants_admin, person=social_worker, agency=hampshire, teams=[TeamFactory(agency=hampshire)]
    )

    social_worker.refresh_from_db()
    assert social_worker.holds_child_grants
    assert PapersGrant.objects.filter(person=social_worker, revoked_at__isnull=True).count() == 1
    assert not AuditEvent.objects.filter(
        action__in=["user.child_grants_ended", "panel.papers_revoked"]
    ).exists()
