"""One winner for every pair of actions on the same funding share (issue 13).

Two approvers (or an approver and the person answering a query) act on the same share at the same
moment, each on their own database connection, both having opened the share in the same state.
Exactly one succeeds; the other is refused (InvalidTransition, 409) with a message naming who did
what. Each race runs 20 times on a fresh package. Then the same answers through the page and the
API, one after the other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.urls import reverse

from casework.models import Role
from casework.services import InvalidTransition
from funding import services
from funding.models import FundingDispute, PackageEvent, ShareLine, ShareStatus
from tests.factories import UserFactory
from tests.funding.conftest import terms

COUNCIL = "Hampshire County Council Children's Services"
ROUNDS = 8


@pytest.fixture
def second_admin(hampshire):
    """Ada Minute, a second panel administrator: two people can answer a query."""
    return UserFactory(
        email="ada.minute@hants.example.gov.uk",
        full_name="Ada Minute",
        agency=hampshire,
        roles=[Role.PANEL_ADMINISTRATOR],
    )


def _new_share(*, actor, child, provider, hampshire, hiow_icb):
    package = services.package_create_existing(
        actor=actor,
        child=child,
        pathway="joint_package",
        terms=terms(provider, (hampshire, "percentage", "50"), (hiow_icb, "percentage", "50")),
    )
    return package.current_version.shares.get(agency__name=COUNCIL)


def race(share_pk: int, *moves: Callable) -> list[object]:
    """Each move gets the share as its own connection reads it (the page each person opened), then
    all act together. Returns each move's result or exception, in order."""
    barrier = threading.Barrier(len(moves))
    results: list[object] = [None] * len(moves)

    def run(index: int, move: Callable) -> None:
        try:
            seen = ShareLine.objects.select_related("package").get(pk=share_pk)
            barrier.wait(timeout=10)
            results[index] = move(seen)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, m)) for i, m in enumerate(moves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def one_winner(results: list[object], names: list[str]) -> tuple[int, InvalidTransition]:
    """Exactly one move succeeded and the other lost with a 409 naming the winner."""
    losers = [(i, r) for i, r in enumerate(results) if isinstance(r, Exception)]
    assert len(losers) == 1, results
    lost_index, lost = losers[0]
    assert isinstance(lost, InvalidTransition), results
    won_index = 1 - lost_index
    assert names[won_index] in str(lost), (str(lost), names)
    return won_index, lost


def approve(actor):
    return lambda seen: services.share_approve(
        actor=actor, share=seen, expected_version=1, expected_status=seen.status
    )


def dispute(actor):
    return lambda seen: services.share_dispute(
        actor=actor, share=seen, expected_version=1, expected_status=seen.status, reason="Not our duty"
    )


def query(actor):
    return lambda seen: services.share_query(
        actor=actor, share=seen, expected_version=1, expected_status=seen.status, question="Which hours?"
    )


def answer(actor):
    return lambda seen: services.share_answer_query(actor=actor, share=seen, answer="Twenty hours")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "first,second",
    [(approve, dispute), (dispute, approve), (approve, query), (query, dispute), (approve, approve)],
    ids=["approve-dispute", "dispute-approve", "approve-query", "query-dispute", "approve-approve"],
)
def test_two_approvers_acting_on_one_share_at_once_have_one_winner(
    first, second, clock, child, hampshire, hiow_icb, provider, council_finance, council_head_of_finance
):
    """Fiona and Harriet both opened the council's share while it awaited approval."""
    people = [council_finance, council_head_of_finance]
    for _ in range(ROUNDS):
        share = _new_share(
            actor=council_finance, child=child, provider=provider, hampshire=hampshire, hiow_icb=hiow_icb
        )
        results = race(share.pk, first(people[0]), second(people[1]))
        won, _lost = one_winner(results, [p.full_name for p in people])
        share.refresh_from_db()
        winning_move = (first, second)[won]
        expected = {
            approve: ShareStatus.APPROVED,
            dispute: ShareStatus.DISPUTED,
            query: ShareStatus.QUERIED,
        }[winning_move]
        assert share.status == expected
        # The loser left no trace: one event for the share, one dispute at most.
        acts = PackageEvent.objects.filter(package_id=share.package_id, agency=share.agency).exclude(
            action="created"
        )
        assert acts.count() == 1, list(acts.values_list("action", "actor__full_name"))
        assert FundingDispute.objects.filter(share=share).count() == (1 if winning_move is dispute else 0)


@pytest.mark.django_db(transaction=True)
def test_answering_a_query_while_the_approver_approves_has_one_winner(
    clock, child, hampshire, hiow_icb, provider, council_finance, panel_admin
):
    """Fiona queried, then approves anyway just as Adam answers her question."""
    for _ in range(ROUNDS):
        share = _new_share(
            actor=council_finance, child=child, provider=provider, hampshire=hampshire, hiow_icb=hiow_icb
        )
        services.share_query(actor=council_finance, share=share, expected_version=1, question="Which hours?")
        results = race(share.pk, approve(council_finance), answer(panel_admin))
        one_winner(results, [council_finance.full_name, panel_admin.full_name])
        share.refresh_from_db()
        assert share.status in (ShareStatus.APPROVED, ShareStatus.AWAITING)


@pytest.mark.django_db(transaction=True)
def test_two_people_answering_one_query_at_once_have_one_winner(
    clock, child, hampshire, hiow_icb, provider, council_finance, panel_admin, second_admin
):
    for _ in range(ROUNDS):
        share = _new_share(
            actor=council_finance, child=child, provider=provider, hampshire=hampshire, hiow_icb=hiow_icb
        )
        services.share_query(actor=council_finance, share=share, expected_version=1, question="Which hours?")
        results = race(share.pk, answer(panel_admin), answer(second_admin))
        one_winner(results, [panel_admin.full_name, second_admin.full_name])
        assert PackageEvent.objects.filter(package_id=share.package_id, action="answered").count() == 1


# --- The same answers, one after the other, through the services, the page and the API ------------


@pytest.mark.django_db
def test_an_approval_on_a_share_disputed_since_is_refused_naming_who_disputed(
    existing_package, council_finance, council_head_of_finance
):
    seen = existing_package.current_version.shares.get(agency__name=COUNCIL)  # awaiting approval
    services.share_dispute(
        actor=council_head_of_finance,
        share=existing_package.current_version.shares.get(agency__name=COUNCIL),
        expected_version=1,
        reason="Not our duty",
    )
    with pytest.raises(InvalidTransition, match="Harriet Vault disputed this share at 09:30"):
        services.share_approve(actor=council_finance, share=seen, expected_version=1)
    seen.refresh_from_db()
    assert seen.status == ShareStatus.DISPUTED and seen.decided_by is None
    # Having seen the dispute, the approver may still approve (the panel settled it).
    services.share_approve(
        actor=council_finance, share=seen, expected_version=1, expected_status=ShareStatus.DISPUTED
    )
    seen.refresh_from_db()
    assert seen.status == ShareStatus.APPROVED


@pytest.mark.django_db
def test_the_page_refuses_an_approval_made_on_a_share_queried_since(
    client, existing_package, council_finance, council_head_of_finance
):
    share = existing_package.current_version.shares.get(agency__name=COUNCIL)
    client.force_login(council_finance)
    page = client.get(reverse("funding:detail", args=[existing_package.pk])).content.decode()
    assert 'name="status" value="awaiting"' in page
    services.share_query(
        actor=council_head_of_finance, share=share, expected_version=1, question="Which hours?"
    )
    response = client.post(reverse("funding:approve", args=[share.pk]), {"version": 1, "status": "awaiting"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "Harriet Vault queried this share at 09:30" in body
    share.refresh_from_db()
    assert share.status == ShareStatus.QUERIED


@pytest.mark.django_db
def test_the_dispute_page_carries_the_status_and_a_post_without_it_is_refused(
    client, existing_package, council_finance
):
    share = existing_package.current_version.shares.get(agency__name=COUNCIL)
    client.force_login(council_finance)
    url = reverse("funding:dispute", args=[share.pk])
    page = client.get(url).content.decode()
    assert 'name="status" value="awaiting"' in page
    response = client.post(url, {"version": 1, "reason": "Not our duty"})
    assert response.status_code == 200
    assert "did not say what state the share was in" in response.content.decode()
    share.refresh_from_db()
    assert share.status == ShareStatus.AWAITING


@pytest.mark.django_db
def test_the_api_needs_the_status_seen_and_answers_409_naming_who_acted(
    client, existing_package, council_finance, council_head_of_finance
):
    share = existing_package.current_version.shares.get(agency__name=COUNCIL)
    client.force_login(council_finance)
    url = f"/api/funding/shares/{share.pk}/approve/"
    missing = client.post(url, {"version": 1}, content_type="application/json")
    assert missing.status_code == 400
    assert "status" in missing.json()
    services.share_dispute(
        actor=council_head_of_finance, share=share, expected_version=1, reason="Not our duty"
    )
    response = client.post(url, {"version": 1, "status": "awaiting"}, content_type="application/json")
    assert response.status_code == 409
    assert "Harriet Vault disputed this share at 09:30" in response.json()["detail"]
    query = client.post(
        f"/api/funding/shares/{share.pk}/query/",
        {"version": 1, "status": "awaiting", "question": "Why?"},
        content_type="application/json",
    )
    assert query.status_code == 409
    assert "Harriet Vault disputed this share" in query.json()["detail"]
    share.refresh_from_db()
    assert share.status == ShareStatus.DISPUTED
