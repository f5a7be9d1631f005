"""Deciding a request to see a child's record asks its note under the answer (issue 16, GOV.UK
conditional reveals): why, under "Decline the request" (required there: the service's rule, its
words), and an optional note under "Involve their agency". Both are in the page without JavaScript,
and what was typed under the answer not chosen is not kept."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casework import services
from casework.models import AccessRequestStatus
from casework.services.access_requests import DECLINE_NOTE_NEEDED

pytestmark = pytest.mark.django_db


def _block(page: str, option_id: str) -> str:
    start = page.index(f'id="conditional-{option_id}"')
    return page[page.rindex("<div", 0, start) : page.index("\n      </div>", start)]


@pytest.fixture
def asked(outsider, child):
    return services.access_request_create(actor=outsider, nhs_number=child.nhs_number, reason="Moved")


@pytest.fixture
def url(asked):
    return reverse("children:access_request_decide", args=[asked.pk])


def test_each_answer_asks_its_note_under_it(client, team_manager, url):
    client.force_login(team_manager)
    page = client.get(url).content.decode()

    grant, decline = _block(page, "id_decision_0"), _block(page, "id_decision_1")
    assert 'data-aria-controls="conditional-id_decision_0"' in page
    assert 'data-aria-controls="conditional-id_decision_1"' in page
    assert 'data-module="govuk-radios"' in page
    # Hidden only by GOV.UK Frontend's script: without it both notes are shown.
    assert "govuk-radios__conditional--hidden" in grant and "govuk-radios__conditional--hidden" in decline
    assert 'name="grant_note"' in grant and "Note to the requester (optional)" in grant
    assert 'name="note"' in decline and "Why you are declining the request</label>" in decline
    assert page.count('name="note"') == 1 and page.count('name="grant_note"') == 1


def test_a_decline_without_a_reason_is_refused_under_decline(client, team_manager, url, asked):
    client.force_login(team_manager)
    response = client.post(url, {"decision": "decline", "note": "", "grant_note": "Typed first"})
    assert response.status_code == 200
    page = response.content.decode()
    block = _block(page, "id_decision_1")
    assert 'class="govuk-radios__conditional" id="conditional-id_decision_1"' in page  # open
    assert 'id="id_note-error"' in block and DECLINE_NOTE_NEEDED in block
    assert response.context["form"].errors == {"note": [DECLINE_NOTE_NEEDED]}
    asked.refresh_from_db()
    assert asked.status == AccessRequestStatus.PENDING


def test_a_decline_keeps_its_reason(client, team_manager, url, asked):
    client.force_login(team_manager)
    done = client.post(url, {"decision": "decline", "note": "Not known to us", "grant_note": "Dropped"})
    assert done.status_code == 302
    asked.refresh_from_db()
    assert (asked.status, asked.decision_note) == (AccessRequestStatus.DECLINED, "Not known to us")


def test_a_grant_needs_no_reason_and_drops_the_hidden_one(client, team_manager, url, asked):
    client.force_login(team_manager)
    done = client.post(url, {"decision": "grant", "note": "Typed under Decline"})
    assert done.status_code == 302
    asked.refresh_from_db()
    assert (asked.status, asked.decision_note) == (AccessRequestStatus.GRANTED, "")


def test_a_grant_keeps_its_own_note(client, team_manager, url, asked):
    client.force_login(team_manager)
    client.post(url, {"decision": "grant", "grant_note": "Shared for the move"})
    asked.refresh_from_db()
    assert asked.decision_note == "Shared for the move"
