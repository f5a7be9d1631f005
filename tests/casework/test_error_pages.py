"""Error pages stay light: a 404, 403 or 409 shows the service's header without its counts.

A signed-in person probing ids (or following a stale link) gets one cheap page each time, not the
whole My work count; the count is on every other page (tests/casework/test_my_work*.py).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_404_to_a_signed_in_person_keeps_the_header_but_not_its_counts(
    client, social_worker, child, django_assert_max_num_queries
):
    client.force_login(social_worker)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("children:detail", args=[child.pk + 10_000]))
    assert response.status_code == 404
    page = response.content.decode()
    assert "My work" in page and "Sign out" in page
    assert "data-my-work-count" not in page
    assert "unread" not in page


def test_another_agency_s_child_is_the_same_light_404(client, outsider, child, django_assert_max_num_queries):
    client.force_login(outsider)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("children:detail", args=[child.pk]))
    assert response.status_code == 404
    assert "data-my-work-count" not in response.content.decode()
