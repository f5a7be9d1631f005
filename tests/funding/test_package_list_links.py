"""No link to a page the person cannot use (issue 16): "My agency's commitments" is offered on the
funding packages page only to those who may open it (funding.access.can_see_commitments)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse


def links_to_commitments(person) -> tuple[bool, int]:
    client = Client()
    client.force_login(person)
    page = client.get(reverse("funding:list")).content.decode()
    return f'href="{reverse("funding:commitments")}"' in page, client.get(
        reverse("funding:commitments")
    ).status_code


def test_commitments_are_linked_for_finance_and_not_for_a_social_worker(
    social_worker, council_finance, auditor
):
    assert links_to_commitments(social_worker) == (False, 403)
    assert links_to_commitments(council_finance) == (True, 200)
    assert links_to_commitments(auditor) == (True, 200)
