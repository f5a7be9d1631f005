"""Nothing that carries a child's data may be kept by a browser or a proxy (issue 12): every answer
to a signed-in person and every API answer says `Cache-Control: no-store`.

The sweep is generated from the URL conf (tests/url_sweep.py): every pattern of config.urls,
pages and API, through every include, is filled with the ids of real records and requested by
signed-in people, and again with ids that match nothing (a 404 must not be stored either). A
pattern the sweep does not know how to fill fails, so a new URL cannot escape it.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests import url_sweep
from tests.url_sweep import NOT_IDS, fill, is_cacheable, project_routes
from tests.url_sweep import client_for as _client_for

world = url_sweep.world  # the demo records, shared by the module's tests (a fixture)


def _no_store(response) -> bool:
    directives = {d.strip().lower() for d in response.get("Cache-Control", "").split(",")}
    return "no-store" in directives


# --- The sweep -----------------------------------------------------------------------------------


def test_every_url_pattern_can_be_filled(world, db):
    """A new URL whose arguments the sweep cannot fill fails here, rather than going unchecked."""
    routes = project_routes()
    assert len(routes) > 150
    problems = []
    for route in routes:
        if not route.name:
            problems.append(f"{route.template}: give the pattern a name so the sweep can reverse it")
            continue
        try:
            fill(route, world)
            fill(route, world, missing=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported together
            problems.append(str(error))
    assert not problems, "\n".join(problems)


# Who asks for each part of the site: someone likely to see real records there, so the sweep
# covers full pages and downloads and not only refusals (keyed by the first path segment, or the
# second under api/).
ASKED_BY = {
    "panels": "panel_chair",
    "meetings": "panel_chair",
    "agenda-items": "panel_chair",
    "decisions": "panel_chair",
    "declarations": "panel_chair",
    "letters": "panel_chair",
    "recommendations": "panel_chair",
    "actions": "panel_chair",
    "funding": "finance",
    "administration": "administrator",
}


def _asker(template: str) -> str:
    parts = [p for p in template.lstrip("^").split("/") if p]
    if parts and parts[0] == "api":
        parts = [p.lstrip("^") for p in parts[1:]]
    return ASKED_BY.get(parts[0] if parts else "", "social_worker")


def test_every_answer_to_a_signed_in_person_is_no_store(world, db):
    routes = [r for r in project_routes() if r.name and not is_cacheable(r.template)]
    clients = {key: _client_for(person) for key, person in world.people.items()}
    failures, statuses = [], {}
    for route in routes:
        asks = [(_asker(route.template), fill(route, world))]
        if any(arg not in NOT_IDS for _segment, arg in route.arguments):
            asks.append(("social_worker", fill(route, world, missing=True)))
        for who, url in asks:
            response = clients[who].get(url)
            statuses.setdefault(route.name, set()).add(response.status_code)
            if response.status_code >= 500 or not _no_store(response):
                failures.append(
                    f"{who} GET {url}: {response.status_code} Cache-Control={response.get('Cache-Control')!r}"
                )
    assert not failures, "\n".join(failures)
    # The sweep reached real records, not only refusals.
    for name in (
        "children:detail",
        "referrals:detail",
        "referrals:evidence_download",
        "panels:meeting",
        "panels:letter_pdf",
        "panels:pack_download",
        "funding:detail",
        "pathways:case",
        "child-detail",
        "referral-detail",
        "api-funding-package",
    ):
        assert 200 in statuses[name], f"{name} answered {statuses[name]}"


def test_api_answers_are_no_store_even_without_signing_in(world, db):
    client = Client()
    for url in (
        reverse("child-list"),
        reverse("referral-detail", args=[world["referral"].pk]),
        "/api/nowhere/",
    ):
        response = client.get(url)
        assert response.status_code in {401, 403, 404}
        assert _no_store(response), url


def test_public_pages_and_static_files_stay_cacheable(world, db):
    client = Client()
    assert not _no_store(client.get(reverse("accessibility")))
    assert not _no_store(client.get(reverse("healthz")))


def test_a_weaker_header_from_a_view_is_overridden(rf):
    from types import SimpleNamespace

    from django.http import HttpResponse

    from config.middleware import NoStoreMiddleware

    def view(request):
        response = HttpResponse("child data")
        response["Cache-Control"] = "public, max-age=3600"
        response["Expires"] = "Thu, 01 Jan 2037 00:00:00 GMT"
        return response

    request = rf.get("/children/")
    request.user = SimpleNamespace(is_authenticated=True)
    response = NoStoreMiddleware(view)(request)
    assert response["Cache-Control"] == "no-store, private"
    assert "Expires" not in response


# --- Real downloads, explicitly ------------------------------------------------------------------


def test_evidence_download_is_no_store(world, db):
    client = _client_for(world.people["social_worker"])
    referral, evidence = world["referral"], world["evidence"]
    for url in (
        reverse("referrals:evidence_download", args=[referral.pk, evidence.pk]),
        reverse("referral-evidence-download", kwargs={"pk": referral.pk, "evidence_id": evidence.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body
        assert _no_store(response), url


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("funding:export_csv", "text/csv"),
        ("funding:export_xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_commitment_exports_are_no_store(world, db, name, content_type):
    response = _client_for(world.people["finance"]).get(reverse(name))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert _no_store(response)


@pytest.mark.parametrize("name", ["panels:tracker_csv", "panels:tracker_xlsx"])
def test_tracker_exports_are_no_store(world, db, name):
    response = _client_for(world.people["panel_chair"]).get(reverse(name, args=[world["panel"].pk]))
    assert response.status_code == 200
    assert _no_store(response)


def test_decision_letter_pdf_is_no_store(world, db):
    response = _client_for(world.people["panel_chair"]).get(
        reverse("panels:letter_pdf", args=[world["letter"].pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert _no_store(response)
