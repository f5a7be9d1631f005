"""The children pages, as people use them: through the test client, on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.models import AccessRequest, ChildViewLog, Involvement, ParentCarer, Role
from tests.factories import ChildFactory, UserFactory


def _without_nonce(html: bytes) -> bytes:
    """A page without its per-request values (CSP nonce, CSRF token), for comparing two pages."""
    return re.sub(rb'(nonce|value)="[^"]*"', b"", html)


def _register_data(**overrides):
    data = {
        "given_name": "Ruby",
        "family_name": "Stone",
        "preferred_name": "",
        "date_of_birth": "02/03/2015",
        "nhs_number": "",
        "case_number": "",
        "gender": "female",
        "legal_status": "none",
        "sharing_basis": "statutory",
    }
    data.update(overrides)
    return data


@pytest.fixture
def sam_client(client, social_worker):
    client.force_login(social_worker)
    return client


def test_anonymous_people_are_sent_to_sign_in(client, child):
    response = client.get(reverse("children:detail", args=[child.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_sign_in_with_email_and_password(client, social_worker):
    response = client.post(
        reverse("login"),
        {"username": social_worker.email, "password": "correct horse battery staple"},
        follow=True,
    )
    assert response.status_code == 200
    assert b"My work" in response.content


def test_list_shows_my_agencys_children_only(sam_client, child, leicester_child):
    response = sam_client.get(reverse("children:list"))
    assert response.status_code == 200
    assert child.family_name.upper().encode() in response.content
    assert leicester_child.family_name.upper().encode() not in response.content
    assert b"1 child your agency is involved with" in response.content


@pytest.mark.parametrize("query_of", ["family", "given", "nhs", "dob", "case"])
def test_search_finds_by_each_key(sam_client, child, hampshire, social_worker, query_of):
    ChildFactory(given_name="Zed", family_name="Other", owning_agency=hampshire, created_by=social_worker)
    query = {
        "family": child.family_name[:3],
        "given": child.given_name.lower(),
        "nhs": child.nhs_number_display,
        "dob": child.date_of_birth.strftime("%d/%m/%Y"),
        "case": child.case_number.lower(),
    }[query_of]
    response = sam_client.get(reverse("children:list"), {"q": query})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 1
    assert list(response.context["page"].object_list) == [child]


def test_search_never_finds_another_agencys_child(client, outsider, child):
    client.force_login(outsider)
    for query in [child.family_name, child.nhs_number, child.case_number, child.date_of_birth.isoformat()]:
        response = client.get(reverse("children:list"), {"q": query})
        assert response.context["page"].paginator.count == 0
        assert reverse("children:detail", args=[child.pk]).encode() not in response.content
        assert child.given_name.encode() not in response.content


def test_child_page_shows_the_record_and_logs_the_view(sam_client, child, social_worker):
    response = sam_client.get(reverse("children:detail", args=[child.pk]))
    assert response.status_code == 200
    assert child.nhs_number_display.encode() in response.content
    log = ChildViewLog.objects.get(child=child)
    assert log.user == social_worker and log.channel == "page"


def test_history_is_for_managers_and_auditors(client, child, social_worker, team_manager, auditor):
    for person, sees in [(social_worker, False), (team_manager, True), (auditor, True)]:
        client.force_login(person)
        response = client.get(reverse("children:detail", args=[child.pk]))
        assert (b"Who has changed or viewed this record" in response.content) is sees


def _child_urls(child, person_pk, involvement_pk):
    return [
        reverse("children:detail", args=[child.pk]),
        reverse("children:edit", args=[child.pk]),
        reverse("children:parent_carer_add", args=[child.pk]),
        reverse("children:parent_carer_edit", args=[child.pk, person_pk]),
        reverse("children:parent_carer_remove", args=[child.pk, person_pk]),
        reverse("children:involvement_add", args=[child.pk]),
        reverse("children:involvement_end", args=[child.pk, involvement_pk]),
    ]


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_role_of_another_agency_gets_404_on_every_child_page(client, child, leicester, role):
    person = ParentCarer.objects.create(child=child, name="Jo Hart", relationship="Mother")
    involvement = Involvement.objects.filter(child=child).first()
    stranger = UserFactory(agency=leicester, roles=[role])
    client.force_login(stranger)
    missing = client.get(reverse("children:detail", args=[10**9]))
    assert missing.status_code == 404
    for url in _child_urls(child, person.pk, involvement.pk):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 404, (method, url)
            assert child.family_name.encode() not in response.content
            assert _without_nonce(response.content) == _without_nonce(missing.content) or method == "post"
    assert not ChildViewLog.objects.filter(child=child).exists()


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_role_of_an_involved_agency_can_view(client, child, hampshire, role):
    client.force_login(UserFactory(agency=hampshire, roles=[role]))
    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 200
    edit = client.get(reverse("children:edit", args=[child.pk]))
    can_edit = role in {
        "social_worker",
        "team_manager",
        "service_manager",
        "health_assessor",
        "panel_administrator",
    }
    assert edit.status_code == (200 if can_edit else 403)


@pytest.mark.parametrize("junk", ["abc", "1%20OR%201=1", "9" * 30, "-5", "%00"])
def test_odd_ids_in_urls_are_404(sam_client, junk):
    assert sam_client.get(f"/children/{junk}/").status_code == 404
    assert sam_client.get(f"/children/access-requests/{junk}/").status_code in (403, 404)


def test_register_a_child(sam_client, social_worker):
    response = sam_client.post(reverse("children:register"), _register_data(nhs_number="943 476 5919"))
    assert response.status_code == 302
    detail = sam_client.get(response["Location"])
    assert b"Ruby Stone" in detail.content
    assert b"943 476 5919" in detail.content


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"nhs_number": "943 476 5918"}, "nhs_number", "check digit"),
        ({"date_of_birth": "01/01/2099"}, "date_of_birth", "today or in the past"),
        ({"date_of_birth": "31/02/2015"}, "date_of_birth", "Enter a real date"),
        ({"given_name": "x" * 1000}, "given_name", "Given name must be 100 characters or fewer"),
        ({"given_name": ""}, "given_name", "Enter the child's given name"),
        ({"legal_status": "made_up"}, "legal_status", "Select a valid choice"),
        ({"given_name": "Ruby\x00"}, "given_name", "Null characters"),
    ],
)
def test_bad_input_gets_a_field_error_and_keeps_the_typing(sam_client, overrides, field, message):
    data = _register_data(case_number="KEEP-ME-123", **overrides)
    response = sam_client.post(reverse("children:register"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert b"KEEP-ME-123" in response.content  # nothing typed is lost
    assert b"There is a problem" in response.content
    assert f'href="#id_{field}"'.encode() in response.content


def test_non_utf8_body_is_not_a_500(sam_client):
    response = sam_client.generic(
        "POST",
        reverse("children:register"),
        b"given_name=\xff\xfe&family_name=St\xc3one",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200


def test_duplicate_nhs_number_in_my_agency_links_to_the_child(sam_client, child):
    response = sam_client.post(reverse("children:register"), _register_data(nhs_number=child.nhs_number))
    assert response.status_code == 200
    assert reverse("children:detail", args=[child.pk]).encode() in response.content


def test_duplicate_nhs_number_elsewhere_reveals_nothing_and_asks_for_it(client, outsider, child):
    client.force_login(outsider)
    response = client.post(reverse("children:register"), _register_data(nhs_number=child.nhs_number))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing has been saved" in body
    assert "If a record with this NHS number exists" in body
    assert child.given_name not in body and child.family_name not in body
    assert reverse("children:detail", args=[child.pk]) not in body


def test_access_request_journey(client, outsider, team_manager, child, django_capture_on_commit_callbacks):
    client.force_login(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("children:access_request_new"),
            {"nhs_number": child.nhs_number, "reason": "Moved into Leicester"},
            follow=True,
        )
    assert b"Request sent" in response.content
    request = AccessRequest.objects.get()
    client.force_login(team_manager)
    listing = client.get(reverse("children:access_requests"))
    assert child.full_name.encode() in listing.content
    decline_without_note = client.post(
        reverse("children:access_request_decide", args=[request.pk]), {"decision": "decline", "note": ""}
    )
    assert b"Enter a reason for declining" in decline_without_note.content
    client.post(
        reverse("children:access_request_decide", args=[request.pk]), {"decision": "grant", "note": "OK"}
    )
    client.force_login(outsider)
    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 200


def test_edit_keeps_audit_and_shows_changes(sam_client, child):
    url = reverse("children:edit", args=[child.pk])
    form = sam_client.get(url).context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data["date_of_birth"] = child.date_of_birth.strftime("%d/%m/%Y")
    data["allocated_social_worker"] = child.allocated_social_worker_id or ""
    data["allocated_team"] = ""
    data["ehc_plan_date"] = ""
    data["preferred_name"] = "Mia"
    data = {k: v for k, v in data.items() if v is not False}
    response = sam_client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    child.refresh_from_db()
    assert child.preferred_name == "Mia"


def test_parents_and_agencies_can_be_managed(sam_client, child, hiow_icb):
    sam_client.post(
        reverse("children:parent_carer_add", args=[child.pk]),
        {"name": "Jo Hart", "relationship": "Mother", "parental_responsibility": "on"},
    )
    person = ParentCarer.objects.get(child=child)
    assert person.parental_responsibility
    sam_client.post(reverse("children:parent_carer_remove", args=[child.pk, person.pk]))
    assert not ParentCarer.objects.filter(child=child).exists()
    involvement = Involvement.objects.get(child=child, agency=hiow_icb)
    sam_client.post(reverse("children:involvement_end", args=[child.pk, involvement.pk]), {"ended_on": ""})
    involvement.refresh_from_db()
    assert involvement.ended_on == timezone.localdate()
    again = sam_client.post(
        reverse("children:involvement_add", args=[child.pk]),
        {"agency": hiow_icb.pk, "role": "health_commissioner", "started_on": ""},
    )
    assert again.status_code == 302


def test_ending_an_involvement_twice_is_a_conflict(sam_client, child, hiow_icb):
    involvement = Involvement.objects.get(child=child, agency=hiow_icb)
    url = reverse("children:involvement_end", args=[child.pk, involvement.pk])
    sam_client.post(url, {"ended_on": ""})
    assert sam_client.post(url, {"ended_on": ""}).status_code == 409


def test_child_list_query_count_is_flat(sam_client, hampshire, social_worker, django_assert_max_num_queries):
    ChildFactory.create_batch(
        30, owning_agency=hampshire, created_by=social_worker, allocated_social_worker=social_worker
    )
    # session, user with agency, the request's savepoint and release, count, one page of children with
    # social worker and team joined, the list view log insert (the children on the page), then the
    # session save (idle timeout) in its own savepoint and release; then the unread-notices count in the header
    with django_assert_max_num_queries(11):
        response = sam_client.get(reverse("children:list"))
    assert len(response.context["page"].object_list) == 25


def test_child_page_query_count_is_flat(
    client, team_manager, hampshire, social_worker, hiow_icb, django_assert_max_num_queries
):
    child = ChildFactory(owning_agency=hampshire, created_by=social_worker, involved=[hiow_icb])
    for n in range(30):
        ParentCarer.objects.create(child=child, name=f"Carer {n}", relationship="Foster carer")
        ChildViewLog.objects.create(user=social_worker, child=child)
    client.force_login(team_manager)
    # 21 in all, of which 7 every signed-in page pays: the session, the user with their agency, the
    # request's savepoint and its release, the session save (idle timeout) in its own savepoint and
    # release. The page's own 14:
    #   1 the child: access check, joins and parents/carers (a JSON array) in one
    #   2 involvements with agency and person
    #   3 the view-log insert
    #   4 history: the changes
    #   5 history: one page of reads grouped per person and day, with their count (a window COUNT)
    #   6-10 the timeline (casework/timeline.py): referral status changes, signed decisions, funding
    #     packages, pathway cases, escalations (with no cases or escalations their events, reviews,
    #     steps, meetings, reports and settings are not read: up to 7 more, pinned in
    #     tests/casework/test_timeline.py)
    #   11 the header: unread notices and the My work count (casework/context_processors.py)
    #   12 the navigation's "awaiting my sign-off" count (a team manager signs referrals)
    #   13 the child's CETRs and overrides (casework.cetr)
    #   14 the child's referrals with panel and meeting joined (referrals.child_page)
    # Without the header's two counts (11, 12) the page is 12, the design budget for a detail page.
    with django_assert_max_num_queries(21):
        response = client.get(reverse("children:detail", args=[child.pk]))
    content = response.content.decode()
    assert content.count("Foster carer") == 30
    assert reverse("children:parent_carer_edit", args=[child.pk, child.parents_carers.last().pk]) in content
    assert response.status_code == 200


def test_future_dob_check_uses_todays_date(sam_client):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    response = sam_client.post(reverse("children:register"), _register_data(date_of_birth=tomorrow))
    assert "date_of_birth" in response.context["form"].errors


def test_notices_page_shows_mine_and_marks_them_read(sam_client, social_worker, team_manager):
    from casework.models import Notification

    Notification.objects.create(user=social_worker, subject="Referral for AH returned", url="/referrals/1/")
    Notification.objects.create(user=team_manager, subject="Someone else's notice")
    home = sam_client.get(reverse("home"))
    assert b'1<span class="govuk-visually-hidden"> unread' in home.content
    page = sam_client.get(reverse("notifications"))
    assert b"Referral for AH returned" in page.content
    assert b"Someone else" not in page.content
    sam_client.post(reverse("notifications_read"))
    assert not Notification.objects.filter(user=social_worker, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=team_manager, read_at__isnull=True).exists()


def test_staff_surnames_are_never_a_childs():
    """The absence checks above rely on this: a stranger's own name in the header never matches a child's."""
    from faker.providers.person.en_GB import Provider

    from tests.factories import STAFF_SURNAMES

    assert not set(STAFF_SURNAMES) & set(Provider.last_names)
