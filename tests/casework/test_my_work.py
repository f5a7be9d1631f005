"""My work (issue 16): everything waiting for each persona, from every app's sources, scoped by
each app's access rules; the navigation count equals the list; a fixed number of queries whatever
the number of items; the API gives the same list.

The clock and panel are the panels fixtures': Monday 2 March 2026; Hampshire IRAP meets on
Thursday 9 April 2026 (papers due Friday 27 March, circulated Wednesday 1 April).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from casework.models import Role
from casework.my_work import GROUP_SHOWN, my_work_count, my_work_items
from panels.models import AgencyRecommendation, Decision
from tests.factories import (
    ActionFactory,
    MeetingFactory,
    UserFactory,
    referral_row,
    signed_decision_for,
)
from tests.funding.conftest import *  # noqa: F403  (the panels and funding fixtures)
from tests.funding.conftest import terms

D = dt.date


def kinds(user) -> list[str]:
    return sorted(item.kind for item in my_work_items(user=user))


@pytest.fixture
def early_meeting(irap):
    """Thursday 5 March 2026: its papers were due before today, so a submission now is late."""
    return MeetingFactory(panel=irap, date=D(2026, 3, 5))


@pytest.fixture
def held_meeting(irap):
    """Thursday 26 February 2026: held; letters and minutes due 3 working days after it."""
    return MeetingFactory(panel=irap, date=D(2026, 2, 26))


def _item_with_decision(*, meeting, referral, actor, position=1, signed_by=None):
    from panels.models import AgendaItem

    item = AgendaItem.objects.create(
        meeting=meeting,
        kind="referral",
        referral=referral,
        title="Joint package",
        added_by=actor,
        position=position,
    )
    if signed_by is not None:
        return signed_decision_for(item, chair=signed_by)
    return Decision.objects.create(
        agenda_item=item,
        referral=referral,
        outcome="agreed_as_recommended",
        rationale="Meets her needs.",
        recorded_by=actor,
    )


@pytest.fixture
def low_limit_icb_finance(hiow_icb):
    """Lena Small, an ICB finance approver whose limit (£1,000 a year) covers no share here."""
    return UserFactory(
        full_name="Lena Small",
        agency=hiow_icb,
        roles=[Role.FINANCE_APPROVER],
        delegated_limit=Decimal("1000.00"),
    )


@pytest.fixture
def make_world(
    irap,
    social_worker,
    team_manager,
    panel_chair,
    panel_admin,
    hampshire,
    hiow_icb,
    sen,
    council_finance,
    provider,
    clock,
):
    """make_world(n) → n items of every kind for the personas, in every app."""
    from funding import services as funding_services
    from tests.factories import ChildFactory

    made = [0]  # meetings are one a day: a second call carries on from the first's days

    def make(n: int):
        first = made[0]
        made[0] += n
        children = [
            ChildFactory(owning_agency=hampshire, created_by=social_worker, involved=[hiow_icb, sen])
            for _ in range(n)
        ]
        base = D(2026, 3, 3)
        for i, child in enumerate(children, start=first):
            # Referrals: a draft, one returned, one ready, one waiting for the team manager.
            referral_row(child=child, panel=irap, referrer=social_worker, status="draft")
            referral_row(child=child, panel=irap, referrer=social_worker, status="returned")
            referral_row(child=child, panel=irap, referrer=social_worker, status="ready_to_submit")
            referral_row(child=child, panel=irap, referrer=social_worker, status="awaiting_team_manager")
            # A meeting ahead (agenda to circulate) with a late paper on it and a draft decision.
            ahead = MeetingFactory(panel=irap, date=base + dt.timedelta(days=i))
            referral_row(
                child=child,
                panel=irap,
                referrer=social_worker,
                status="submitted",
                meeting=ahead,
                is_late_paper=True,
            )
            on_agenda = referral_row(
                child=child, panel=irap, referrer=social_worker, status="on_agenda", meeting=ahead
            )
            _item_with_decision(meeting=ahead, referral=on_agenda, actor=panel_admin)
            # A held meeting owing its letters and minutes, whose decision recommends to SEN.
            held = MeetingFactory(panel=irap, date=D(2026, 2, 27) - dt.timedelta(days=i))
            decided = referral_row(
                child=child, panel=irap, referrer=social_worker, status="decided", meeting=held
            )
            decision = _item_with_decision(
                meeting=held, referral=decided, actor=panel_admin, signed_by=panel_chair
            )
            # Its review is due in 10 days (IRAP reminds 28 days before), and an action is owed.
            Decision.objects.filter(pk=decision.pk).update(review_date=D(2026, 3, 12))
            ActionFactory(
                panel=irap, agenda_item=decision.agenda_item, owners=[social_worker], due_on=D(2026, 3, 20)
            )
            AgencyRecommendation.objects.create(
                decision=decision, agency=sen, due_on=D(2026, 3, 2) + dt.timedelta(days=i % 3 - 1)
            )
            # A package the council's finance approver recorded: 50/50 with the ICB.
            funding_services.package_create_existing(
                actor=council_finance,
                child=child,
                pathway="joint_package",
                terms=terms(
                    provider,
                    (hampshire, "percentage", "50"),
                    (hiow_icb, "percentage", "50"),
                    cost=str(1000 + i),
                ),
            )
        return children

    return make


PERSONA_KINDS = {
    "social_worker": {
        "referral.draft": 1,
        "referral.returned": 1,
        "referral.ready_to_submit": 1,
        "referral.awaiting_sign_off": 1,
        "panels.action_owed": 1,
        "panels.review_due": 1,
    },
    "team_manager": {"referral.sign_off": 1},
    "panel_chair": {
        "panels.late_paper": 1,
        "panels.agenda_to_circulate": 1,
        "panels.decision_to_sign": 1,
        "panels.letters_due": 1,
        "panels.minutes_due": 1,
        "panels.recommendation_awaited": 1,
    },
    "panel_admin": {
        "panels.agenda_to_circulate": 1,
        "panels.letters_due": 1,
        "panels.minutes_due": 1,
        "panels.recommendation_awaited": 1,
    },
    "sen_manager": {"panels.recommendation_to_answer": 1},
    "council_finance": {"funding.share_to_approve": 1, "funding.share_waiting": 1},
    "icb_finance": {"funding.share_to_approve": 1},
    "low_limit_icb_finance": {"funding.share_above_my_limit": 1},
    "outsider": {},
}


def _expected(persona: str, n: int) -> list[str]:
    return sorted(kind for kind, per in PERSONA_KINDS[persona].items() for _ in range(per * n))


@pytest.fixture
def personas(request, icb_finance, low_limit_icb_finance, sen_manager, outsider):
    return {name: request.getfixturevalue(name) for name in PERSONA_KINDS}


def test_each_persona_sees_their_items_and_nothing_else(make_world, personas):
    children = make_world(2)
    for name, person in personas.items():
        assert kinds(person) == _expected(name, 2), name
        assert my_work_count(user=person) == len(_expected(name, 2)), name
    # Every child on an item is one of this partnership's: the outsider's list is empty.
    assert my_work_items(user=personas["outsider"]) == []
    named = {item.child.pk for item in my_work_items(user=personas["panel_chair"]) if item.child}
    assert named <= {c.pk for c in children}


def test_items_are_sorted_overdue_first_then_by_due_date(make_world, personas):
    make_world(3)
    items = my_work_items(user=personas["sen_manager"])
    # Recommendations due 1, 2 and 3 March; today is 2 March: the one due yesterday is overdue.
    assert [(i.due_on, i.overdue) for i in items] == [
        (D(2026, 3, 1), True),
        (D(2026, 3, 2), False),
        (D(2026, 3, 3), False),
    ]
    chair = my_work_items(user=personas["panel_chair"])
    keys = [(not i.overdue, i.due_on is None, i.due_on or D.max) for i in chair]
    assert keys == sorted(keys)
    # Letters and minutes of the meeting of Friday 27 February were due 3 working days after it.
    letters = [i for i in chair if i.kind == "panels.letters_due" and "27 February" in i.title]
    assert letters[0].due_on == D(2026, 3, 4) and not letters[0].overdue
    overdue_letters = [i for i in chair if i.kind == "panels.letters_due" and "25 February" in i.title]
    assert overdue_letters[0].due_on == D(2026, 3, 2) and not overdue_letters[0].overdue


def test_working_day_due_dates(make_world, personas, irap_meeting):
    make_world(1)
    mine = {i.kind: i for i in my_work_items(user=personas["social_worker"])}
    # Not yet submitted: due by the papers deadline of IRAP's next meeting still open for papers.
    # Tuesday 3 March's deadline has passed; Thursday 9 April's papers are due 7 working days
    # before it, across Easter: Friday 27 March (seeds 002).
    assert mine["referral.draft"].due_on == D(2026, 3, 27)
    assert mine["referral.ready_to_submit"].due_on == D(2026, 3, 27)
    shares = {i.kind: i for i in my_work_items(user=personas["icb_finance"])}
    # A share is due 2 working days after it started waiting (the default setting; no panel).
    assert shares["funding.share_to_approve"].due_on == D(2026, 3, 4)


def test_waiting_for_names_who_can_act(make_world, personas):
    make_world(1)
    (above,) = my_work_items(user=personas["low_limit_icb_finance"])
    assert above.waiting_for == "Ian Ledger" and "above your delegated limit" in above.title
    waiting = [
        i for i in my_work_items(user=personas["council_finance"]) if i.kind == "funding.share_waiting"
    ]
    assert waiting[0].waiting_for == "Ian Ledger"
    (sign,) = [i for i in my_work_items(user=personas["social_worker"]) if i.waiting_for]
    assert sign.kind == "referral.awaiting_sign_off" and "team manager" in sign.waiting_for


def test_a_share_above_every_limit_is_shown_to_the_agencys_approvers(make_world, personas, icb_finance):
    icb_finance.delegated_limit = Decimal("500.00")
    icb_finance.save(update_fields=["delegated_limit"])
    make_world(1)
    for person in (icb_finance, personas["low_limit_icb_finance"]):
        (item,) = my_work_items(user=person)
        assert item.kind == "funding.share_above_every_limit"
        assert item.waiting_for == "A finance approver with a higher delegated limit"


def test_page_lists_the_work_and_the_navigation_counts_it(client, make_world, personas):
    make_world(2)
    chair = personas["panel_chair"]
    client.force_login(chair)
    page = client.get(reverse("my_work"))
    assert page.status_code == 200
    body = page.content.decode()
    assert len(page.context["items"]) == 12
    assert 'data-my-work-count="12"' in body
    for heading in ("Before the meeting", "Decisions to sign", "After the meeting"):
        assert heading in body
    # Another page counts the same list in the header without building it.
    other = client.get(reverse("children:list")).content.decode()
    assert 'data-my-work-count="12"' in other
    assert client.get(reverse("home")).context["items"] == page.context["items"]


def test_empty_state_and_no_count_for_the_outsider(client, make_world, personas):
    make_world(1)
    client.force_login(personas["outsider"])
    body = client.get(reverse("my_work")).content.decode()
    assert "There is nothing waiting for you." in body
    assert "data-my-work-count" not in body
    assert client.get(reverse("api-my-work")).json() == {
        "count": 0,
        "overdue": 0,
        "overdue_exact": True,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_api_equals_the_page(client, make_world, personas):
    make_world(2)
    for name in ("social_worker", "panel_chair", "council_finance", "sen_manager"):
        client.force_login(personas[name])
        page = client.get(reverse("my_work")).context["items"]
        api = client.get(reverse("api-my-work")).json()
        assert api["count"] == len(page)
        assert [(r["kind"], r["title"], r["url"], r["due_on"]) for r in api["results"]] == [
            (i.kind, i.title, i.url, i.due_on.isoformat() if i.due_on else None) for i in page
        ]
        assert [r["child"]["id"] if r["child"] else None for r in api["results"]] == [
            i.child.pk if i.child else None for i in page
        ]


def _queries(client, person, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(person)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_api_lists_the_whole_list_a_page_at_a_time(client, make_world, personas):
    """The API's pages (the REST framework's PAGE_SIZE, 25) together are the whole list, most
    urgent first, each page in the same queries; a page past the last, or not a number, is a 404."""
    make_world(GROUP_SHOWN + 2)
    person = personas["social_worker"]
    everything = my_work_items(user=person)
    assert len(everything) == 72
    url = reverse("api-my-work")
    pages = []
    counts = []
    for number in (1, 2, 3):
        counts.append(_queries(client, person, f"{url}?page={number}"))
        pages.append(client.get(url, {"page": number}).json())
    assert [len(page["results"]) for page in pages] == [25, 25, 22]
    assert {page["count"] for page in pages} == {72}
    assert pages[0]["previous"] is None and pages[0]["next"].endswith(f"{url}?page=2")
    assert pages[1]["previous"].endswith(url) and pages[1]["next"].endswith(f"{url}?page=3")
    assert pages[2]["previous"].endswith(f"{url}?page=2") and pages[2]["next"] is None
    listed = [item for page in pages for item in page["results"]]
    assert sorted(i["url"] for i in listed) == sorted(i.url for i in everything)
    assert [i["due_on"] for i in listed] == [i.due_on.isoformat() if i.due_on else None for i in everything]
    overdue = sum(1 for i in everything if i.overdue)
    assert pages[2]["overdue"] == overdue and pages[2]["overdue_exact"]
    assert pages[0]["overdue"] <= overdue
    assert len(set(counts)) == 1, counts
    for bad in (4, 0, "x", "9" * 30):
        assert client.get(url, {"page": bad}).status_code == 404


@pytest.mark.parametrize(
    "name", ["social_worker", "team_manager", "panel_chair", "council_finance", "sen_manager"]
)
def test_query_count_does_not_grow_with_the_items(client, make_world, personas, name):
    make_world(1)
    few = _queries(client, personas[name], reverse("my_work"))
    make_world(20)
    assert len(my_work_items(user=personas[name])) >= 21 * sum(PERSONA_KINDS[name].values())
    assert _queries(client, personas[name], reverse("my_work")) == few
    assert _queries(client, personas[name], reverse("api-my-work")) <= few


def test_my_work_page_query_count_is_pinned(client, make_world, personas, django_assert_max_num_queries):
    make_world(21)
    client.force_login(personas["panel_chair"])
    # session, user with agency, savepoint; the feeds, one query each: referrals awaiting the
    # chair's signature as a panel member (none), late papers, meetings to circulate, draft
    # decisions, meetings owing letters, meetings owing minutes, recommendations to the chair's
    # agency, recommendations the panel awaits, actions owned, reviews due, the shares of packages
    # the chair made, funding disputes to settle or raised, transition steps, RSGs and ERGs chaired;
    # the panels' closure days once for each of the 4 feeds with rows; which children the chair may
    # open; the page's children counts (3); the header's counts (the notices count, with this
    # list's length) and the sign-off count; release and session save (savepoint, update,
    # release): 33 at most, whatever the number of items
    with django_assert_max_num_queries(33):
        response = client.get(reverse("my_work"))
    # Four groups, each listing its first GROUP_SHOWN items; the count is all of them.
    assert response.context["my_work"].count == 21 * 6
    assert len(response.context["items"]) == 4 * GROUP_SHOWN


# --- The first items of each group, and "See all" (issue 16: speed at national size) -------------


def _group_of(items, heading):
    return [i for i in items if i.group == heading]


def test_page_lists_each_groups_first_items_and_its_number(client, make_world, personas):
    make_world(GROUP_SHOWN + 2)
    person = personas["social_worker"]
    full = my_work_items(user=person)
    client.force_login(person)
    page = client.get(reverse("my_work"))
    body = page.content.decode()
    groups = {g.heading: g for g in page.context["groups"]}
    assert groups.keys() == {i.group for i in full}
    for heading, group in groups.items():
        everything = _group_of(full, heading)
        assert group.count == len(everything)
        assert len(group.items) == GROUP_SHOWN
        # The group's most urgent items (equally urgent ones in the feeds' order).
        assert [i.urgency for i in group.items] == sorted(i.urgency for i in everything)[:GROUP_SHOWN]
        assert set(group.items) <= set(everything)
    # The navigation counts every item, not the ones listed.
    assert page.context["my_work"].count == len(full) == my_work_count(user=person)
    assert f'data-my-work-count="{len(full)}"' in body
    assert f"{len(full)} things waiting for you" in body
    assert groups["Your referrals"].count == 4 * (GROUP_SHOWN + 2)
    link = reverse("my_work_group", args=["your-referrals"])
    assert f'href="{link}"' in body and f"See all {4 * (GROUP_SHOWN + 2)}" in body


def test_see_all_lists_the_whole_group_a_page_at_a_time(client, make_world, personas):
    from casework.my_work import GROUP_PAGE_SIZE

    make_world(GROUP_SHOWN + 2)
    person = personas["social_worker"]
    everything = _group_of(my_work_items(user=person), "Your referrals")
    assert len(everything) == 48
    client.force_login(person)
    url = reverse("my_work_group", args=["your-referrals"])
    first = client.get(url)
    assert first.status_code == 200
    home = {g.heading: g for g in client.get(reverse("my_work")).context["groups"]}
    # Its first items are the ones My work lists.
    assert first.context["group"].items[:GROUP_SHOWN] == home["Your referrals"].items
    second = client.get(url, {"page": 2})
    listed = first.context["group"].items + second.context["group"].items
    assert len(first.context["group"].items) == GROUP_PAGE_SIZE
    assert sorted(i.url for i in listed) == sorted(i.url for i in everything)
    assert [i.urgency for i in listed] == sorted(i.urgency for i in everything)
    body = first.content.decode()
    assert 'class="govuk-pagination"' in body and 'href="?page=2"' in body
    assert "48 items, the most urgent first. Showing 1 to 25." in body
    assert "Showing 26 to 48." in second.content.decode()
    # A page past the last shows the last; a page that is not a number, the first.
    assert client.get(url, {"page": 99}).context["page"].number == 2
    assert client.get(url, {"page": "x"}).context["page"].number == 1
    assert client.get(url, {"page": "9" * 30}).context["page"].number == 2
    assert client.get(reverse("my_work_group", args=["no-such-group"])).status_code == 404


def test_see_all_is_empty_for_someone_with_nothing_under_it(client, make_world, personas):
    make_world(1)
    client.force_login(personas["outsider"])
    page = client.get(reverse("my_work_group", args=["your-referrals"]))
    assert page.status_code == 200
    assert "There is nothing here waiting for you." in page.content.decode()


# Each persona's busiest group, for its "See all" page.
SEE_ALL = {
    "social_worker": "your-referrals",
    "panel_chair": "after-the-meeting",
    "council_finance": "funding-shares-to-approve",
    "low_limit_icb_finance": "funding-waiting-for-someone-else",
}


@pytest.mark.parametrize("name", list(SEE_ALL))
def test_page_and_see_all_take_the_same_queries_for_1_and_30_items_a_group(
    client, make_world, personas, name
):
    person = personas[name]
    make_world(1)
    group = reverse("my_work_group", args=[SEE_ALL[name]])
    few = _queries(client, person, reverse("my_work"))
    few_all = _queries(client, person, group)
    make_world(29)
    assert len(my_work_items(user=person)) == 30 * sum(PERSONA_KINDS[name].values())
    assert _queries(client, person, reverse("my_work")) == few
    assert _queries(client, person, group) == few_all


# --- Statements pinned at 1 and 30+ items (issue 16: a fixed number whatever the items) ---------

# Each persona's page and API at most, the same at 1 and 31 items of each kind. The page: session,
# user with agency, savepoint; the person's panel seats (one query: whether they chair or
# administer any panel, so the feeds they cannot have are left out); one query per feed they can
# have, and each feed's bulk look-ups when it has rows (closure days, next meetings, approvers);
# which children they may open; the home page's children counts; the header's unread notices (with
# this list's length) and the sign-off count; release and the session's update. The API: the same
# feeds and look-ups without the home page's counts and the header.
PINNED = {"social_worker": (23, 20), "panel_chair": (32, 28), "council_finance": (25, 21)}


@pytest.mark.parametrize("name", list(PINNED))
def test_page_and_api_statements_are_pinned_at_1_and_31_items(
    client, make_world, personas, name, django_assert_max_num_queries
):
    person = personas[name]
    page_most, api_most = PINNED[name]
    client.force_login(person)
    made = 0
    for n in (1, 30):
        make_world(n)
        made += n
        with django_assert_max_num_queries(page_most):
            assert client.get(reverse("my_work")).status_code == 200
        with django_assert_max_num_queries(api_most):
            body = client.get(reverse("api-my-work")).json()
        assert body["count"] == len(_expected(name, made))


def test_feeds_a_person_cannot_have_are_left_out(make_world, personas, django_assert_max_num_queries):
    """Decided from the person's roles and, in one query, their panel seats: a social worker who
    chairs and administers no panel gets none of the chair's or administrator's feeds; the header's
    count (built from the person alone) keeps every feed and counts the same."""
    from casework.my_work import _feeds, _known_feeds
    from panels.my_work import GROUP_AFTER, GROUP_BEFORE, GROUP_DECISIONS

    make_world(1)
    chair_groups = {GROUP_BEFORE, GROUP_DECISIONS, GROUP_AFTER}
    social_worker = personas["social_worker"]
    with django_assert_max_num_queries(1):  # the seats
        known = _known_feeds(social_worker)
    assert not chair_groups & {feed.group for feed in known}
    assert len(known) < len(_feeds(social_worker))
    assert chair_groups <= {feed.group for feed in _known_feeds(personas["panel_chair"])}
    for person in personas.values():
        assert my_work_count(user=person) == len(my_work_items(user=person)), person
