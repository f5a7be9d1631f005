"""The demo (`make run`'s seed_demo) shows real waits on Where cases wait (issue 18): Hampshire's
panel administrator sees referrals, pathway cases, funding approvals and a recommendation to an
absent agency, held by more than one agency; Leicester's sees its own escalation and case; neither
sees the other partnership's children."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from casework.models import Child, User
from reporting.selectors import waiting
from tests.demo_clock import at_midday_today


@pytest.fixture
def demo(db, private_storage):
    with at_midday_today():
        call_command("seed_demo", "--no-history", stdout=None)


def _person(name: str) -> User:
    return User.objects.select_related("agency").get(full_name=name)


def test_the_demo_shows_real_waits_in_each_partnership(demo):
    with at_midday_today():
        hants = waiting(user=_person("Paul Adeyemi"))
        leics = waiting(user=_person("Omar Shah"))
        page = Client()
        page.force_login(_person("Paul Adeyemi"))
        body = page.get("/reports/waiting/").content.decode()
    assert {"referral", "pathway", "funding", "recommendation"} <= {i.kind for i in hants.items}
    assert len(hants.totals) >= 3
    assert {"escalation", "pathway"} <= {i.kind for i in leics.items}
    hants_children = set(
        Child.objects.filter(owning_agency__partnership="Hampshire and Isle of Wight").values_list(
            "pk", flat=True
        )
    )
    assert {i.child_id for i in hants.items} <= hants_children
    assert not {i.child_id for i in leics.items} & hants_children
    assert f"{hants.count} items waiting" in body
