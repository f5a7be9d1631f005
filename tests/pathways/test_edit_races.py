# ruff: noqa: F811 - `sgm` is a fixture imported from test_escalation_fixtures
"""One winner when two people edit the same pathway record at once (issue 13): Continuing Care's
evidence and Decision Support Tool, the Section 117 aftercare plan, and a step that moves the case on
(the checklist). Each editor opened the same version; exactly one save lands and the other is refused
(a 409) naming who saved first. Each race runs 20 times on two database connections. Then the API's
428 for an edit that does not say what it was made over, its 409 for a stale one, and the pages' form
error for a post without the hidden `seen` field (nothing saved).

The races commit (transaction=True); serialized_rollback puts back the reference data migrations
load (the DST's care domains) for the tests that follow.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from casework.models import Role
from casework.services import InvalidTransition
from casework.stale import NOT_SEEN, StaleEdit
from pathways import services
from pathways.models import ContinuingCare, DSTScore, PathwayCase, Section117, Status
from tests.factories import UserFactory
from tests.pathways.conftest import D, all_scores
from tests.pathways.test_escalation_fixtures import sgm  # noqa: F401 - the authoriser fixture

ROUNDS = 8
RACE = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def care_domains(request):
    """The DST's care domains are reference data a migration loads; a transactional test that ran
    earlier in the session empties every table, so they are put back here (idempotent)."""
    if "django_db" not in request.keywords:
        return
    request.getfixturevalue("transactional_db" if _transactional(request) else "db")
    import importlib

    from django.apps import apps

    importlib.import_module("pathways.migrations.0002_dst_domains_and_default_settings").load(apps, None)


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction"))


@pytest.fixture
def second_assessor(hiow_icb):
    """Priya Shah, another health assessor of the ICB."""
    return UserFactory(
        email="priya.shah@hiow.example.nhs.uk",
        full_name="Priya Shah",
        agency=hiow_icb,
        roles=[Role.HEALTH_ASSESSOR],
    )


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


def one_winner(results: list[object], names: list[str], *, refusal: type[Exception] = StaleEdit) -> int:
    """Exactly one save landed; the other is refused (a 409) naming the one who won. The winner's index."""
    losers = [i for i, r in enumerate(results) if isinstance(r, Exception)]
    assert len(losers) == 1, results
    lost = results[losers[0]]
    assert isinstance(lost, refusal), results
    won = 1 - losers[0]
    assert f"{names[won]} saved it at" in str(lost), (str(lost), names)
    return won


def _case(pk: int) -> PathwayCase:
    return PathwayCase.objects.select_related("continuing_care", "section_117", "child").get(pk=pk)


# --- Races ---------------------------------------------------------------------------------------


@RACE
def test_two_people_editing_the_evidence_at_once_have_one_winner(cc_assessing, clinician, second_assessor):
    people = [clinician, second_assessor]

    def edit(actor, text):
        def move():
            case = _case(cc_assessing.pk)
            seen = services.evidence_fingerprint(case.continuing_care)
            return lambda: services.cc_record_evidence(
                actor=actor,
                case=case,
                preferences=text,
                holistic_assessment="Mum is main carer",
                professional_reports="Consultant letter",
                seen=seen,
            )

        return move

    for round_ in range(ROUNDS):
        texts = [f"Round {round_}: {p.full_name}'s notes" for p in people]
        results = race(*(edit(p, t) for p, t in zip(people, texts, strict=True)))
        won = one_winner(results, [p.full_name for p in people])
        assert ContinuingCare.objects.get(case=cc_assessing).preferences == texts[won]


@RACE
def test_two_assessors_scoring_the_dst_at_once_have_one_winner(cc_assessing, clinician, second_assessor):
    people = [clinician, second_assessor]

    def edit(actor, text):
        def move():
            case = _case(cc_assessing.pk)
            seen = services.dst_fingerprint(case.continuing_care)
            scores = {code: {**entry, "evidence": text} for code, entry in all_scores("low").items()}
            return lambda: services.cc_save_dst(actor=actor, case=case, scores=scores, seen=seen)

        return move

    for round_ in range(ROUNDS):
        texts = [f"Round {round_}: {p.full_name}'s evidence" for p in people]
        results = race(*(edit(p, t) for p, t in zip(people, texts, strict=True)))
        won = one_winner(results, [p.full_name for p in people])
        saved = set(
            DSTScore.objects.filter(continuing_care__case=cc_assessing).values_list("evidence", flat=True)
        )
        assert saved == {texts[won]}


@RACE
def test_two_people_editing_the_aftercare_plan_at_once_have_one_winner(s117_case, social_worker, clinician):
    people = [social_worker, clinician]

    def edit(actor, text):
        def move():
            case = _case(s117_case.pk)
            seen = services.plan_fingerprint(case.section_117)
            return lambda: services.s117_update(
                actor=actor, case=case, fields={"plan_needs": text}, seen=seen
            )

        return move

    for round_ in range(ROUNDS):
        texts = [f"Round {round_}: {p.full_name}'s plan" for p in people]
        results = race(*(edit(p, t) for p, t in zip(people, texts, strict=True)))
        won = one_winner(results, [p.full_name for p in people])
        assert Section117.objects.get(case=s117_case).plan_needs == texts[won]


@RACE
def test_two_people_recording_the_checklist_at_once_have_one_winner(
    clock, amelia, social_worker, clinician, hiow_icb
):
    """A step that moves the case on: the status's compare-and-swap picks one, and names them."""
    people = [social_worker, clinician]
    for round_ in range(ROUNDS):
        case = services.cc_open(
            actor=social_worker,
            child=amelia,
            lead_agency=hiow_icb,
            case_worker=clinician,
            referral_received_on=D(2026, 2, 16),
        )

        def record(actor, notes, pk=case.pk):
            def move():
                opened = _case(pk)
                return lambda: services.cc_record_checklist(
                    actor=actor,
                    case=opened,
                    completed_on=D(2026, 2, 20),
                    full_assessment_needed=True,
                    notes=notes,
                )

            return move

        texts = [f"Round {round_}: {p.full_name}'s checklist" for p in people]
        results = race(*(record(p, t) for p, t in zip(people, texts, strict=True)))
        won = one_winner(results, [p.full_name for p in people], refusal=InvalidTransition)
        saved = ContinuingCare.objects.get(case_id=case.pk)
        assert saved.checklist_notes == texts[won] and _case(case.pk).status == Status.ASSESSMENT


# --- The API: the fingerprint is required ---------------------------------------------------------


def _api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


EVIDENCE = {"preferences": "Home", "holistic_assessment": "Mum", "professional_reports": "Letters"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("step", "who", "fixture", "body"),
    [
        ("evidence", "clinician", "cc_assessing", EVIDENCE),
        ("dst", "clinician", "cc_assessing", None),  # the scores need the care domains: built below
        ("aftercare-plan", "social_worker", "s117_case", {"plan_needs": "Supported flat"}),
    ],
)
def test_an_api_edit_without_its_fingerprint_is_a_428_and_saves_nothing(request, step, who, fixture, body):
    case = request.getfixturevalue(fixture)
    if body is None:
        body = {"scores": all_scores("low")}
    before = _api(request.getfixturevalue(who)).get(f"/api/pathway-cases/{case.pk}/").json()
    r = _api(request.getfixturevalue(who)).post(f"/api/pathway-cases/{case.pk}/{step}/", body, format="json")
    assert r.status_code == 428
    assert r.json()["required"] == ["fingerprint"] and "Nothing was saved" in r.json()["detail"]
    after = _api(request.getfixturevalue(who)).get(f"/api/pathway-cases/{case.pk}/").json()
    assert after == before


@pytest.mark.django_db
def test_an_api_edit_over_a_later_save_is_a_409_naming_who_saved(cc_assessing, clinician, second_assessor):
    seen = _api(clinician).get(f"/api/pathway-cases/{cc_assessing.pk}/").json()["continuing_care"]
    first = _api(second_assessor).post(
        f"/api/pathway-cases/{cc_assessing.pk}/evidence/",
        {**EVIDENCE, "preferences": "Priya's", "fingerprint": seen["evidence_fingerprint"]},
        format="json",
    )
    assert first.status_code == 200
    stale = _api(clinician).post(
        f"/api/pathway-cases/{cc_assessing.pk}/evidence/",
        {**EVIDENCE, "preferences": "Nadia's", "fingerprint": seen["evidence_fingerprint"]},
        format="json",
    )
    assert stale.status_code == 409
    assert "Priya Shah saved it at 09:30" in stale.json()["detail"]
    assert ContinuingCare.objects.get(case=cc_assessing).preferences == "Priya's"


@pytest.mark.django_db
def test_an_api_plan_edit_over_a_later_save_is_a_409(s117_case, social_worker, clinician):
    seen = _api(social_worker).get(f"/api/pathway-cases/{s117_case.pk}/").json()["section_117"]
    url = f"/api/pathway-cases/{s117_case.pk}/aftercare-plan/"
    body = {"plan_needs": "Supported flat", "fingerprint": seen["plan_fingerprint"]}
    assert _api(clinician).post(url, body, format="json").status_code == 200
    stale = _api(social_worker).post(url, {**body, "plan_needs": "Home"}, format="json")
    assert stale.status_code == 409 and "Nadia Khan saved it at" in stale.json()["detail"]


# --- The pages: the hidden `seen` is required ------------------------------------------------------


def _page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _shows_not_seen(response) -> bool:
    return response.status_code == 200 and NOT_SEEN in response.content.decode().replace("&#x27;", "'")


@pytest.mark.django_db
def test_an_evidence_page_posted_without_seen_is_a_form_error(cc_assessing, clinician):
    page = _page(clinician).post(reverse("pathways:cc_evidence", args=[cc_assessing.pk]), EVIDENCE)
    assert _shows_not_seen(page)
    assert ContinuingCare.objects.get(case=cc_assessing).preferences == ""


@pytest.mark.django_db
def test_a_dst_page_posted_without_seen_is_a_form_error(cc_assessing, clinician):
    data = {f"{code}-level": entry["level"] for code, entry in all_scores("low").items()}
    page = _page(clinician).post(reverse("pathways:cc_dst", args=[cc_assessing.pk]), data)
    assert _shows_not_seen(page)
    assert not DSTScore.objects.filter(continuing_care__case=cc_assessing).exists()


@pytest.mark.django_db
def test_an_aftercare_plan_page_posted_without_seen_is_a_form_error(s117_case, social_worker):
    page = _page(social_worker).post(
        reverse("pathways:s117_plan", args=[s117_case.pk]), {"plan_needs": "Supported flat"}
    )
    assert _shows_not_seen(page)
    assert Section117.objects.get(case=s117_case).plan_needs == ""


@pytest.mark.django_db
def test_a_stale_dst_page_is_a_409_keeping_what_was_typed(cc_assessing, clinician, second_assessor):
    url = reverse("pathways:cc_dst", args=[cc_assessing.pk])
    a, b = _page(clinician), _page(second_assessor)
    seen = services.dst_fingerprint(cc_assessing.continuing_care)
    data = {f"{code}-level": entry["level"] for code, entry in all_scores("low").items()}
    assert a.post(url, {**data, "seen": seen, "breathing-evidence": "Nadia's"}).status_code == 302
    stale = b.post(url, {**data, "seen": seen, "breathing-evidence": "Priya's typed text"})
    html = stale.content.decode()
    assert stale.status_code == 409 and "Priya&#x27;s typed text" in html and "Nadia Khan" in html
    assert (
        DSTScore.objects.get(continuing_care__case=cc_assessing, domain__code="breathing").evidence
        == "Nadia's"
    )


@RACE
def test_two_people_resolving_one_escalation_at_once_have_one_winner(
    clock, amelia, social_worker, team_manager, sgm, clinician
):
    """The escalation's `seen` (escalation_seen) picks one; the other is told who resolved it."""
    from pathways.models import Escalation, EscalationLevel, EscalationRoute

    people = [social_worker, team_manager]
    for round_ in range(ROUNDS):
        escalation = services.escalation_open(
            actor=social_worker,
            child=amelia,
            route=EscalationRoute.EMERGENCY,
            summary=f"Round {round_}: in A&E, no safe placement",
            level=EscalationLevel.RSG,
            authorised_by=sgm,
            reason="No placement can be found through usual routes",
            chair=clinician,
        )

        def resolve(actor, outcome, pk=escalation.pk):
            def move():
                opened = Escalation.objects.select_related("child").get(pk=pk)
                seen = services.escalation_seen(opened)
                return lambda: services.escalation_resolve(
                    actor=actor, escalation=opened, outcome=outcome, seen=seen
                )

            return move

        texts = [f"Round {round_}: {p.full_name}'s outcome" for p in people]
        results = race(*(resolve(p, t) for p, t in zip(people, texts, strict=True)))
        won = one_winner(results, [p.full_name for p in people])
        assert Escalation.objects.get(pk=escalation.pk).outcome == texts[won]
