# ruff: noqa: F811 - `held` is a fixture imported from test_minutes_services
"""One winner when two people save the same draft at once (issue 13): a decision draft, a decision
letter, the minutes and an action. Each saver opened the same version; exactly one save lands and
the other is refused (StaleEdit, a 409) naming who saved first. Each race runs 20 times on two
database connections. Then the API's 428 for a draft save that does not say what it was made over,
and the pages' form error for a post without its hidden version or fingerprint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from casework.stale import NOT_SEEN, StaleEdit
from panels import services
from panels.models import Action, Decision, DecisionLetter, Minutes
from panels.services.letters import letter_fingerprint
from tests.factories import agenda_item_for, attendance_for
from tests.panels.conftest import MEETING_DAY, at
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


def race(*moves: Callable[[], Callable[[], object]]) -> list[object]:
    """Each move reads what its person has open (on its own connection), then all save together:
    a move is a function that reads and returns the save to make."""
    barrier = threading.Barrier(len(moves))
    results: list[object] = [None] * len(moves)

    def run(index: int, move) -> None:
        try:
            save = move()
            barrier.wait(timeout=10)
            results[index] = save()
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


def one_winner(results: list[object], names: list[str]) -> int:
    """Exactly one save landed; the other is a stale edit naming the one who won. The winner's index."""
    losers = [i for i, r in enumerate(results) if isinstance(r, Exception)]
    assert len(losers) == 1, results
    lost = results[losers[0]]
    assert isinstance(lost, StaleEdit), results
    won = 1 - losers[0]
    assert f"{names[won]} saved" in str(lost), (str(lost), names)
    return won


# --- Races ---------------------------------------------------------------------------------------


@pytest.fixture
def draft(
    submitted_referral,
    irap_meeting,
    panel_admin,
    panel_chair,
    council_member,
    icb_member,
    second_icb_member,
    hampshire,
    clock,
):
    """A draft decision on a quorate meeting's item, recorded by Adam Clerk."""
    item = agenda_item_for(referral=submitted_referral, meeting=irap_meeting, actor=panel_admin)
    clock.move_to(at(MEETING_DAY, 14, 5), tick=False)
    attendance_for(irap_meeting, panel_chair, council_member, icb_member, second_icb_member)
    return services.decision_record(
        actor=panel_admin,
        agenda_item=item,
        fields={
            "outcome": "agreed_as_recommended",
            "rationale": "Meets her needs.",
            "lead_agency": hampshire,
            "review_date": MEETING_DAY.replace(month=10),
        },
    )


def _decision_save(actor, pk: int, text: str):
    def move():
        decision = Decision.objects.select_related("agenda_item__meeting").get(pk=pk)
        seen = services.draft_fingerprint(decision)
        fields = {name: getattr(decision, name) for name in services.DECISION_FIELDS} | {"rationale": text}
        shares = [(s.agency, s.basis, s.value) for s in decision.shares.select_related("agency")]
        return lambda: services.decision_record(
            actor=actor,
            agenda_item=decision.agenda_item,
            fields=fields,
            shares=shares,
            decision=decision,
            seen_fingerprint=seen,
        )

    return move


@pytest.mark.django_db(transaction=True)
def test_two_people_saving_one_draft_decision_at_once_have_one_winner(draft, panel_admin, panel_chair):
    people = [panel_admin, panel_chair]
    for round_ in range(ROUNDS):
        texts = [f"Round {round_}: {p.full_name}'s wording" for p in people]
        results = race(*(_decision_save(p, draft.pk, t) for p, t in zip(people, texts, strict=True)))
        won = one_winner(results, [p.full_name for p in people])
        assert Decision.objects.get(pk=draft.pk).rationale == texts[won]


@pytest.mark.django_db(transaction=True)
def test_two_people_editing_one_letter_at_once_have_one_winner(held, panel_admin, panel_chair):
    letter = services.letter_prepare(actor=panel_admin, decision=held.decisions[0])
    people = [panel_admin, panel_chair]

    def edit(actor, text):
        def move():
            opened = DecisionLetter.objects.select_related("decision__agenda_item__meeting__panel").get(
                pk=letter.pk
            )
            seen = letter_fingerprint(opened)
            return lambda: services.letter_edit(
                actor=actor, letter=opened, subject="Decision for AH", body=text, fingerprint=seen
            )

        return move

    for round_ in range(ROUNDS):
        texts = [f"Dear Sam,\nRound {round_} from {p.full_name}." for p in people]
        results = race(*(edit(p, t) for p, t in zip(people, texts, strict=True)))
        won = one_winner(results, [p.full_name for p in people])
        assert DecisionLetter.objects.get(pk=letter.pk).body == texts[won]


@pytest.mark.django_db(transaction=True)
def test_two_people_editing_the_minutes_at_once_have_one_winner(held, panel_admin, panel_chair):
    minutes = services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    people = [panel_admin, panel_chair]

    def edit(actor, text):
        def move():
            opened = Minutes.objects.select_related("meeting__panel").get(pk=minutes.pk)
            return lambda: services.minutes_edit(
                actor=actor, minutes=opened, version=opened.version, body=text
            )

        return move

    for round_ in range(ROUNDS):
        texts = [f"Round {round_}: {p.full_name}'s minutes" for p in people]
        results = race(*(edit(p, t) for p, t in zip(people, texts, strict=True)))
        won = one_winner(results, [p.full_name for p in people])
        saved = Minutes.objects.get(pk=minutes.pk)
        assert saved.body == texts[won] and saved.version == round_ + 2


@pytest.mark.django_db(transaction=True)
def test_two_people_changing_one_action_at_once_have_one_winner(irap, panel_admin, panel_chair):
    action = services.action_create(actor=panel_admin, panel=irap, action="Report back on health assessments")
    people = [panel_admin, panel_chair]

    def change(actor, text):
        def move():
            opened = Action.objects.select_related("panel").get(pk=action.pk)
            return lambda: services.action_change(
                actor=actor, action=opened, version=opened.version, fields={"action": text}
            )

        return move

    for round_ in range(ROUNDS):
        texts = [f"Round {round_}: {p.full_name}'s action" for p in people]
        results = race(*(change(p, t) for p, t in zip(people, texts, strict=True)))
        won = one_winner(results, [p.full_name for p in people])
        assert Action.objects.get(pk=action.pk).action == texts[won]


# --- The API: 428 without the fingerprint, 409 naming who saved --------------------------------


@pytest.mark.django_db
def test_patching_a_draft_decision_without_its_fingerprint_is_428_and_saves_nothing(
    draft, panel_admin, panel_chair
):
    url = reverse("api-decision", args=[draft.pk])
    admin = _api(panel_admin)
    missing = admin.patch(url, {"rationale": "Mine, blind."}, format="json")
    assert missing.status_code == 428
    body = missing.json()
    assert body["required"] == ["fingerprint"] and "`fingerprint`" in body["detail"]
    assert Decision.objects.get(pk=draft.pk).rationale == "Meets her needs."

    seen = admin.get(url).json()["fingerprint"]
    chair = _api(panel_chair)
    assert (
        chair.patch(url, {"rationale": "The chair's words.", "fingerprint": seen}, format="json").status_code
        == 200
    )
    stale = admin.patch(url, {"rationale": "Mine.", "fingerprint": seen}, format="json")
    assert stale.status_code == 409
    assert "Peter Hale saved it at 14:05" in stale.json()["detail"]
    assert Decision.objects.get(pk=draft.pk).rationale == "The chair's words."


@pytest.mark.django_db
def test_editing_a_letter_without_its_fingerprint_is_428(held, panel_admin, panel_chair):
    letter = services.letter_prepare(actor=panel_admin, decision=held.decisions[0])
    url = f"/api/letters/{letter.pk}/"
    admin = _api(panel_admin)
    missing = admin.patch(url, {"subject": "Mine", "body": "Dear Sam"}, format="json")
    assert missing.status_code == 428 and missing.json()["required"] == ["fingerprint"]
    seen = admin.get(url).json()["fingerprint"]
    assert (
        _api(panel_chair)
        .patch(url, {"subject": "Chair's", "body": "Dear Sam,", "fingerprint": seen}, format="json")
        .status_code
        == 200
    )
    stale = admin.patch(url, {"subject": "Mine", "body": "Dear Sam", "fingerprint": seen}, format="json")
    assert stale.status_code == 409 and "Peter Hale saved it" in stale.json()["detail"]
    assert DecisionLetter.objects.get(pk=letter.pk).subject == "Chair's"


@pytest.mark.django_db
def test_the_schema_says_the_fingerprint_is_required_and_documents_428():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/decisions/{id}/", "/api/letters/{id}/"):
        patch = schema["paths"][path]["patch"]
        assert "428" in patch["responses"], path
        body = patch["requestBody"]["content"]["application/json"]["schema"]
        component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
        assert "fingerprint" in component.get("required", []), path


# --- Pages: a post without the hidden version or fingerprint is a form error ---------------------


@pytest.mark.django_db
def test_the_decision_form_without_its_fingerprint_is_refused_not_saved(draft, panel_admin):
    item = draft.agenda_item
    prefix = f"item-{item.pk}"
    page = _client(panel_admin).post(
        reverse("panels:run_decision", args=[item.meeting_id, item.pk]),
        {
            f"{prefix}-decision": draft.pk,
            f"{prefix}-outcome": "agreed_as_recommended",
            f"{prefix}-rationale": "Saved blind.",
            f"{prefix}-lead_agency": draft.lead_agency_id,
            f"{prefix}-review_date": "9/10/2026",
        },
    )
    assert page.status_code == 200
    assert NOT_SEEN.split(",")[0] in page.content.decode().replace("&#x27;", "'")
    assert Decision.objects.get(pk=draft.pk).rationale == "Meets her needs."


@pytest.mark.django_db
def test_letter_minutes_and_action_forms_without_their_version_are_refused(held, irap, panel_admin):
    admin = _client(panel_admin)
    meeting = held.meeting
    letter = services.letter_prepare(actor=panel_admin, decision=held.decisions[0])
    response = admin.post(
        reverse("panels:letter_edit", args=[meeting.pk, letter.pk]), {"subject": "Blind", "body": "Dear Sam"}
    )
    assert response.status_code == 200 and NOT_SEEN in response.content.decode().replace("&#x27;", "'")
    assert DecisionLetter.objects.get(pk=letter.pk).subject != "Blind"

    minutes = services.minutes_draft(actor=panel_admin, meeting=meeting)
    response = admin.post(reverse("panels:minutes", args=[meeting.pk]), {"body": "Blind minutes"})
    assert response.status_code == 200 and NOT_SEEN in response.content.decode().replace("&#x27;", "'")
    assert Minutes.objects.get(pk=minutes.pk).body != "Blind minutes"

    action = services.action_create(actor=panel_admin, panel=irap, action="Report back")
    response = admin.post(reverse("panels:action_edit", args=[action.pk]), {"action": "Blind change"})
    assert response.status_code == 200 and NOT_SEEN in response.content.decode().replace("&#x27;", "'")
    assert Action.objects.get(pk=action.pk).action == "Report back"
