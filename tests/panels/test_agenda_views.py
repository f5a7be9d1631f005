"""Agenda and papers pages: access matrix (outsider 404), forms, 409 on a stale version, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from panels import services
from panels.models import AgendaItem, Meeting
from referrals.models import Status
from tests.panels.conftest import CIRCULATION_DAY, at, seat

pytestmark = pytest.mark.django_db


def version(meeting: Meeting) -> int:
    return Meeting.objects.values_list("version", flat=True).get(pk=meeting.pk)


def add_other(meeting, actor, title="Budget update"):
    return services.agenda_item_add_other(actor=actor, meeting=meeting, version=version(meeting), title=title)


def page_urls(meeting, item) -> list[str]:
    return [
        reverse("panels:agenda", args=[meeting.pk]),
        reverse("panels:agenda_add_referral", args=[meeting.pk]),
        reverse("panels:agenda_add_other", args=[meeting.pk]),
        reverse("panels:agenda_item_withdraw", args=[meeting.pk, item.pk]),
        reverse("panels:agenda_item_lead", args=[meeting.pk, item.pk]),
        reverse("panels:meeting_circulate", args=[meeting.pk]),
        reverse("panels:papers", args=[meeting.pk]),
    ]


def post_urls(meeting, item) -> list[str]:
    return [
        reverse("panels:agenda_build", args=[meeting.pk]),
        reverse("panels:agenda_item_move", args=[meeting.pk, item.pk]),
        *page_urls(meeting, item)[1:6],
    ]


def test_outsider_gets_404_everywhere(client, irap_meeting, panel_admin, outsider):
    item = add_other(irap_meeting, panel_admin)
    client.force_login(outsider)
    for url in page_urls(irap_meeting, item):
        assert client.get(url).status_code == 404, url
    for url in post_urls(irap_meeting, item):
        assert client.post(url, {"version": 1}).status_code == 404, url


def test_unknown_ids_are_404_not_500(client, irap_meeting, panel_admin):
    client.force_login(panel_admin)
    assert client.get("/panels/meetings/99999999999999999999/agenda/").status_code == 404
    assert client.get(f"/panels/meetings/{irap_meeting.pk}/agenda/items/abc/lead/").status_code == 404


def test_members_cannot_manage_the_agenda(client, irap_meeting, panel_admin, council_member):
    item = add_other(irap_meeting, panel_admin)
    client.force_login(council_member)
    for url in page_urls(irap_meeting, item)[:6]:
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("panels:agenda_build", args=[irap_meeting.pk]), {"version": 1})
    assert response.status_code == 403


def test_papers_page_before_and_after_circulation(client, clock, irap_meeting, panel_admin, icb_member):
    add_other(irap_meeting, panel_admin)
    client.force_login(icb_member)
    url = reverse("panels:papers", args=[irap_meeting.pk])
    response = client.get(url)
    assert response.status_code == 403
    assert "papers for this meeting are not available to you" in response.content.decode()

    clock.move_to(at(CIRCULATION_DAY), tick=False)
    services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))
    client.force_login(icb_member)  # a month on: a fresh session
    response = client.get(url)
    assert response.status_code == 200
    assert "Until the end of Thursday 9 April 2026" in response.content.decode()


def test_administrator_builds_orders_and_circulates(
    client, irap, irap_meeting, make_submitted, another_child, panel_admin, icb_member
):
    first = make_submitted()
    second = make_submitted(child=another_child)
    client.force_login(panel_admin)
    agenda_url = reverse("panels:agenda", args=[irap_meeting.pk])
    assert client.get(agenda_url).status_code == 200

    response = client.post(
        reverse("panels:agenda_build", args=[irap_meeting.pk]), {"version": version(irap_meeting)}
    )
    assert response.status_code == 302
    items = list(AgendaItem.objects.filter(meeting=irap_meeting).order_by("position"))
    assert [i.referral_id for i in items] == [first.pk, second.pk]

    client.post(
        reverse("panels:agenda_item_move", args=[irap_meeting.pk, items[1].pk]),
        {"version": version(irap_meeting), "direction": "up"},
    )
    assert list(
        AgendaItem.objects.filter(meeting=irap_meeting)
        .order_by("position")
        .values_list("referral_id", flat=True)
    ) == [second.pk, first.pk]

    response = client.post(
        reverse("panels:agenda_item_lead", args=[irap_meeting.pk, items[0].pk]),
        {"version": version(irap_meeting), "lead_member": seat(irap, icb_member).pk},
    )
    assert response.status_code == 302

    circulate_url = reverse("panels:meeting_circulate", args=[irap_meeting.pk])
    assert "Circulate the papers" in client.get(circulate_url).content.decode()
    response = client.post(circulate_url, {"version": version(irap_meeting)})
    assert response.status_code == 302
    assert response.url == reverse("panels:papers", args=[irap_meeting.pk])
    irap_meeting.refresh_from_db()
    assert irap_meeting.circulated_at is not None


def test_stale_version_is_a_409_page(client, irap_meeting, panel_admin):
    item = add_other(irap_meeting, panel_admin)
    add_other(irap_meeting, panel_admin, "Second")
    client.force_login(panel_admin)
    response = client.post(
        reverse("panels:agenda_item_move", args=[irap_meeting.pk, item.pk]),
        {"version": 1, "direction": "down"},
    )
    assert response.status_code == 409
    assert "Someone else changed this agenda" in response.content.decode()


def test_form_errors_keep_what_was_typed(client, irap_meeting, panel_admin):
    add_other(irap_meeting, panel_admin)
    client.force_login(panel_admin)
    response = client.post(
        reverse("panels:agenda_add_other", args=[irap_meeting.pk]),
        {"version": version(irap_meeting), "title": "", "description": "Kept text"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Enter a title for the item" in body
    assert "Kept text" in body

    response = client.post(reverse("panels:meeting_circulate", args=[irap_meeting.pk]), {"version": "x"})
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()


def test_withdraw_page(client, irap_meeting, submitted_referral, panel_admin):
    item = services.agenda_item_add_referral(
        actor=panel_admin, meeting=irap_meeting, referral=submitted_referral, version=version(irap_meeting)
    )
    client.force_login(panel_admin)
    url = reverse("panels:agenda_item_withdraw", args=[irap_meeting.pk, item.pk])
    response = client.post(url, {"version": version(irap_meeting), "reason": ""})
    assert "Enter why the item is withdrawn" in response.content.decode()
    response = client.post(url, {"version": version(irap_meeting), "reason": "Family moved"})
    assert response.status_code == 302
    submitted_referral.refresh_from_db()
    assert submitted_referral.status == Status.SUBMITTED


def test_late_papers_are_shown_for_the_chair(client, clock, irap_meeting, make_submitted, panel_chair):
    clock.move_to(at(CIRCULATION_DAY), tick=False)
    late = make_submitted()
    client.force_login(panel_chair)
    body = client.get(reverse("panels:agenda", args=[irap_meeting.pk])).content.decode()
    assert "Late papers waiting for the chair" in body
    assert reverse("referrals:accept_late", args=[late.pk]) in body
    assert reverse("referrals:move", args=[late.pk]) in body
    # It is not offered on the add form until accepted.
    form = client.get(reverse("panels:agenda_add_referral", args=[irap_meeting.pk]))
    offered = {value for value, _label in form.context["form"].fields["referral"].choices}
    assert late.pk not in offered and str(late.pk) not in offered


@pytest.fixture
def full_agenda(irap, irap_meeting, make_submitted, panel_admin, icb_member):
    """22 items: two referrals with a lead member, twenty any-other-business items."""
    for _ in range(2):
        referral = make_submitted()
        services.agenda_item_add_referral(
            actor=panel_admin,
            meeting=irap_meeting,
            referral=referral,
            version=version(irap_meeting),
            lead_member=seat(irap, icb_member),
        )
    for n in range(20):
        item = add_other(irap_meeting, panel_admin, f"Item {n}")
        services.agenda_item_set_lead(
            actor=panel_admin, item=item, version=version(irap_meeting), lead_member=seat(irap, icb_member)
        )
    return irap_meeting


def test_agenda_page_query_count(client, full_agenda, panel_admin, django_assert_max_num_queries):
    client.force_login(panel_admin)
    # session, user, savepoint, meeting+panel, (can_administer answers from the role: no query),
    # items with referral/child/lead member/person/agency, candidates (scoped, one query), can_chair
    # (membership), closure days, circulated-by, the one read-log insert (issue 12), the header's
    # two counts (referrals, notices), release, and the session save (savepoint, update, release).
    # No query per item.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("panels:agenda", args=[full_agenda.pk]))
    assert response.status_code == 200
    assert response.content.decode().count("agenda_item_move") == 0  # URLs rendered, names not
    assert response.content.decode().count("/move/") >= 40


def test_papers_page_query_count(
    client, clock, full_agenda, panel_admin, icb_member, django_assert_max_num_queries
):
    clock.move_to(at(CIRCULATION_DAY), tick=False)
    services.meeting_circulate(actor=panel_admin, meeting=full_agenda, version=version(full_agenda))
    client.force_login(icb_member)
    # session, user, savepoint, meeting+panel, the user's grants, can_administer (membership),
    # items with referral/child/lead member/person/agency, closure days, the one read-log insert
    # (issue 12), the header's two counts (referrals, notices), release, and the session save
    # (savepoint, update, release). No query per item.
    with django_assert_max_num_queries(15):
        response = client.get(reverse("panels:papers", args=[full_agenda.pk]))
    assert response.status_code == 200
    assert response.content.decode().count("Irene Grant") >= 22  # one per item, and the header
