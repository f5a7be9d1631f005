"""Funding disputes on My work (funding/my_work.py, issue 16): the deciding panel's administrators
settle an open dispute (at the meeting it is listed for, or list it by hand when none was
scheduled); the approver who raised it sees it as waiting for the panel."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from casework.my_work import my_work_count, my_work_items
from funding import services
from tests.panels.conftest import at

D = dt.date
ICB = "NHS Hampshire and Isle of Wight ICB"


def shares_of(package):
    package.refresh_from_db()
    return {s.agency.name: s for s in package.current_version.shares.select_related("agency")}


def _of(user, prefix="funding.dispute"):
    return [i for i in my_work_items(user=user) if i.kind.startswith(prefix)]


def test_a_listed_dispute_is_the_panels_to_settle_and_the_raiser_waits(
    three_way, panel_admin, icb_finance, next_meeting, outsider, clock
):
    package = services.package_create_from_decision(actor=panel_admin, decision=three_way)
    clock.move_to(at(D(2026, 4, 20)), tick=False)
    share = shares_of(package)[ICB]
    services.share_dispute(actor=icb_finance, share=share, expected_version=1, reason="Not health need")
    (settle,) = _of(panel_admin)
    assert settle.kind == "funding.dispute_to_settle"
    assert settle.due_on == next_meeting.date and not settle.overdue
    assert settle.url == reverse("funding:detail", args=[package.pk])
    assert settle.child.pk == package.child_id and ICB in settle.title
    (raised,) = _of(icb_finance)
    assert raised.kind == "funding.dispute_raised" and raised.waiting_for == package.panel.name
    assert _of(outsider) == [] and my_work_count(user=outsider) == 0
    assert my_work_count(user=panel_admin) == len(my_work_items(user=panel_admin))
    # Approved after all: the dispute is settled and leaves both lists.
    services.share_approve(actor=icb_finance, share=shares_of(package)[ICB], expected_version=1)
    assert _of(panel_admin) == [] and _of(icb_finance) == []


def test_an_unlisted_dispute_asks_to_be_listed(three_way, panel_admin, icb_finance, clock):
    package = services.package_create_from_decision(actor=panel_admin, decision=three_way)
    clock.move_to(at(D(2026, 4, 20)), tick=False)
    services.share_dispute(
        actor=icb_finance, share=shares_of(package)[ICB], expected_version=1, reason="Not health need"
    )
    (item,) = _of(panel_admin)
    assert item.kind == "funding.dispute_to_list" and item.due_on is None
    assert "No meeting of the deciding panel is scheduled" in item.detail


def test_query_count_does_not_grow_with_disputes(
    client,
    make_decision,
    make_submitted,
    panel_admin,
    icb_finance,
    hampshire,
    hiow_icb,
    next_meeting,
    clock,
    django_assert_max_num_queries,
):
    from decimal import Decimal

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ChildFactory

    packages = []
    for _ in range(21):
        child = ChildFactory(owning_agency=hampshire, involved=[hiow_icb])
        decision = make_decision(
            shares=[(hampshire, "percentage", Decimal("50")), (hiow_icb, "percentage", Decimal("50"))],
            referral=make_submitted(child=child),
        )
        packages.append(services.package_create_from_decision(actor=panel_admin, decision=decision))

    def dispute(some):
        for package in some:
            services.share_dispute(
                actor=icb_finance, share=shares_of(package)[ICB], expected_version=1, reason="No"
            )

    clock.move_to(at(D(2026, 4, 20)), tick=False)
    dispute(packages[:1])
    client.force_login(panel_admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("my_work"))
    dispute(packages[1:])
    # The same queries for 21 disputes as for one: one feed each for settling and raised.
    with django_assert_max_num_queries(len(few)):
        page = client.get(reverse("my_work"))
    # The page lists the group's first items and counts them all; the whole list has every one.
    assert [i.kind for i in my_work_items(user=panel_admin)].count("funding.dispute_to_settle") == 21
    assert page.context["my_work"].count == my_work_count(user=panel_admin)
