"""The quarterly access review (issue 20, "Joiners, movers, leavers"): each manager confirms every
quarter that the people they manage still need their roles and limits, or asks for removal, which
the partnership administrators are told of; decisions are kept as made and audited
(casework.access_reviews)."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse

from casework import access_reviews
from casework.administration import services as admin_services
from casework.models import AccessReview, AuditEvent, Notification, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("my_work_team_access_review")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _person(pk) -> str:
    return reverse("my_work_team_access", args=[pk])


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        (dt.date(2026, 1, 1), dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        (dt.date(2026, 6, 30), dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
        (dt.date(2026, 9, 15), dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        (dt.date(2026, 12, 31), dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
    ],
)
def test_quarters_are_calendar_quarters(day, first, last):
    assert access_reviews.quarter_of(day) == (first, last)


def test_the_team_manager_lists_their_team_with_roles_limits_and_last_sign_in(
    team_manager,
    social_worker,
    colleague,
    elsewhere,
    hants_admin,
    hampshire_team,
    django_assert_max_num_queries,
):
    # 20 more people in Tara's team, one a finance approver with a limit; a closed account is not listed.
    for n in range(20):
        UserFactory(
            full_name=f"Team Person {n:02}", agency=team_manager.agency, roles=[Role.SOCIAL_WORKER]
        ).teams.add(hampshire_team)
    limited = UserFactory(
        full_name="Fay Limit",
        agency=team_manager.agency,
        roles=[Role.FINANCE_APPROVER],
        delegated_limit=Decimal("50000.00"),
    )
    limited.teams.add(hampshire_team)
    admin_services.person_deactivate(actor=hants_admin, person=colleague)

    client = _client(team_manager)
    # Session and user, the person's own checks, then people, their teams and the decisions (casework
    # .access_reviews.review_rows), the header's counts: fixed, whatever the number of people.
    with django_assert_max_num_queries(16):
        response = client.get(LIST)
    assert response.status_code == 200
    page = _page(response)
    assert "Sam Okafor" in page and "Fay Limit" in page and "£50,000.00 a year" in page
    assert "Cara Vale" not in page  # closed
    assert "Ned Far" not in page  # not in Tara's team
    assert "22 of 22" in page  # Sam, Fay and the 20


def test_keeping_and_asking_for_removal(
    team_manager, social_worker, hants_admin, leics_admin, hampshire_team
):
    client = _client(team_manager)
    url = _person(social_worker.pk)
    assert client.get(url).status_code == 200

    # Removal with no reason: the error is beside the field and the choice is kept.
    response = client.post(url, {"decision": "remove", "reason": ""})
    assert response.status_code == 200
    page = _page(response)
    assert "Say why they no longer need this access" in page
    assert 'value="remove" checked' in page
    assert not AccessReview.objects.exists()

    assert client.post(url, {"decision": "keep"}).status_code == 302
    review = AccessReview.objects.get()
    assert (review.decision, review.decided_by, review.roles) == ("keep", team_manager, [Role.SOCIAL_WORKER])
    assert "Confirmed" in _page(client.get(LIST))

    # Changed the same quarter: a new row, the latest counts; the administrators are told.
    assert client.post(url, {"decision": "remove", "reason": "Moved to the adoption team"}).status_code == 302
    assert AccessReview.objects.count() == 2
    assert "Removal asked" in _page(client.get(LIST))
    told = Notification.objects.get(subject="Access review: remove Sam Okafor's access")
    assert told.user == hants_admin and "Moved to the adoption team" in told.body
    assert told.url == reverse("administration:person", args=[social_worker.pk])
    assert not Notification.objects.filter(user=leics_admin).exists()
    events = AuditEvent.objects.filter(action="user.access_reviewed", object_id=str(social_worker.pk))
    assert [e.changes["decision"][1] for e in events.order_by("pk")] == ["keep", "remove"]
    assert all(e.actor == team_manager for e in events)


def test_decisions_are_kept_as_made(team_manager, social_worker):
    review = access_reviews.access_review_record(actor=team_manager, person=social_worker, decision="keep")
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessReview.objects.filter(pk=review.pk).update(decision="remove")
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessReview.objects.filter(pk=review.pk).delete()


def test_the_administrators_see_each_agency_s_progress_and_the_removals(
    hants_admin, leics_admin, team_manager, social_worker, hampshire, hiow_icb, leicester
):
    access_reviews.access_review_record(
        actor=team_manager, person=social_worker, decision="remove", reason="Left the service in November"
    )
    page = _page(_client(hants_admin).get(reverse("administration:access_reviews")))
    assert hampshire.name in page and hiow_icb.name in page
    assert leicester.name not in page
    assert "Sam Okafor" in page and "Left the service in November" in page
    # Leicester's administrator sees Leicester's agencies only, and no removal of Hampshire's.
    other = _page(_client(leics_admin).get(reverse("administration:access_reviews")))
    assert leicester.name in other and hampshire.name not in other and "Sam Okafor" not in other
    assert "None this quarter." in other


def test_only_managers_review_and_only_their_own_people(
    social_worker, team_manager, service_manager, elsewhere, outsider, leicester, hants_admin, colleague
):
    # A social worker has no review to do; an administrator administers accounts, not reviews them.
    for person in (social_worker, hants_admin):
        assert _client(person).get(LIST).status_code == 404
        assert _client(person).post(_person(colleague.pk), {"decision": "keep"}).status_code == 404
    # A team manager reviews their team only; the service manager, the whole agency.
    tara = _client(team_manager)
    assert tara.get(_person(elsewhere.pk)).status_code == 404
    assert tara.post(_person(elsewhere.pk), {"decision": "keep"}).status_code == 404
    assert _client(service_manager).get(_person(elsewhere.pk)).status_code == 200
    # Another partnership's manager: the same 404 as a missing person.
    leics_manager = UserFactory(agency=leicester, roles=[Role.SERVICE_MANAGER])
    assert _client(leics_manager).get(_person(social_worker.pk)).status_code == 404
    assert _client(leics_manager).get(_person(999_999)).status_code == 404
    assert "Sam Okafor" not in _page(_client(leics_manager).get(LIST))
    # A closed account has nothing to review.
    admin_services.person_deactivate(actor=hants_admin, person=colleague)
    assert tara.get(_person(colleague.pk)).status_code == 404
    assert not AccessReview.objects.exists()


# --- The reminder ---------------------------------------------------------------------------------


def test_managers_with_people_to_review_are_reminded_in_the_quarter_s_last_working_days(
    settings, team_manager, service_manager, social_worker, colleague, elsewhere
):
    settings.ACCESS_REVIEW_REMINDER_WORKING_DAYS = 10
    # 31 December 2026 is a Thursday; ten working days before it (Christmas Day and Boxing Day's
    # substitute, Monday 28 December, are bank holidays) is Tuesday 15 December.
    assert access_reviews.access_reviews_due(dt.date(2026, 12, 14)) == []
    dues = {due.users[0].pk: due for due in access_reviews.access_reviews_due(dt.date(2026, 12, 15))}
    # Tara reviews Sam and Cara; Sunita, the service manager, everyone of the council but herself.
    assert dues[team_manager.pk].subject == "Access review: 2 people to review by 31 December 2026"
    assert dues[service_manager.pk].subject.startswith("Access review: 4 people")
    assert dues[team_manager.pk].url == LIST
    assert dues[team_manager.pk].subject_key == "access-review:2026-10-01"

    # Once Tara has reviewed her two, she is not reminded; the service manager's count falls.
    with transaction.atomic():
        for person in (social_worker, colleague):
            AccessReview.objects.create(
                agency=person.agency,
                person=person,
                quarter_start=dt.date(2026, 10, 1),
                decision="keep",
                decided_by=team_manager,
            )
    dues = {due.users[0].pk: due for due in access_reviews.access_reviews_due(dt.date(2026, 12, 15))}
    assert team_manager.pk not in dues
    assert dues[service_manager.pk].subject.startswith("Access review: 2 people")

    # Sent once a quarter and person, by its own daily job (not the deadline sweeps).
    assert access_reviews.remind_access_reviews(today=dt.date(2026, 12, 15)) == 1
    assert access_reviews.remind_access_reviews(today=dt.date(2026, 12, 16)) == 0
    assert (
        Notification.objects.filter(
            user=service_manager, subject__startswith="Access review: 2 people"
        ).count()
        == 1
    )
    assert (
        settings.CELERY_BEAT_SCHEDULE["access-review-reminders"]["task"]
        == "casework.tasks.remind_access_reviews"
    )
