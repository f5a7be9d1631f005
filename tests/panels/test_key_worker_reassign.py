"""Giving a leaver's decisions, as key worker, to a colleague (panels/services/key_workers.py,
issue 16: the team view of My work). The decision in force (or in draft) names the receiver; a
superseded one and one whose review has started keep who they named; the receiver is told and
sees the review on My work; each decision is audited; another agency's manager or person moves
nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from casework.access import NotAllowed
from casework.models import AuditEvent, Notification, Role
from casework.my_work import my_work_items
from casework.team import registered_reassigners
from panels.models import Decision
from panels.services.key_workers import key_worker_decisions_reassign
from tests.factories import UserFactory, agenda_item_for, signed_decision_for
from tests.panels.conftest import *  # noqa: F403  (IRAP, its meetings, the clock)
from tests.worlds import ON_IRAP_AGENDA, amelia_on_irap_agenda, stand_in_on_the_panels_clock

# Amelia's submitted referral on the IRAP meeting's agenda, with the panel and the people, built
# once for the module (tests/worlds.py): each test starts from it in its own savepoint.
stand_in_on_the_panels_clock(globals(), amelia_on_irap_agenda, ON_IRAP_AGENDA)


D = dt.date


@pytest.fixture
def decision(item, panel_chair, hampshire, social_worker):
    """IRAP's signed decision on Amelia's referral, naming Sam as key worker, review on 20 March."""
    return signed_decision_for(
        item, chair=panel_chair, lead_agency=hampshire, key_worker=social_worker, review_date=D(2026, 3, 20)
    )


def test_the_receiver_becomes_key_worker_and_is_told(
    decision,
    make_submitted,
    another_child,
    irap_meeting,
    panel_admin,
    panel_chair,
    team_manager,
    social_worker,
    colleague,
):
    earlier_item = agenda_item_for(
        referral=make_submitted(child=another_child), meeting=irap_meeting, actor=panel_admin
    )
    superseded = signed_decision_for(
        earlier_item, chair=panel_chair, key_worker=social_worker, status="superseded"
    )
    (moved,) = key_worker_decisions_reassign(actor=team_manager, person=social_worker, receiver=colleague)
    assert moved.pk == decision.pk
    assert Decision.objects.get(pk=decision.pk).key_worker == colleague
    assert Decision.objects.get(pk=superseded.pk).key_worker == social_worker  # history stays
    event = AuditEvent.objects.get(action="decision.key_worker_changed")
    assert event.actor == team_manager and event.object_id == str(decision.pk)
    assert event.changes == {"key_worker": [social_worker.pk, colleague.pk]}
    assert Notification.objects.filter(
        user=colleague, subject="Tara Bell made you key worker of 1 panel decision of Sam Okafor"
    ).exists()
    assert "panels.review_due" in {i.kind for i in my_work_items(user=colleague)}


def test_the_team_page_offers_it(client, decision, team_manager, social_worker, colleague):
    assert "key_worker" in registered_reassigners()
    client.force_login(team_manager)
    (row,) = [
        r for r in client.get(reverse("my_work_team")).context["with_work"] if r.person == social_worker
    ]
    assert ("Panel decisions in force or in draft, as key worker", 1) in row.to_give
    response = client.post(
        reverse("my_work_team_give", args=[social_worker.pk]), {"what": "key_worker", "to": colleague.pk}
    )
    assert response.status_code == 302
    assert Decision.objects.get(pk=decision.pk).key_worker == colleague


def test_nothing_left_to_give_is_refused(decision, team_manager, social_worker, colleague):
    key_worker_decisions_reassign(actor=team_manager, person=social_worker, receiver=colleague)
    with pytest.raises(ValidationError) as refused:
        key_worker_decisions_reassign(actor=team_manager, person=social_worker, receiver=colleague)
    assert refused.value.message_dict == {"to": ["Sam Okafor is key worker of no open decisions to give"]}
    assert AuditEvent.objects.filter(action="decision.key_worker_changed").count() == 1


def test_an_outsider_moves_nothing(
    client, decision, outsider, team_manager, social_worker, colleague, leicester
):
    with pytest.raises(NotAllowed):
        key_worker_decisions_reassign(actor=outsider, person=social_worker, receiver=colleague)
    stranger = UserFactory(agency=leicester, roles=[Role.SOCIAL_WORKER])
    with pytest.raises(NotAllowed):
        key_worker_decisions_reassign(actor=team_manager, person=social_worker, receiver=stranger)
    client.force_login(outsider)
    url = reverse("my_work_team_give", args=[social_worker.pk])
    assert client.post(url, {"what": "key_worker", "to": outsider.pk}).status_code == 404
    assert Decision.objects.get(pk=decision.pk).key_worker == social_worker
    assert not AuditEvent.objects.filter(action="decision.key_worker_changed").exists()


def test_a_leaver_as_receiver_is_refused(decision, team_manager, social_worker, colleague):
    colleague.is_active = False
    colleague.save(update_fields=["is_active"])
    with pytest.raises(NotAllowed):
        key_worker_decisions_reassign(actor=team_manager, person=social_worker, receiver=colleague)
    assert Decision.objects.get(pk=decision.pk).key_worker == social_worker
