"""The pathways API: the same rules as the pages, outsider 404, 400 field errors, 409, IFR detail."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from pathways.models import Status
from tests.pathways.conftest import all_scores

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_outsider_404_everywhere(outsider, amelia, cc_case, s117_case, ifr_case, cl_case):
    c = api(outsider)
    assert c.get(f"/api/children/{amelia.pk}/pathway-cases/").status_code == 404
    assert (
        c.post(f"/api/children/{amelia.pk}/pathway-cases/continuing-care/", {}, format="json").status_code
        == 404
    )
    assert c.post(f"/api/children/{amelia.pk}/pathway-cases/ifr/", {}, format="json").status_code == 404
    for case in (cc_case, s117_case, ifr_case, cl_case):
        assert c.get(f"/api/pathway-cases/{case.pk}/").status_code == 404
        for action in ("checklist", "dst", "end-aftercare", "ifr-decision", "mdt", "reviews"):
            assert c.post(f"/api/pathway-cases/{case.pk}/{action}/", {}, format="json").status_code == 404


def test_bad_ids_and_actions_404(social_worker, cc_case):
    c = api(social_worker)
    assert c.get("/api/pathway-cases/abc/").status_code == 404
    assert c.post(f"/api/pathway-cases/{cc_case.pk}/fly/", {}, format="json").status_code == 404


def test_list_for_child(social_worker, amelia, cc_case):
    body = api(social_worker).get(f"/api/children/{amelia.pk}/pathway-cases/").json()
    assert body["results"][0]["next_due"] == {"label": "Decision", "on": "2026-03-30", "overdue": False}


def test_cc_through_the_api(social_worker, clinician, amelia, hiow_icb):
    c = api(social_worker)
    r = c.post(
        f"/api/children/{amelia.pk}/pathway-cases/continuing-care/",
        {"lead_agency": hiow_icb.pk, "referral_received_on": "2026-02-16"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert (
        c.post(
            f"/api/pathway-cases/{pk}/checklist/",
            {"completed_on": "2026-02-20", "full_assessment_needed": True},
            format="json",
        ).status_code
        == 200
    )
    # Stale repeat: 409.
    assert (
        c.post(
            f"/api/pathway-cases/{pk}/checklist/",
            {"completed_on": "2026-02-20", "full_assessment_needed": True},
            format="json",
        ).status_code
        == 409
    )
    n = api(clinician)
    cc = n.get(f"/api/pathway-cases/{pk}/").json()["continuing_care"]
    bad = n.post(
        f"/api/pathway-cases/{pk}/dst/",
        {"scores": {"communication": {"level": "priority"}}, "fingerprint": cc["dst_fingerprint"]},
        format="json",
    )
    assert bad.status_code == 400 and "communication" in bad.json()
    saved = n.post(
        f"/api/pathway-cases/{pk}/dst/",
        {"scores": all_scores("low"), "fingerprint": cc["dst_fingerprint"]},
        format="json",
    )
    assert saved.status_code == 200
    assert saved.json()["continuing_care"]["dst_fingerprint"] != cc["dst_fingerprint"]
    n.post(
        f"/api/pathway-cases/{pk}/evidence/",
        {
            "preferences": "a",
            "holistic_assessment": "b",
            "professional_reports": "c",
            "fingerprint": cc["evidence_fingerprint"],
        },
        format="json",
    )
    r = n.post(
        f"/api/pathway-cases/{pk}/recommendation/",
        {"recommendation": "no_needs", "reasons": "Low"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["status"] == Status.RECOMMENDED


def test_section_2_is_a_400_with_explanation(social_worker, amelia, hampshire, hiow_icb):
    r = api(social_worker).post(
        f"/api/children/{amelia.pk}/pathway-cases/section-117/",
        {
            "lead_agency": hampshire.pk,
            "detention_section": "2",
            "detained_on": "2025-11-03",
            "responsible_icb": hiow_icb.pk,
            "responsible_council": hampshire.pk,
        },
        format="json",
    )
    assert r.status_code == 400
    assert "does not give a right" in r.json()["detention_section"][0]


def test_ifr_by_non_clinician_403(social_worker, amelia):
    r = api(social_worker).post(
        f"/api/children/{amelia.pk}/pathway-cases/ifr/",
        {"treatment": "x", "exceptionality": "y"},
        format="json",
    )
    assert r.status_code == 403 and "NHS clinician" in r.json()["detail"]


def test_ifr_clinical_detail_only_for_nhs(social_worker, clinician, ifr_case):
    assert "treatment" not in api(social_worker).get(f"/api/pathway-cases/{ifr_case.pk}/").json()["ifr"]
    assert (
        api(clinician).get(f"/api/pathway-cases/{ifr_case.pk}/").json()["ifr"]["treatment"]
        == "Off-licence drug X"
    )


def test_review_before_package_400(social_worker, cc_package):
    r = api(social_worker).post(
        f"/api/pathway-cases/{cc_package.pk}/reviews/", {"held_on": "2026-03-01"}, format="json"
    )
    assert r.status_code == 400 and "held_on" in r.json()


def test_list_query_count(social_worker, amelia, hiow_icb, django_assert_max_num_queries):
    from pathways import services
    from tests.pathways.conftest import D

    for n in range(22):
        services.cc_open(
            actor=social_worker,
            child=amelia,
            lead_agency=hiow_icb,
            case_worker=social_worker,
            referral_received_on=D(2026, 2, 1 + n),
        )
    c = api(social_worker)
    # child access-checked (1); view log (1); cases with details and people (1); events + actors (1);
    # reviews (1); settings rows (1); user's agency for the IFR rule (1); savepoints.
    with django_assert_max_num_queries(10):
        r = c.get(f"/api/children/{amelia.pk}/pathway-cases/")
    assert len(r.json()["results"]) == 22
