"""An /api/ query parameter given more than once is a 400 naming it (config.middleware.OneValueEachMiddleware):
Django would otherwise serve the last value quietly, so `?page=1&page=9` answered as page 9."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    "path", ["/api/children/", "/api/agencies/", "/api/my-work/", "/api/recommendations/"]
)
def test_a_repeated_page_is_a_400_naming_it(social_worker, child, path):
    response = _as(social_worker).get(f"{path}?page=1&page=2")
    assert response.status_code == 400
    assert response.json() == {"page": ["Give page once: it was given 2 times."]}


def test_every_repeated_parameter_is_named_and_a_single_one_still_works(social_worker, child):
    client = _as(social_worker)
    response = client.get("/api/children/?q=a&q=b&page=1&page=1&page=1")
    assert response.status_code == 400
    assert response.json() == {
        "q": ["Give q once: it was given 2 times."],
        "page": ["Give page once: it was given 3 times."],
    }
    assert client.get("/api/children/?q=a&page=1").status_code == 200


def test_pages_keep_their_own_query_strings(social_worker, client):
    """Only the API is held to one value each: a page's form may send a field twice."""
    client.force_login(social_worker)
    assert client.get("/children/?q=a&q=b").status_code == 200


def test_problem_details_for_a_client_that_asks(social_worker, child):
    response = _as(social_worker).get("/api/children/?page=1&page=2", HTTP_ACCEPT="application/problem+json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"] == {"page": ["Give page once: it was given 2 times."]}
