"""No input is a 500 (issue 12): bad money, hostile JSON bodies and odd query strings each get a 400
with a message (API) or a form error next to the field (pages), and no amount the database will
hold can make a later page, API answer, PDF or export fail.

The tests run against the demo data (tests/url_sweep.py), loaded once for the module. Every request
that could change something runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from casework.money import MAX_COST, MAX_DERIVED_ANNUAL
from tests import url_sweep
from tests.casework.test_no_store import _asker
from tests.url_sweep import client_for, fill, project_routes

world = url_sweep.world  # the demo records, shared by the module's tests (a fixture)


class _Clients(dict):
    """A signed-in client for each person of the world, signed in when first asked for."""

    def __init__(self, world):
        super().__init__()
        self.world = world

    def __missing__(self, key: str):
        self[key] = client_for(self.world.people[key])
        return self[key]


def _rolled_back(client, method: str, url: str, **kwargs):
    with transaction.atomic():
        response = getattr(client, method)(url, **kwargs)
        transaction.set_rollback(True)
    return response


def _draft(world):
    from referrals.models import Referral, Status

    return Referral.objects.filter(status=Status.DRAFT, child__owning_agency=world["agency"]).first()


# --- Money ---------------------------------------------------------------------------------------

# Each is refused, by the API with a 400 naming the field and on the pages with a message next to it.
BAD_MONEY = [
    "200000000",  # £200,000,000 a week
    "9999999999.99",
    "10000000.01",
    "1e400",
    "NaN",
    "Infinity",
    "-Infinity",
    "-0",
    "-1",
    "1e-7",
    "12.345",
    "£1,000",
    "1,000",
    "",
    "  ",
    "\x00",
]
JSON_MONEY = [1e308, -0.0, 12.345, [], {}, True]


def _option_body(world, cost="1000.00", value="100"):
    return {
        "description": "Residential short breaks",
        "cost": cost,
        "period": "weekly",
        "shares": [{"agency": world["agency"].pk, "basis": "percentage", "value": value}],
    }


def _package_body(world, cost="1000.00", value="100"):
    from funding.models import Provider

    return {
        "child": world["child"].pk,
        "pathway": "joint_package",
        "provider": Provider.objects.first().pk,
        "service_description": "Carers",
        "cost": cost,
        "cost_period": "weekly",
        "starts_on": "2026-04-01",
        "shares": [{"agency": world["agency"].pk, "basis": "percentage", "value": value}],
    }


def _decision_body(world, cost="1000.00", value="100"):
    return {
        "outcome": "agreed",
        "rationale": "Agreed by the panel",
        "cost": cost,
        "cost_period": "weekly",
        "shares": [{"agency": world["agency"].pk, "basis": "percentage", "value": value}],
    }


def _api_money_cases():
    """(who, url, body builder) for every API write that takes money."""
    return {
        "option": (
            "social_worker",
            lambda w: reverse("referral-options", kwargs={"pk": _draft(w).pk}),
            _option_body,
        ),
        "package": ("finance", lambda w: reverse("api-funding-packages"), _package_body),
        "decision": (
            "panel_chair",
            lambda w: reverse("api-item-decision", args=[w["agenda_item"].pk]),
            _decision_body,
        ),
    }


@pytest.mark.parametrize("case", ["option", "package", "decision"])
@pytest.mark.parametrize("where", ["cost", "share"])
@pytest.mark.parametrize("value", BAD_MONEY + JSON_MONEY, ids=repr)
def test_bad_money_is_a_400_naming_the_field(world, db, case, where, value):
    who, url, body = _api_money_cases()[case]
    data = body(world, cost=value) if where == "cost" else body(world, value=value)
    response = _rolled_back(
        client_for(world.people[who]),
        "post",
        url(world),
        data=json.dumps(data),
        content_type="application/json",
    )
    if case == "decision" and where == "cost" and isinstance(value, str) and not value.strip():
        assert response.status_code < 500  # a decision may leave its cost blank (no cost agreed)
        return
    assert response.status_code == 400, response.content
    errors = response.json()
    if where == "cost":
        assert errors["cost"] and all(isinstance(m, str) and m for m in errors["cost"])
    else:
        assert "shares" in errors, errors


def test_good_money_is_accepted_so_the_refusals_above_are_about_the_amount(world, db):
    client = client_for(world.people["social_worker"])
    url = reverse("referral-options", kwargs={"pk": _draft(world).pk})
    response = _rolled_back(
        client, "post", url, data=_option_body(world, cost="£1,000"), content_type="application/json"
    )
    assert response.status_code == 400  # "£1,000" is a person's typing, not an API amount
    for cost in ("192307.69", "10000000.00", "0.01", "1000"):
        period = "weekly" if cost == "192307.69" else "annual"
        body = {**_option_body(world, cost=cost), "period": period}
        response = _rolled_back(client, "post", url, data=body, content_type="application/json")
        assert response.status_code == 201, response.content


def test_a_weekly_cost_over_ten_million_a_year_is_refused(world, db):
    client = client_for(world.people["social_worker"])
    url = reverse("referral-options", kwargs={"pk": _draft(world).pk})
    response = _rolled_back(
        client, "post", url, data=_option_body(world, cost="200000"), content_type="application/json"
    )
    assert response.status_code == 400
    assert "a year, more than £10,000,000" in response.json()["cost"][0]


@pytest.mark.parametrize("value", BAD_MONEY, ids=repr)
def test_bad_cost_on_the_option_page_is_a_form_error(world, db, value):
    referral = _draft(world)
    data = {
        "description": "Residential short breaks",
        "cost": value,
        "period": "weekly",
        "basis": "percentage",
        f"share_{world['agency'].pk}": "100",
    }
    response = _rolled_back(
        client_for(world.people["social_worker"]),
        "post",
        reverse("referrals:option_add", args=[referral.pk]),
        data=data,
    )
    if value in ("£1,000", "1,000"):  # GOV.UK: people may type pounds with a "£" and commas
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert response.context["form"].errors["cost"]
    assert "govuk-error-message" in response.content.decode()


@pytest.mark.parametrize("value", [v for v in BAD_MONEY if v.strip()], ids=repr)
@pytest.mark.parametrize("field", ["cost", "value_1"])
def test_bad_money_on_the_funding_page_is_a_form_error(world, db, value, field):
    from funding.models import Provider

    data = {
        "child": world["child"].pk,
        "pathway": "joint_package",
        "provider": Provider.objects.first().pk,
        "service_description": "Carers",
        "weeks_per_year": 52,
        "cost": "1000",
        "cost_period": "weekly",
        "starts_on": "01/04/2026",
        "agency_1": world["agency"].pk,
        "basis_1": "percentage",
        "value_1": "100",
        field: value,
    }
    url = reverse("funding:new", args=[world["child"].pk])
    response = _rolled_back(client_for(world.people["finance"]), "post", url, data=data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert "govuk-error-message" in response.content.decode()


@pytest.mark.parametrize("value", [v for v in BAD_MONEY if v.strip()], ids=repr)
def test_bad_money_in_the_decision_form_is_a_field_error(world, db, value):
    from panels.forms.running import _money_field

    field = _money_field("The cost")
    with pytest.raises(ValidationError) as error:
        field.clean(value)
    assert error.value.messages and all(m.startswith("The cost") or "£" in m for m in error.value.messages)


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        ("referrals.Option", "cost", MAX_COST + Decimal("0.01")),
        ("referrals.OptionShare", "value", MAX_COST + Decimal("0.01")),
        ("funding.PackageVersion", "cost", MAX_COST + Decimal("0.01")),
        ("funding.ShareLine", "amount", MAX_COST + Decimal("0.01")),
        ("funding.ShareLine", "annual_amount", MAX_DERIVED_ANNUAL + Decimal("0.01")),
        ("panels.Decision", "cost", MAX_COST + Decimal("0.01")),
        ("panels.DecisionShare", "amount", Decimal("-0.01")),
    ],
)
def test_the_database_refuses_amounts_out_of_bounds(world, db, model, field, value):
    from django.apps import apps

    rows = apps.get_model(model).objects.all()
    assert rows.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(**{field: value})


def test_the_model_refuses_what_the_form_and_serializer_refuse(world, db):
    option = world["option"]
    for cost, message in [
        (Decimal("200000000.00"), "£10,000,000 or less"),
        (Decimal("-0"), "£0.00 or more"),
        (Decimal("200000.00"), "a year, more than £10,000,000"),
    ]:
        option.cost, option.period = cost, "weekly"
        with pytest.raises(ValidationError) as error:
            option.full_clean(exclude=["referral"])
        assert message in " ".join(error.value.message_dict["cost"])


@pytest.mark.parametrize("extreme", ["largest", "smallest"])
def test_no_stored_amount_can_break_a_later_page_api_pdf_or_export(world, db, extreme):
    """Every money column at the largest (or smallest) value the database accepts, every cost paid
    weekly (the period whose yearly figure is largest): then every GET of the sweep still answers."""
    from funding.models import PackageVersion, ShareLine
    from panels.models import Decision, DecisionShare
    from referrals.models import Option, OptionShare

    most = extreme == "largest"
    amount = MAX_COST if most else Decimal("0.00")
    routes = [r for r in project_routes() if r.name]
    clients = _Clients(world)
    failures = []
    with transaction.atomic():
        Option.objects.update(cost=amount, period="weekly")
        OptionShare.objects.update(value=amount)
        PackageVersion.objects.update(cost=amount if most else Decimal("0.01"), cost_period="weekly")
        ShareLine.objects.update(
            value=amount, amount=amount, annual_amount=MAX_DERIVED_ANNUAL if most else amount
        )
        Decision.objects.update(cost=amount, cost_period="weekly")
        DecisionShare.objects.update(value=amount, amount=amount)
        for route in routes:
            url = fill(route, world)
            response = clients[_asker(route.template)].get(url)
            if response.status_code >= 500:
                failures.append(f"GET {url}: {response.status_code}")
        transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


# --- JSON bodies ---------------------------------------------------------------------------------

HOSTILE_BODIES = {
    "100,000 nested arrays": "[" * 100_000 + "]" * 100_000,
    "100,000 nested objects": '{"a":' * 100_000 + "1" + "}" * 100_000,
    "nested past the limit": "[" * 40 + "]" * 40,
    "a bare string": '"Amelia"',
    "a number": "42",
    "null": "null",
    "a list": '[{"description": "x"}]',
    "an empty list": "[]",
    "a huge integer (10**5000)": "1" + "0" * 5000,
    "a huge integer inside": '{"cost": ' + "9" * 5000 + "}",
    "a float past infinity": '{"cost": 1e400}',
    "NaN": '{"cost": NaN}',
    "Infinity": '{"cost": Infinity}',
    "broken JSON": '{"cost": ',
    "invalid UTF-8": b'{"description": "\xff\xfe"}',
    "too large": '{"description": "' + "x" * 1_100_000 + '"}',
}


def _json_endpoints(world):
    return [
        ("social_worker", reverse("referral-options", kwargs={"pk": _draft(world).pk})),
        ("social_worker", reverse("referral-list")),
        ("social_worker", reverse("child-list")),
        ("finance", reverse("api-funding-packages")),
        ("panel_chair", reverse("api-item-decision", args=[world["agenda_item"].pk])),
    ]


@pytest.mark.parametrize("body", list(HOSTILE_BODIES), ids=str)
def test_hostile_json_is_a_400_with_a_message(world, db, body):
    raw = HOSTILE_BODIES[body]
    data = raw if isinstance(raw, bytes) else raw.encode()
    for who, url in _json_endpoints(world):
        response = _rolled_back(
            client_for(world.people[who]), "post", url, data=data, content_type="application/json"
        )
        assert response.status_code == 400, (url, response.status_code, response.content[:300])
        message = response.json()
        assert message and isinstance(message, dict), message


def test_the_huge_integer_message_is_plain(world, db):
    url = reverse("referral-options", kwargs={"pk": _draft(world).pk})
    response = _rolled_back(
        client_for(world.people["social_worker"]),
        "post",
        url,
        data="1" + "0" * 5000,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "sys." not in response.json()["detail"]


def test_form_and_multipart_bodies_still_parse(world, db):
    from rest_framework.settings import api_settings

    names = [p.__name__ for p in api_settings.DEFAULT_PARSER_CLASSES]
    assert names == ["LimitedJSONParser", "FormParser", "MultiPartParser"]
    client = client_for(world.people["social_worker"])
    url = reverse("referral-options", kwargs={"pk": _draft(world).pk})
    response = _rolled_back(client, "post", url, data={"description": "x", "cost": "NaN", "period": "weekly"})
    assert response.status_code == 400 and "cost" in response.json()


# --- Query strings and path values ---------------------------------------------------------------

# (URL name, the record its argument names or None, the query string, who asks)
QUERIES = [
    ("children:list", None, {"page": "abc"}),
    ("children:list", None, {"page": "99999999999999999999"}),
    ("children:list", None, {"page": "-1"}),
    ("children:list", None, {"q": "30/02/2026"}),
    ("children:list", None, {"q": "\x00" * 10}),
    ("children:list", None, {"q": "9" * 5000}),
    ("children:access_request_new", None, {"nhs_number": "9" * 5000}),
    ("children:detail", "child", {"reads": "abc", "page": "1e400"}),
    ("referrals:mine", None, {"page": "abc", "status": "no-such-status"}),
    ("referrals:all", None, {"page": "NaN", "panel": "abc", "pathway": "x", "urgency": "\x00"}),
    ("referrals:all", None, {"panel": "99999999999999999999"}),
    ("referrals:awaiting", None, {"page": "99999"}),
    ("funding:list", None, {"status": "abc", "page": "-5"}),
    ("funding:tray", None, {"page": "1e400"}),
    ("funding:commitments", None, {"year": "99999"}),
    ("funding:commitments", None, {"year": "abc"}),
    ("funding:commitments", None, {"year": "-2026"}),
    ("funding:commitments", None, {"year": "99999999999999999999"}),
    ("funding:export_csv", None, {"year": "99999"}),
    ("funding:export_xlsx", None, {"year": "abc"}),
    ("funding:compare", "package", {"a": "abc", "b": "99999999999999999999"}),
    ("funding:compare", "package", {"a": "-1", "b": "0"}),
    ("panels:list", None, {"page": "abc"}),
    ("panels:meetings", None, {"panel": "abc", "page": "99999999999999999999"}),
    ("panels:actions", "panel", {"status": "x", "owner_agency": "abc", "page": "abc"}),
    ("panels:action_new", "panel", {"meeting": "abc", "item": "99999999999999999999"}),
    ("panels:tracker", "panel", {"meeting_from": "2026-02-30", "meeting_to": "31/02/2026"}),
    ("panels:tracker", "panel", {"meeting_from": "99999-01-01", "agency": "abc", "outcome": "x"}),
    ("panels:tracker_csv", "panel", {"meeting_from": "2026-02-30", "page": "abc"}),
    ("panels:tracker_xlsx", "panel", {"meeting_to": "0000-00-00"}),
    ("panels:recommendations", None, {"page": "abc"}),
    ("panels:agenda_add_referral", "meeting", {"referral": "abc"}),
    ("notifications", None, {"page": "abc"}),
    ("child-list", None, {"q": "31/02/2026", "page": "abc"}),
    ("child-list", None, {"page": "99999999999999999999"}),
    ("referral-list", None, {"status": "x", "panel": "abc", "mine": "maybe", "page": "0"}),
    ("api-funding-commitments", None, {"year": "99999"}),
    ("api-funding-commitments", None, {"year": "abc"}),
    ("api-funding-packages", None, {"status": "abc", "page": "abc"}),
    ("api-funding-approvals", None, {"page": "99999999999999999999"}),
    ("api-panel-actions", "panel", {"status": "x", "owner_agency": "abc"}),
    ("api-panel-tracker", "panel", {"meeting_from": "2026-02-30", "meeting_to": "abc"}),
    ("api-panel-tracker", "panel", {"meeting_from": "99999-01-01", "agency": "99999999999999999999"}),
    ("api-recommendations", None, {"page": "abc"}),
]


@pytest.mark.parametrize(("name", "record", "query"), QUERIES, ids=lambda v: str(v)[:40])
def test_bad_query_strings_never_500(world, db, name, record, query):
    args = [world[record].pk] if record else []
    url = reverse(name, args=args) + "?" + urlencode(query)
    response = client_for(world.people[_asker(url.lstrip("/"))]).get(url)
    assert response.status_code < 500, (url, response.status_code)
    if url.startswith("/api/") and response.status_code == 400:
        assert response.json(), "a 400 says what was wrong"


def test_bad_financial_year_is_a_400_with_a_message_in_the_api(world, db):
    client = client_for(world.people["finance"])
    for year in ("99999", "abc", "1e3"):
        response = client.get(reverse("api-funding-commitments"), {"year": year})
        assert response.status_code == 400
        assert response.json()["year"]


@pytest.mark.parametrize(
    "value", ["abc", "99999999999999999999", "-1", "0", "1e400", "NaN", "%00", "..", "1.5"]
)
def test_bad_ids_in_the_path_are_404(world, db, value):
    client = client_for(world.people["social_worker"])
    for name in ("children:detail", "referrals:detail", "child-detail", "referral-detail", "pathways:case"):
        response = client.get(reverse(name, args=[value]))
        assert response.status_code == 404, (name, value, response.status_code)


# The generated pass in parts (every JUNK_PARTS-th URL from the part's own), one pytest item each, so
# a parallel run (pytest-xdist) shares it between its workers. The parts together are every URL.
JUNK_PARTS = 2


@pytest.mark.parametrize("part", range(JUNK_PARTS))
def test_every_url_with_junk_in_every_query_parameter_never_500(world, db, part):
    """The generated pass: every URL of the project, with every query parameter any view reads set to
    junk at once (numbers too big for a bigint, impossible dates, NUL bytes)."""
    junk = {
        "page": "99999999999999999999",
        "year": "99999",
        "a": "abc",
        "b": "-1",
        "q": "30/02/2026",
        "status": "\x00",
        "meeting_from": "2026-02-30",
        "meeting_to": "31/02/2026",
        "from": "2026-02-30",
        "to": "abc",
        "financial_year": "1e400",
        "panel": "NaN",
        "agency": "99999999999999999999",
        "owner_agency": "-1",
        "meeting": "abc",
        "item": "1e400",
        "referral": "99999999999999999999",
        "reads": "abc",
        "outcome": "x",
        "pathway": "x",
        "urgency": "x",
        "mine": "perhaps",
        "nhs_number": "9" * 100,
        "next": "//elsewhere.example",
    }
    clients = _Clients(world)
    failures = []
    for route in [r for r in project_routes() if r.name][part::JUNK_PARTS]:
        url = fill(route, world) + "?" + urlencode(junk)
        response = clients[_asker(route.template)].get(url)
        if response.status_code >= 500:
            failures.append(f"GET {url[:120]}: {response.status_code}")
    assert not failures, "\n".join(failures)
