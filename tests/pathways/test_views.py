"""Pathway pages: the access matrix (outsider 404 everywhere), bad input kept on the form, the IFR
clinical-detail rule, a Continuing Care journey, and pinned query counts."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from casework.forms import add_service_errors
from casework.models import ChildViewLog
from pathways import services
from pathways.forms import DSTForm
from pathways.models import PathwayCase, Status
from tests.pathways.conftest import D, all_scores

pytestmark = pytest.mark.django_db

CASE_PAGES = [
    "case",
    "cc_checklist",
    "cc_evidence",
    "cc_dst",
    "cc_recommend",
    "cc_decision",
    "cc_package",
    "cc_transition",
    "review_add",
    "close",
    "s117_plan",
    "s117_end",
    "mdt_add",
    "ifr_decision",
    "ifr_information",
    "ifr_appeal",
]


@pytest.mark.parametrize("name", CASE_PAGES)
def test_outsider_gets_404_on_every_case_page(client, outsider, cc_case, s117_case, cl_case, ifr_case, name):
    client.force_login(outsider)
    for case in (cc_case, s117_case, cl_case, ifr_case):
        assert client.get(reverse(f"pathways:{name}", args=[case.pk])).status_code == 404
        assert client.post(reverse(f"pathways:{name}", args=[case.pk]), {}).status_code == 404


@pytest.mark.parametrize("kind", ["continuing-care", "section-117", "complex-lives", "ifr"])
def test_outsider_gets_404_on_child_pages(client, outsider, amelia, kind):
    client.force_login(outsider)
    assert client.get(reverse("pathways:child_cases", args=[amelia.pk])).status_code == 404
    assert client.get(reverse("pathways:start", args=[amelia.pk, kind])).status_code == 404
    assert client.post(reverse("pathways:start", args=[amelia.pk, kind]), {}).status_code == 404


def test_bad_ids_are_404(client, social_worker):
    client.force_login(social_worker)
    for bad in ("abc", "99999999999999999999", "0"):
        assert client.get(reverse("pathways:case", args=[bad])).status_code == 404
        assert client.get(reverse("pathways:child_cases", args=[bad])).status_code == 404


def test_unknown_start_kind_is_404(client, social_worker, amelia):
    client.force_login(social_worker)
    assert client.get(reverse("pathways:start", args=[amelia.pk, "nonsense"])).status_code == 404


def test_child_cases_lists_cases_and_start_links(client, social_worker, cc_case, ifr_case, amelia):
    client.force_login(social_worker)
    page = client.get(reverse("pathways:child_cases", args=[amelia.pk]))
    html = page.content.decode()
    assert "Continuing Care" in html and "Individual Funding Request" in html
    assert "Decision due 30 March 2026" in html
    assert reverse("pathways:start", args=[amelia.pk, "continuing-care"]) in html
    # A social worker is no NHS clinician: no IFR link.
    assert reverse("pathways:start", args=[amelia.pk, "ifr"]) not in html
    assert ChildViewLog.objects.filter(user=social_worker, child=amelia).exists()


def test_overdue_marked_in_list(client, social_worker, cc_case, amelia, clock):
    from tests.pathways.conftest import at

    clock.move_to(at(D(2026, 4, 1)), tick=False)
    client.force_login(social_worker)
    assert "Overdue" in client.get(reverse("pathways:child_cases", args=[amelia.pk])).content.decode()


def test_ifr_clinical_detail_hidden_from_council_users(
    client, social_worker, clinician, icb_panel_admin, ifr_case
):
    url = reverse("pathways:case", args=[ifr_case.pk])
    client.force_login(social_worker)
    html = client.get(url).content.decode()
    assert "Off-licence drug X" not in html and "Unique presentation" not in html
    assert "Submitted" in html
    for person in (clinician, icb_panel_admin):
        client.force_login(person)
        assert "Off-licence drug X" in client.get(url).content.decode()


def test_ifr_by_a_non_clinician_is_refused_clearly(client, social_worker, amelia):
    client.force_login(social_worker)
    page = client.post(
        reverse("pathways:start", args=[amelia.pk, "ifr"]), {"treatment": "x", "exceptionality": "y"}
    )
    assert page.status_code == 403
    assert "NHS clinician" in page.content.decode()
    assert not PathwayCase.objects.exists()


def test_s117_section_2_error_next_to_the_field_keeps_typing(
    client, social_worker, amelia, hampshire, hiow_icb, clock
):
    client.force_login(social_worker)
    page = client.post(
        reverse("pathways:start", args=[amelia.pk, "section-117"]),
        {
            "lead_agency": hampshire.pk,
            "detention_section": "2",
            "detained_on": "03/11/2025",
            "responsible_icb": hiow_icb.pk,
            "responsible_council": hampshire.pk,
            "ordinary_residence": "Basingstoke typed text",
        },
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "does not give a right to section 117 aftercare" in html
    assert "Basingstoke typed text" in html
    assert "govuk-error-summary" in html


def test_dst_level_not_allowed_is_a_form_error(client, clinician, cc_assessing):
    client.force_login(clinician)
    page = client.post(
        reverse("pathways:cc_dst", args=[cc_assessing.pk]),
        {"communication-level": "priority", "seen": services.dst_fingerprint(cc_assessing.continuing_care)},
    )
    # The radio offers only allowed levels, so the form itself refuses a hand-made value.
    assert page.status_code == 200
    assert "govuk-error-message" in page.content.decode()


def test_dst_service_refusals_land_on_the_form(client, clinician, cc_assessing):
    client.force_login(clinician)
    page = client.post(
        reverse("pathways:cc_dst", args=[cc_assessing.pk]),
        {"seen": services.dst_fingerprint(cc_assessing.continuing_care)},
    )
    # The service's refusal of an empty tool has no field of its own: above the form.
    assert page.status_code == 200
    assert "Score at least one care domain" in page.content.decode()


def test_dst_service_errors_go_next_to_their_care_domain():
    form = DSTForm({}, scores={})
    form.is_valid()
    add_service_errors(
        form, form.service_errors(ValidationError({"communication": ["Not that level"], "x": ["?"]}))
    )
    assert form.errors["communication-level"] == ["Not that level"]
    assert form.non_field_errors() == ["?"]


def test_review_date_before_package_start_is_a_form_error(client, social_worker, cc_package):
    client.force_login(social_worker)
    page = client.post(reverse("pathways:review_add", args=[cc_package.pk]), {"held_on": "01/03/2026"})
    assert page.status_code == 200
    assert "on or after the date the package started" in page.content.decode()


def test_stale_step_is_409(client, social_worker, cc_assessing):
    client.force_login(social_worker)
    page = client.post(
        reverse("pathways:cc_checklist", args=[cc_assessing.pk]),
        {"completed_on": "20/02/2026", "full_assessment_needed": "yes"},
    )
    assert page.status_code == 409


def test_continuing_care_pages_journey(client, social_worker, clinician, amelia, hiow_icb, clock):
    client.force_login(social_worker)
    page = client.post(
        reverse("pathways:start", args=[amelia.pk, "continuing-care"]),
        {"lead_agency": hiow_icb.pk, "case_worker": clinician.pk, "referral_received_on": "16/02/2026"},
    )
    case = PathwayCase.objects.get()
    assert page.status_code == 302
    client.post(
        reverse("pathways:cc_checklist", args=[case.pk]),
        {"completed_on": "20/02/2026", "full_assessment_needed": "yes"},
    )
    client.force_login(clinician)
    cc = case.continuing_care
    saved = client.post(
        reverse("pathways:cc_evidence", args=[case.pk]),
        {
            "preferences": "Home",
            "holistic_assessment": "Mum",
            "professional_reports": "Letters",
            "seen": services.evidence_fingerprint(cc),
        },
    )
    assert saved.status_code == 302
    data = {"seen": services.dst_fingerprint(cc)}
    for code, entry in all_scores("moderate").items():
        data[f"{code}-level"], data[f"{code}-evidence"] = entry["level"], entry["evidence"]
    assert client.post(reverse("pathways:cc_dst", args=[case.pk]), data).status_code == 302
    page = client.post(
        reverse("pathways:cc_recommend", args=[case.pk]), {"recommendation": "needs", "reasons": "Complex"}
    )
    assert "give a reason for recommending otherwise" in page.content.decode()
    page = client.post(
        reverse("pathways:cc_recommend", args=[case.pk]),
        {"recommendation": "needs", "reasons": "Complex", "override_reason": "Nights are unsafe"},
    )
    assert page.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.RECOMMENDED
    html = client.get(reverse("pathways:case", args=[case.pk])).content.decode()
    assert "Nights are unsafe" in html and "Moderate" in html


def test_s117_end_pages(client, social_worker, clinician, s117_case):
    for person in (social_worker, clinician):
        client.force_login(person)
        assert (
            client.post(reverse("pathways:s117_end", args=[s117_case.pk]), {"reason": "Well"}).status_code
            == 302
        )
    s117_case.refresh_from_db()
    assert s117_case.status == Status.ENDED


def test_mdt_page(client, social_worker, cl_case, hampshire):
    client.force_login(social_worker)
    page = client.post(
        reverse("pathways:mdt_add", args=[cl_case.pk]),
        {
            "held_on": "02/03/2026",
            "agencies": [hampshire.pk],
            "attendees": "Sam",
            "unmet_need": "Sleep",
            "outcome": "Refer",
        },
    )
    assert page.status_code == 302
    assert (
        "MDT meeting, 2 March 2026"
        in client.get(reverse("pathways:case", args=[cl_case.pk])).content.decode()
    )


def test_ifr_decision_page(client, icb_panel_admin, ifr_case):
    client.force_login(icb_panel_admin)
    page = client.post(reverse("pathways:ifr_decision", args=[ifr_case.pk]), {"decision": "declined"})
    assert "Give the reasons" in page.content.decode()
    page = client.post(
        reverse("pathways:ifr_decision", args=[ifr_case.pk]), {"decision": "declined", "reasons": "No"}
    )
    assert page.status_code == 302


def test_child_cases_query_count(
    client, social_worker, amelia, hiow_icb, clock, django_assert_max_num_queries
):
    for n in range(22):
        services.cc_open(
            actor=social_worker,
            child=amelia,
            lead_agency=hiow_icb,
            case_worker=social_worker,
            referral_received_on=D(2026, 2, 1 + n),
        )
    client.force_login(social_worker)
    # session + user (2); the child, access-checked (1); view log insert (1); can_edit / IFR checks
    # read the user's agency (1); cases with details and people (1); events + actors (1); reviews (1);
    # settings rows (1); savepoints of ATOMIC_REQUESTS and notifications/context processors (the rest).
    with django_assert_max_num_queries(16):
        page = client.get(reverse("pathways:child_cases", args=[amelia.pk]))
    assert page.content.decode().count("Continuing Care</a>") == 22
