# ruff: noqa: F811 - `held` is a fixture imported from test_minutes_services
"""Declarations of interest are append-only once the item's decision is signed (issue 13): removing
one then is refused (409, saying who signed and when) on the page and in the API; a correction adds
an entry naming the one it corrects, which is kept, so what was declared is never lost. Before the
signature a declaration can still be removed, and the removal is audited. Races on two connections,
20 rounds each: a removal against the chair's signature, two corrections of one entry, a removal
against a correction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework.models import AuditEvent
from casework.services import InvalidTransition
from panels import services
from panels.models import AgendaItem, Decision, DecisionStatus, Declaration
from panels.services.minutes import minutes_build_text
from referrals import services as referral_services
from tests.factories import agenda_item_for
from tests.panels.conftest import seat
from tests.panels.test_minutes_services import held  # noqa: F401 - the held meeting fixture

ROUNDS = 8


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def declared(held):
    """Amelia's item: the council member's declaration, and the decision Peter Hale signed."""
    return Declaration.objects.select_related("agenda_item__meeting").get(agenda_item__position=1)


# --- Signed: append-only -------------------------------------------------------------------------


@pytest.mark.django_db
def test_after_signing_a_declaration_cannot_be_removed_by_service_page_or_api(declared, panel_admin):
    with pytest.raises(InvalidTransition, match="signed by Peter Hale at 16:30.*record a correction instead"):
        services.declaration_remove(actor=panel_admin, declaration=declared)
    meeting = declared.agenda_item.meeting
    page = _client(panel_admin).post(reverse("panels:run_declaration_remove", args=[meeting.pk, declared.pk]))
    assert page.status_code == 409
    assert "signed by Peter Hale" in page.content.decode()
    api = _api(panel_admin).delete(reverse("api-declaration", args=[declared.pk]))
    assert api.status_code == 409 and "record a correction instead" in api.json()["detail"]
    assert Declaration.objects.filter(pk=declared.pk).exists()
    # The chair's page offers a correction instead of removal.
    run = (
        _client(panel_admin)
        .get(reverse("panels:run_item", args=[meeting.pk, declared.agenda_item_id]))
        .content.decode()
    )
    assert reverse("panels:run_declaration_correct", args=[meeting.pk, declared.pk]) in run
    assert reverse("panels:run_declaration_remove", args=[meeting.pk, declared.pk]) not in run


@pytest.mark.django_db
def test_a_correction_adds_an_entry_and_keeps_the_one_it_corrects(declared, panel_admin, held):
    corrected = services.declaration_correct(
        actor=panel_admin,
        declaration=declared,
        interest="Is a governor at Amelia's school",
        action="left_the_room",
        reason="Minuted wrongly: she left the room",
    )
    assert corrected.corrects == declared and corrected.membership_id == declared.membership_id
    assert Declaration.objects.filter(pk=declared.pk).exists()  # kept
    assert list(Declaration.objects.filter(agenda_item=declared.agenda_item).current()) == [corrected]
    text = minutes_build_text(held.meeting)
    assert "Is a governor at Amelia's school" not in text  # the child's name is shielded in minutes
    assert "Left the meeting for this item" in text and "Knows" not in text
    audit = AuditEvent.objects.get(action="meeting.declaration_corrected")
    assert audit.changes["declaration"] == [declared.pk, corrected.pk]
    assert audit.changes["reason"] == [None, "Minuted wrongly: she left the room"]

    withdrawn = services.declaration_correct(
        actor=panel_admin, declaration=corrected, withdraw=True, reason="Recorded against the wrong member"
    )
    assert withdrawn.withdrawn and withdrawn.corrects == corrected
    assert not Declaration.objects.filter(agenda_item=declared.agenda_item).current().exists()
    assert Declaration.objects.filter(agenda_item=declared.agenda_item).count() == 3  # nothing lost
    with pytest.raises(InvalidTransition, match="Adam Clerk corrected this declaration"):
        services.declaration_correct(actor=panel_admin, declaration=declared, reason="Again", interest="x")


@pytest.mark.django_db
def test_the_correction_page_and_api(declared, panel_admin, panel_chair):
    meeting = declared.agenda_item.meeting
    url = reverse("panels:run_declaration_correct", args=[meeting.pk, declared.pk])
    admin = _client(panel_admin)
    page = admin.get(url)
    assert page.status_code == 200 and "Knows Amelia" in page.content.decode()
    missing = admin.post(url, {"interest": "New words", "action": "remained"})
    assert (
        missing.status_code == 200
        and "Enter why the declaration is being corrected" in missing.content.decode()
    )
    done = admin.post(url, {"interest": "New words", "action": "remained", "reason": "Typo"})
    assert done.status_code == 302
    new = Declaration.objects.get(corrects=declared)
    run = admin.get(reverse("panels:run_item", args=[meeting.pk, declared.agenda_item_id])).content.decode()
    assert "New words" in run and "Every entry, with corrections" in run and "Correction: Typo" in run

    api = _api(panel_chair)
    listed = api.get(reverse("api-meeting-declarations", args=[meeting.pk])).json()
    by_id = {row["id"]: row for row in listed}
    assert by_id[declared.pk]["corrected_by"] == new.pk
    assert by_id[new.pk]["corrects"] == declared.pk and by_id[new.pk]["reason"] == "Typo"
    stale = api.post(
        reverse("api-declaration-correct", args=[declared.pk]),
        {"reason": "Mine", "withdraw": True},
        format="json",
    )
    assert stale.status_code == 409 and "Adam Clerk corrected this declaration" in stale.json()["detail"]
    made = api.post(
        reverse("api-declaration-correct", args=[new.pk]),
        {"reason": "Withdrawn", "withdraw": True},
        format="json",
    )
    assert made.status_code == 201 and made.json()["withdrawn"] is True and made.json()["corrects"] == new.pk
    assert api.post(reverse("api-declaration-correct", args=[new.pk]), {}, format="json").status_code == 400


# --- Before signing: removal stays possible, and is audited ------------------------------------


@pytest.fixture
def unsigned_item(held, panel_admin):
    return AgendaItem.objects.create(
        meeting=held.meeting,
        kind="other_business",
        title="Any other business",
        added_by=panel_admin,
        position=9,
    )


def _declare(item, member, actor, interest="Chairs a local charity"):
    return services.declaration_record(
        actor=actor,
        agenda_item=item,
        membership=seat(item.meeting.panel, member),
        interest=interest,
        action="remained",
    )


@pytest.mark.django_db
def test_before_signing_a_declaration_can_be_removed_and_the_removal_is_audited(
    unsigned_item, council_member, panel_admin
):
    declaration = _declare(unsigned_item, council_member, panel_admin)
    services.declaration_remove(actor=panel_admin, declaration=declaration)
    assert not Declaration.objects.filter(pk=declaration.pk).exists()
    audit = AuditEvent.objects.get(action="meeting.declaration_removed")
    assert audit.actor == panel_admin
    assert audit.changes["interest"] == ["Chairs a local charity", None]
    assert audit.changes["declaration"] == [declaration.pk, None]
    with pytest.raises(InvalidTransition, match=r"already been removed \(Adam Clerk removed it at 16:30\)"):
        services.declaration_remove(actor=panel_admin, declaration=declaration)
    # Declaring again after a withdrawal continues the member's chain.
    first = _declare(unsigned_item, council_member, panel_admin)
    services.declaration_correct(actor=panel_admin, declaration=first, withdraw=True, reason="In error")
    again = _declare(unsigned_item, council_member, panel_admin, interest="Governor of the school")
    assert again.corrects.corrects == first
    assert list(Declaration.objects.filter(agenda_item=unsigned_item).current()) == [again]


# --- Races ---------------------------------------------------------------------------------------


def race(*moves: Callable[[], object]) -> list[object]:
    barrier = threading.Barrier(len(moves))
    results: list[object] = [None] * len(moves)

    def run(index: int, move) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = move()
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


def _fresh(pk: int) -> Declaration:
    return Declaration.objects.select_related("agenda_item__meeting", "membership").get(pk=pk)


def removing(actor, declaration: Declaration) -> Callable[[], object]:
    return lambda: services.declaration_remove(actor=actor, declaration=declaration)


def correcting(actor, declaration: Declaration, interest: str) -> Callable[[], object]:
    return lambda: services.declaration_correct(
        actor=actor, declaration=declaration, interest=interest, reason="Correction"
    )


def signing(actor, decision_pk: int) -> Callable[[], object]:
    return lambda: services.decision_sign(actor=actor, decision=Decision.objects.get(pk=decision_pk))


@pytest.mark.django_db(transaction=True)
def test_two_corrections_of_one_entry_at_once_have_one_winner(declared, panel_admin, panel_chair):
    people = [panel_admin, panel_chair]
    latest = declared
    for round_ in range(ROUNDS):
        seen = [_fresh(latest.pk), _fresh(latest.pk)]
        results = race(
            *(correcting(p, d, f"Round {round_} by {p.full_name}") for p, d in zip(people, seen, strict=True))
        )
        winners = [r for r in results if isinstance(r, Declaration)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert isinstance(losers[0], InvalidTransition), results
        assert winners[0].recorded_by.full_name in str(losers[0]) or "at the same moment" in str(losers[0])
        latest = winners[0]
        assert Declaration.objects.filter(corrects_id=seen[0].pk).count() == 1
    assert Declaration.objects.filter(agenda_item=declared.agenda_item).count() == ROUNDS + 1  # nothing lost


@pytest.mark.django_db(transaction=True)
def test_a_removal_and_a_correction_at_once_have_one_winner(
    unsigned_item, council_member, panel_admin, panel_chair
):
    for _ in range(ROUNDS):
        declaration = _declare(unsigned_item, council_member, panel_admin)
        results = race(
            removing(panel_admin, _fresh(declaration.pk)),
            correcting(panel_chair, _fresh(declaration.pk), "Corrected"),
        )
        failed = [r for r in results if isinstance(r, Exception)]
        assert len(failed) == 1 and isinstance(failed[0], InvalidTransition), results
        if isinstance(results[1], Declaration):  # the correction won: the removal was refused
            assert "corrected since" in str(results[0])
            assert Declaration.objects.filter(pk=declaration.pk).exists()
            chain = Declaration.objects.filter(agenda_item=unsigned_item)
            services.declaration_correct(
                actor=panel_admin, declaration=chain.current().get(), withdraw=True, reason="Next round"
            )
        else:  # the removal won: the correction is told who removed it
            assert "Adam Clerk removed it" in str(results[1])
            assert not Declaration.objects.filter(pk=declaration.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_removal_racing_the_chairs_signature_never_deletes_after_signing(
    held, make_submitted, another_child, council_member, panel_admin, panel_chair, hampshire
):
    """Either the removal lands first (and the signature follows it), or the signature does and the
    removal is refused naming the chair: never a declaration deleted from a signed item."""
    meeting = held.meeting
    for round_ in range(ROUNDS):
        referral = referral_services.referral_accept_late(  # the meeting is today: a late paper
            actor=panel_chair, referral=make_submitted(child=another_child)
        )
        item = agenda_item_for(referral=referral, meeting=meeting, actor=panel_admin, position=10 + round_)
        draft = Decision.objects.create(
            agenda_item=item,
            referral=referral,
            outcome="deferred",
            rationale="Wait for the CAMHS report.",
            recorded_by=panel_admin,
            was_quorate=True,
            status=DecisionStatus.DRAFT,
            recorded_at=timezone.now(),
        )
        declaration = _declare(item, council_member, panel_admin)
        results = race(removing(panel_admin, _fresh(declaration.pk)), signing(panel_chair, draft.pk))
        assert isinstance(results[1], Decision), results  # the signature always stands
        if isinstance(results[0], Exception):
            assert isinstance(results[0], InvalidTransition) and "signed by Peter Hale" in str(results[0])
            assert Declaration.objects.filter(pk=declaration.pk).exists()
        else:
            removed = AuditEvent.objects.get(
                action="meeting.declaration_removed", changes__declaration=[declaration.pk, None]
            )
            signed = AuditEvent.objects.get(action="decision.signed", object_id=str(draft.pk))
            assert removed.pk < signed.pk  # removed before the signature, never after
