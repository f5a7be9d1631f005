"""The REST API: the same access rules and services as the pages, answered in JSON.

Each test uses the personas of tests/conftest.py: Sam (Hampshire social worker), Audrey (auditor,
read-only), Nadia (ICB clinician, involved with Amelia), and Olive from Leicester, who must see
nothing of Hampshire's children: not in a list, a count, a search, or by guessing an id.
"""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

from casework import services
from casework.models import AuditEvent, Child, ChildViewLog, InvolvementRole, ParentCarer
from casework.nhs import synthetic_nhs_number
from tests.factories import TEST_RNG, ChildFactory, TeamFactory, UserFactory

PASSWORD = "correct horse battery staple"  # tests/factories.py UserFactory
CHILDREN = "/api/children/"


def detail_url(pk: object) -> str:
    return f"{CHILDREN}{pk}/"


def api_as(user=None) -> APIClient:
    """A client signed in with a real session (the API's SessionAuthentication runs)."""
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def valid_child(**overrides) -> dict:
    data = {
        "given_name": "Ruby",
        "family_name": "Stone",
        "date_of_birth": "2015-03-02",
        "nhs_number": "943 476 5919",
        "legal_status": "child_in_need",
    }
    return {**data, **overrides}


# --- Lists, search and counts ---------------------------------------------------------------------


def test_list_shows_the_children_my_agency_works_with(social_worker, child, leicester_child):
    response = api_as(social_worker).get(CHILDREN)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [row] = body["results"]
    assert row["id"] == child.pk
    assert row["given_name"] == "Amelia"
    assert row["allocated_social_worker"] == {"id": social_worker.pk, "name": "Sam Okafor"}
    assert "involvements" not in row  # the list is a summary; the record has the rest


def test_the_icb_sees_the_children_it_is_involved_with(clinician, child):
    body = api_as(clinician).get(CHILDREN).json()
    assert [row["id"] for row in body["results"]] == [child.pk]


@pytest.mark.parametrize("query", ["Amelia", "hart", "am h", "{nhs}", "{nhs_spaced}", "{dob}", "{case}"])
def test_search_uses_the_same_parser_as_the_pages(social_worker, child, query):
    nhs = child.nhs_number
    query = query.format(
        nhs=nhs,
        nhs_spaced=f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}",
        dob=child.date_of_birth.strftime("%d/%m/%Y"),
        case=child.case_number.lower(),
    )
    ChildFactory(given_name="Zed", family_name="Young", owning_agency=child.owning_agency)
    body = api_as(social_worker).get(CHILDREN, {"q": query}).json()
    assert [row["id"] for row in body["results"]] == [child.pk]


@pytest.mark.parametrize("query", ["", "Amelia", "Hart", "{nhs}", "{dob}", "{case}"])
def test_outsider_never_sees_a_hampshire_child_in_a_list_search_or_count(
    outsider, child, leicester_child, query
):
    query = query.format(nhs=child.nhs_number, dob=child.date_of_birth.isoformat(), case=child.case_number)
    response = api_as(outsider).get(CHILDREN, {"q": query})
    assert response.status_code == 200
    body = response.json()
    assert child.pk not in [row["id"] for row in body["results"]]
    assert body["count"] == (1 if query == "" else 0)
    assert "Amelia" not in response.content.decode()


def test_listing_is_not_logged_as_viewing_a_record(social_worker, child):
    api_as(social_worker).get(CHILDREN)
    assert not ChildViewLog.objects.exists()


@pytest.mark.parametrize("query", ["abc\x00def", "\x00"])
def test_search_text_that_the_database_cannot_hold_is_a_400(social_worker, child, query):
    response = api_as(social_worker).get(CHILDREN, {"q": query})
    assert response.status_code == 400
    assert "q" in response.json()


@pytest.mark.parametrize("page", ["abc", "0", "999", "9" * 40])
def test_odd_page_numbers_are_404_not_errors(social_worker, child, page):
    assert api_as(social_worker).get(CHILDREN, {"page": page}).status_code == 404


# --- One child's record ---------------------------------------------------------------------------


def test_record_has_every_field_and_the_agencies_involved(social_worker, child, hiow_icb):
    ParentCarer.objects.create(
        child=child, name="Jo Hart", relationship="mother", parental_responsibility=True
    )
    response = api_as(social_worker).get(detail_url(child.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == child.pk
    assert body["nhs_number"] == child.nhs_number
    assert body["age"] == child.age
    assert body["date_of_birth"] == child.date_of_birth.isoformat()
    assert body["allocated_social_worker"] == {"id": social_worker.pk, "name": "Sam Okafor"}
    assert body["allocated_team"] is None
    assert body["owning_agency"]["id"] == child.owning_agency_id
    involved = {row["agency"]["name"]: row for row in body["involvements"]}
    assert set(involved) == {child.owning_agency.name, hiow_icb.name}
    assert involved[child.owning_agency.name]["role"] == InvolvementRole.LEAD
    assert involved[hiow_icb.name]["ended_on"] is None
    assert body["parents_carers"][0]["name"] == "Jo Hart"
    for name in ("legal_status", "has_ehc_plan", "sharing_basis", "iro_email", "dsr_rating", "created_at"):
        assert name in body


def test_every_read_of_a_record_is_logged_with_the_api_channel(social_worker, clinician, child):
    api_as(social_worker).get(detail_url(child.pk))
    api_as(clinician).get(detail_url(child.pk))
    api_as(social_worker).get(detail_url(child.pk))
    logs = ChildViewLog.objects.filter(child_id=child.pk).order_by("id")
    assert [(log.user_id, log.channel, log.path) for log in logs] == [
        (social_worker.pk, "api", detail_url(child.pk)),
        (clinician.pk, "api", detail_url(child.pk)),
        (social_worker.pk, "api", detail_url(child.pk)),
    ]


def test_outsider_gets_the_same_404_as_for_a_missing_child(outsider, child):
    client = api_as(outsider)
    forbidden = client.get(detail_url(child.pk))
    missing = client.get(detail_url(10**9))
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content
    assert not ChildViewLog.objects.exists()


@pytest.mark.parametrize("method", ["patch", "put"])
def test_outsider_cannot_change_a_hampshire_child_and_learns_nothing(outsider, child, method):
    client = api_as(outsider)
    forbidden = getattr(client, method)(detail_url(child.pk), valid_child(given_name="Hacked"), format="json")
    missing = getattr(client, method)(detail_url(10**9), valid_child(given_name="Hacked"), format="json")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content
    # Even a broken body answers 404 first: the answer must not depend on what was sent.
    broken = getattr(client, method)(detail_url(child.pk), b"{not json", content_type="application/json")
    assert broken.status_code == 404
    child.refresh_from_db()
    assert child.given_name == "Amelia"


@pytest.mark.parametrize("pk", ["abc", "-1", "0", "9" * 40, "1%20OR%201=1", "%00", "1.5", "%C3%A9"])
@pytest.mark.parametrize("prefix", ["children", "agencies", "teams", "users"])
def test_odd_ids_in_urls_are_404_never_500(social_worker, child, pk, prefix):
    client = api_as(social_worker)
    response = client.get(f"/api/{prefix}/{pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Page not found"}
    if prefix == "children":
        response = client.patch(f"/api/{prefix}/{pk}/", {"given_name": "X"}, format="json")
        assert response.status_code == 404
        assert response.json() == {"detail": "Page not found"}


# --- Registering and changing a child ------------------------------------------------------------


def test_register_a_child(social_worker, hampshire, hampshire_team):
    response = api_as(social_worker).post(
        CHILDREN,
        valid_child(allocated_social_worker=social_worker.pk, allocated_team=hampshire_team.pk),
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    child = Child.objects.get(pk=body["id"])
    assert child.owning_agency == hampshire
    assert child.nhs_number == "9434765919"
    assert body["nhs_number"] == "9434765919"
    assert body["allocated_team"] == {"id": hampshire_team.pk, "name": hampshire_team.name}
    assert [(i["agency"]["id"], i["role"]) for i in body["involvements"]] == [(hampshire.pk, "lead")]
    assert AuditEvent.objects.filter(action="child.registered", child=child, actor=social_worker).exists()


def test_register_ignores_fields_a_client_may_not_set(social_worker, hampshire, leicester, outsider):
    response = api_as(social_worker).post(
        CHILDREN,
        valid_child(owning_agency=leicester.pk, created_by=outsider.pk, id=4242, age=3),
        format="json",
    )
    assert response.status_code == 201
    child = Child.objects.get(pk=response.json()["id"])
    assert (child.owning_agency, child.created_by) == (hampshire, social_worker)
    assert child.pk != 4242


def test_change_some_details(social_worker, child):
    response = api_as(social_worker).patch(
        detail_url(child.pk), {"preferred_name": "Mia", "autism": True}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["preferred_name"] == "Mia"
    child.refresh_from_db()
    assert (child.preferred_name, child.autism, child.given_name) == ("Mia", True, "Amelia")
    assert AuditEvent.objects.get(action="child.updated", child=child).changes == {
        "preferred_name": ["", "Mia"],
        "autism": [False, True],
    }


def test_the_icb_clinician_may_change_details_too(clinician, child):
    response = api_as(clinician).patch(detail_url(child.pk), {"mental_health_needs": True}, format="json")
    assert response.status_code == 200


def test_put_needs_the_required_fields(social_worker, child):
    client = api_as(social_worker)
    response = client.put(detail_url(child.pk), {"preferred_name": "Mia"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"given_name", "family_name", "date_of_birth"}
    response = client.put(
        detail_url(child.pk),
        {"given_name": "Amelia", "family_name": "Hart-Jones", "date_of_birth": str(child.date_of_birth)},
        format="json",
    )
    assert response.status_code == 200
    child.refresh_from_db()
    assert child.family_name == "Hart-Jones"


def test_allocating_someone_from_another_agency_is_refused(social_worker, child, outsider, leicester):
    other_team = TeamFactory(agency=leicester)
    response = api_as(social_worker).patch(
        detail_url(child.pk),
        {"allocated_social_worker": outsider.pk, "allocated_team": other_team.pk},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"allocated_social_worker", "allocated_team"}
    assert "Olive" not in response.content.decode()


def test_auditor_can_read_but_not_change(auditor, child):
    client = api_as(auditor)
    assert client.get(detail_url(child.pk)).status_code == 200
    assert client.get(CHILDREN).json()["count"] == 1
    for method in ("patch", "put"):
        response = getattr(client, method)(
            detail_url(child.pk), valid_child(given_name="Changed"), format="json"
        )
        assert response.status_code == 403
        assert "role" in response.json()["detail"]
    response = client.post(CHILDREN, valid_child(), format="json")
    assert response.status_code == 403
    # The answer does not depend on the body: a read-only role is told so, whatever it sent.
    assert client.post(CHILDREN, b"{broken", content_type="application/json").status_code == 403
    child.refresh_from_db()
    assert child.given_name == "Amelia"
    assert not Child.objects.filter(given_name="Ruby").exists()


# --- Bad input: always a 400 with field messages, never a 500 ------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"nhs_number": "943 476 5918"}, "nhs_number"),  # check digit wrong
        ({"nhs_number": "0000000000"}, "nhs_number"),
        ({"nhs_number": "12345"}, "nhs_number"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "31/02/2015"}, "date_of_birth"),
        ({"date_of_birth": 12345}, "date_of_birth"),
        ({"date_of_birth": None}, "date_of_birth"),
        ({"given_name": "x" * 1000}, "given_name"),
        ({"given_name": ""}, "given_name"),
        ({"given_name": {"first": "Ruby"}}, "given_name"),
        ({"given_name": ["Ruby"]}, "given_name"),
        ({"given_name": None}, "given_name"),
        ({"given_name": "Ru\x00by"}, "given_name"),
        ({"sharing_notes": "x" * 2001}, "sharing_notes"),
        ({"nhs_number": "9" * 1000}, "nhs_number"),
        ({"has_ehc_plan": "perhaps"}, "has_ehc_plan"),
        ({"autism": None}, "autism"),
        ({"legal_status": "orphan"}, "legal_status"),
        ({"gender": 7}, "gender"),
        ({"iro_email": "not an address"}, "iro_email"),
        ({"ehc_plan_date": "2020-01-01"}, "ehc_plan_date"),  # without has_ehc_plan
        ({"allocated_social_worker": "abc"}, "allocated_social_worker"),
        ({"allocated_social_worker": True}, "allocated_social_worker"),
        ({"allocated_social_worker": 10**30}, "allocated_social_worker"),
        ({"allocated_social_worker": {"id": 1}}, "allocated_social_worker"),
        ({"allocated_team": -1}, "allocated_team"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(social_worker, changes, field):
    response = api_as(social_worker).post(CHILDREN, valid_child(**changes), format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body
    assert all(isinstance(message, str) and message for message in body[field])
    assert not Child.objects.exists()


def test_a_lone_surrogate_is_a_400_not_a_database_error(social_worker):
    # JSON may escape half a UTF-16 pair; Python accepts it, PostgreSQL's UTF-8 could not store it.
    body = json.dumps(valid_child()).replace('"Stone"', '"\\ud800"').encode()
    response = api_as(social_worker).post(CHILDREN, body, content_type="application/json")
    assert response.status_code == 400
    assert "family_name" in response.json()


def test_future_date_of_birth_says_why(social_worker):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = api_as(social_worker).post(CHILDREN, valid_child(date_of_birth=str(tomorrow)), format="json")
    assert response.json() == {"date_of_birth": ["Date of birth must be today or in the past"]}


def test_bad_input_on_change_is_a_400_and_changes_nothing(social_worker, child):
    response = api_as(social_worker).patch(
        detail_url(child.pk), {"nhs_number": "943 476 5918", "given_name": "Changed"}, format="json"
    )
    assert response.status_code == 400
    assert "check digit" in response.json()["nhs_number"][0]
    child.refresh_from_db()
    assert child.given_name == "Amelia"


def test_duplicate_nhs_number_of_a_child_i_can_see(social_worker, child):
    response = api_as(social_worker).post(CHILDREN, valid_child(nhs_number=child.nhs_number), format="json")
    assert response.status_code == 400
    assert response.json() == {"nhs_number": ["A child with this NHS number is already registered"]}


def test_duplicate_nhs_number_in_another_agency_reveals_nothing_about_the_child(
    social_worker, leicester_child
):
    response = api_as(social_worker).post(
        CHILDREN, valid_child(nhs_number=leicester_child.nhs_number), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"nhs_number": [f"Nothing has been saved. {services.ACCESS_ASK_ANSWER}"]}
    text = response.content.decode()
    for secret in ("Leo", "Marsh", "Leicester", str(leicester_child.pk), leicester_child.case_number):
        assert secret not in text


def test_duplicate_nhs_number_on_change_reveals_nothing_either(social_worker, child, leicester_child):
    response = api_as(social_worker).patch(
        detail_url(child.pk), {"nhs_number": leicester_child.nhs_number}, format="json"
    )
    assert response.status_code == 400
    assert "Leo" not in response.content.decode()
    assert "Marsh" not in response.content.decode()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"given_name": "Ruby",}', "application/json"),
        (b"\xff\xfe\xfa\x00garbage", "application/json"),
        (json.dumps(valid_child()).encode("utf-16"), "application/json"),
        ('{"given_name": "Zo\u00eb"}'.encode("latin-1"), "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"null", "application/json"),
        (b"", "application/json"),
        (b"given_name=\xff\xfe&family_name=Stone", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_bodies_are_400_never_500(social_worker, child, body, content_type):
    client = api_as(social_worker)
    created = client.post(CHILDREN, body, content_type=content_type)
    changed = client.patch(detail_url(child.pk), body, content_type=content_type)
    assert created.status_code == 400, created.content
    assert changed.status_code in {200, 400}, changed.content  # an empty PATCH changes nothing
    assert created["Content-Type"] == "application/json"


def test_unsupported_content_type_is_415(social_worker):
    response = api_as(social_worker).post(CHILDREN, b"<child/>", content_type="application/xml")
    assert response.status_code == 415


# --- Signing in ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", [CHILDREN, detail_url(1), "/api/agencies/", "/api/teams/", "/api/users/", "/api/me/"]
)
def test_not_signed_in_is_a_json_401_or_403_never_a_redirect(url, child):
    response = APIClient().get(url)
    assert response.status_code in {401, 403}
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


# --- Agencies, teams and people --------------------------------------------------------------------


def test_agencies_and_teams_are_the_partnership_s_directory(
    social_worker, outsider, hampshire, hiow_icb, hampshire_team, leicester
):
    client = api_as(social_worker)
    agencies = {row["name"]: row for row in client.get("/api/agencies/").json()["results"]}
    assert agencies[hiow_icb.name] == {
        "id": hiow_icb.pk,
        "name": hiow_icb.name,
        "kind": "icb",
        "ods_code": "QRL",
        "partnership": "Hampshire and Isle of Wight",
    }
    assert leicester.name not in agencies
    teams = client.get("/api/teams/").json()["results"]
    assert {"id": hampshire_team.pk, "name": hampshire_team.name, "agency": hampshire.pk} in teams

    # Another partnership sees none of it: 404, as for a missing record.
    other = api_as(outsider)
    assert other.get(f"/api/agencies/{hampshire.pk}/").status_code == 404
    assert other.get(f"/api/teams/{hampshire_team.pk}/").status_code == 404
    assert hiow_icb.name not in other.get("/api/agencies/").content.decode()
    assert hampshire_team.name not in other.get("/api/teams/").content.decode()


def test_people_are_listed_only_within_my_agency(
    social_worker, team_manager, council_finance, outsider, clinician
):
    client = api_as(social_worker)
    body = client.get("/api/users/").json()
    assert {row["email"] for row in body["results"]} == {
        social_worker.email,
        team_manager.email,
        council_finance.email,
    }
    finance = next(row for row in body["results"] if row["email"] == council_finance.email)
    assert finance["delegated_limit"] == "100000.00"
    assert finance["roles"] == ["finance_approver"]
    assert client.get(f"/api/users/{outsider.pk}/").status_code == 404
    assert client.get(f"/api/users/{clinician.pk}/").status_code == 404
    assert client.get(f"/api/users/{team_manager.pk}/").json()["teams"] == list(
        team_manager.teams.values_list("pk", flat=True)
    )


def test_me(social_worker, hampshire_team):
    body = api_as(social_worker).get("/api/me/").json()
    assert body == {
        "id": social_worker.pk,
        "email": social_worker.email,
        "full_name": "Sam Okafor",
        "job_title": "",
        "agency": social_worker.agency_id,
        "teams": [hampshire_team.pk],
        "roles": ["social_worker"],
        "delegated_limit": None,
    }


# --- Query counts ---------------------------------------------------------------------------------


@pytest.fixture
def thirty_children(hampshire, social_worker, hampshire_team, hiow_icb):
    return [
        ChildFactory(
            owning_agency=hampshire,
            created_by=social_worker,
            allocated_social_worker=UserFactory(agency=hampshire),
            allocated_team=TeamFactory(agency=hampshire),
            involved=[hiow_icb],
        )
        for _ in range(30)
    ]


def test_child_list_query_count_does_not_grow_with_children(
    social_worker, thirty_children, django_assert_max_num_queries
):
    client = api_as(social_worker)
    # 1 session, 2 user, 3 savepoint (ATOMIC_REQUESTS), 4 count, 5 the page of children with
    # social worker and team joined, 6 the list view log insert (the children on the page),
    # 7 release savepoint, then SESSION_SAVE_EVERY_REQUEST: 8 savepoint, 9 session update, 10 release.
    with django_assert_max_num_queries(10):
        response = client.get(CHILDREN)
    assert response.json()["count"] == 30
    assert len(response.json()["results"]) == 25


def test_child_record_query_count_is_fixed(social_worker, thirty_children, django_assert_max_num_queries):
    child = thirty_children[0]
    for n in range(5):
        ParentCarer.objects.create(child=child, name=f"Carer {n}", relationship="foster carer")
    client = api_as(social_worker)
    # 1 session, 2 user, 3 savepoint, 4 access check, 5 the child with its joins, 6 parents and
    # carers, 7 involvements with agencies, 8 view log insert, 9 release savepoint, 10-12 session
    # save (savepoint, update, release).
    with django_assert_max_num_queries(12):
        response = client.get(detail_url(child.pk))
    assert len(response.json()["involvements"]) == 2
    assert len(response.json()["parents_carers"]) == 5


def test_people_list_query_count(social_worker, hampshire, hampshire_team, django_assert_max_num_queries):
    for _ in range(30):
        UserFactory(agency=hampshire).teams.add(hampshire_team)
    client = api_as(social_worker)
    # 1 session, 2 user, 3 savepoint, 4 count, 5 page of people, 6 their teams, 7 release,
    # 8-10 session save (savepoint, update, release).
    with django_assert_max_num_queries(10):
        response = client.get("/api/users/")
    assert response.json()["count"] == 31


# --- The schema and its documentation page --------------------------------------------------------


def test_schema_for_a_signed_in_user(social_worker):
    response = api_as(social_worker).get(reverse("api-schema"))
    assert response.status_code == 200
    assert b"/api/children/" in response.content


def test_schema_generates_without_warnings():
    """Every endpoint is described (no guessed serializers), and no two components, enums or
    operation ids share a name: drf-spectacular's warnings fail, as `check --deploy` would."""
    GENERATOR_STATS.reset()  # only this run's warnings count
    out, err = StringIO(), StringIO()
    try:
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=err)
    except CommandError as e:
        pytest.fail(f"{e}\n{err.getvalue()}")
    assert "/api/funding/packages/" in out.getvalue()
    assert "/api/pathway-cases/" in out.getvalue()


def test_docs_page_renders_for_a_signed_in_user(client, social_worker):
    client.force_login(social_worker)
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/children/" in text
    assert "Authorization: Bearer &lt;token&gt;" in text
    assert reverse("api-schema") in text
    assert '<script src="http' not in text  # nothing from a CDN


def test_docs_page_needs_signing_in(client, db):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_synthetic_nhs_numbers_are_valid_for_the_api(social_worker):
    response = api_as(social_worker).post(
        CHILDREN, valid_child(nhs_number=synthetic_nhs_number(TEST_RNG)), format="json"
    )
    assert response.status_code == 201
