# ruff: noqa: F401, F403, F405, F811 - the panels and funding fixtures are imported by name
"""Every list, export and PDF that shows children is logged (issue 12): panels, funding, pathways.

One request writes one row naming exactly the children it showed (from the rows already loaded):
a ChildListViewLog for a list, an export or a PDF of many children, a ChildViewLog for a page about
one child. A list that shows nobody logs nothing, and another partnership's person gets the 404 of
a missing record with nothing logged. (The children list and search and the referral lists are in
tests/casework/test_read_logging.py.)
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from casework.models import ChildListViewLog, ChildViewLog
from funding import services as funding_services
from panels import services as panel_services
from panels.models import MeetingPack, Minutes
from pathways import services as escalation_services
from pathways import services as pathway_services
from pathways.models import EscalationAuthoriser, EscalationLevel, EscalationRoute, Seniority
from tests.factories import ActionFactory
from tests.funding.conftest import *  # the panels fixtures too (IRAP, its members, the clock)
from tests.panels.test_minutes_services import held
from tests.panels.test_pack import on_agenda

COUNCIL = "Hampshire County Council Children's Services"
ICB = "NHS Hampshire and Isle of Wight ICB"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def _marks() -> tuple[int, int]:
    return (
        ChildListViewLog.objects.aggregate(m=Max("id"))["m"] or 0,
        ChildViewLog.objects.aggregate(m=Max("id"))["m"] or 0,
    )


def _since(marks) -> tuple[list[ChildListViewLog], list[ChildViewLog]]:
    lists, views = marks
    return (
        list(ChildListViewLog.objects.filter(id__gt=lists).order_by("id")),
        list(ChildViewLog.objects.filter(id__gt=views).order_by("id")),
    )


def listed(client, url, children, *, channel="page", query="", params=None):
    """GET url: 200, and exactly one list row naming exactly `children` (and no record view)."""
    marks = _marks()
    response = client.get(url, params or {})
    assert response.status_code == 200, url
    lists, views = _since(marks)
    assert len(lists) == 1, (url, lists)
    row = lists[0]
    assert sorted(row.child_ids) == sorted(c.pk for c in children), url
    assert (row.channel, row.path, row.query) == (channel, url, query)
    assert views == [], url
    return response


def viewed(client, url, child, *, channel="page"):
    """GET url: 200, and exactly one view of `child`'s record (and no list row)."""
    marks = _marks()
    response = client.get(url)
    assert response.status_code == 200, url
    lists, views = _since(marks)
    assert [(v.child_id, v.channel, v.path) for v in views] == [(child.pk, channel, url)]
    assert lists == [], url
    return response


def nothing_logged(client, url, *, status=200):
    marks = _marks()
    assert client.get(url).status_code == status, url
    assert _since(marks) == ([], []), url


# --- Panels: a held meeting with Amelia's and Ben's referrals decided --------------------------------


@pytest.fixture
def actions(held, irap, panel_admin):
    """Two actions: one raised on Amelia's item, one on nothing in particular."""
    ActionFactory(panel=irap, agenda_item=held.items[0], meeting=held.meeting, created_by=panel_admin)
    ActionFactory(panel=irap, created_by=panel_admin)


def test_a_meetings_agenda_papers_and_running_page_log_the_children_on_it(
    held, panel_admin, panel_chair, child, another_child
):
    meeting = held.meeting
    both = [child, another_child]
    admin = _client(panel_admin)
    listed(admin, reverse("panels:agenda", args=[meeting.pk]), both)
    listed(admin, reverse("panels:papers", args=[meeting.pk]), both)
    listed(_api(panel_admin), f"/api/meetings/{meeting.pk}/agenda/", both, channel="api")

    # The chair's agenda lists the children; each item's page shows one child's summary, a view of
    # that record.
    listed(_client(panel_chair), reverse("panels:run_meeting", args=[meeting.pk]), both)
    for item in meeting.agenda_items.filter(referral__isnull=False, withdrawn_at__isnull=True):
        marks = _marks()
        url = reverse("panels:run_item", args=[meeting.pk, item.pk])
        assert _client(panel_chair).get(url).status_code == 200
        lists, views = _since(marks)
        assert lists == [] and [v.child_id for v in views] == [item.referral.child_id]


def test_the_minutes_page_api_and_pdf_log_the_children_they_name(
    held, panel_admin, panel_chair, icb_member, child, another_child, django_capture_on_commit_callbacks
):
    meeting = held.meeting
    both = [child, another_child]
    minutes = panel_services.minutes_draft(actor=panel_admin, meeting=meeting)
    page = reverse("panels:minutes", args=[meeting.pk])
    listed(_client(panel_admin), page, both)
    listed(_api(panel_admin), f"/api/meetings/{meeting.pk}/minutes/", both, channel="api")
    # A member does not see a draft's text, so nothing is read.
    nothing_logged(_client(icb_member), page)

    panel_services.minutes_approve(actor=panel_chair, minutes=minutes, version=1)
    with django_capture_on_commit_callbacks(execute=True):
        panel_services.minutes_circulate(actor=panel_admin, minutes=minutes)
    assert Minutes.objects.get(pk=minutes.pk).pdf_name
    listed(_client(icb_member), reverse("panels:minutes_pdf", args=[meeting.pk]), both, channel="pdf")


def test_decision_letters_list_and_pdf_log_their_children(
    held, panel_admin, child, another_child, django_capture_on_commit_callbacks
):
    meeting = held.meeting
    admin = _client(panel_admin)
    listed(admin, reverse("panels:letters", args=[meeting.pk]), [child, another_child])
    listed(_api(panel_admin), f"/api/meetings/{meeting.pk}/letters/", [child, another_child], channel="api")
    letter = panel_services.letter_prepare(actor=panel_admin, decision=held.decisions[0])
    viewed(admin, reverse("panels:letter_edit", args=[meeting.pk, letter.pk]), child)
    viewed(_api(panel_admin), f"/api/letters/{letter.pk}/", child, channel="api")
    with django_capture_on_commit_callbacks(execute=True):
        panel_services.letter_send(actor=panel_admin, letter=letter)
    viewed(admin, reverse("panels:letter_pdf", args=[letter.pk]), child, channel="pdf")


def test_the_action_log_logs_the_children_of_the_items_that_raised_its_actions(
    held, actions, irap, panel_admin, child
):
    url = reverse("panels:actions", args=[irap.pk])
    listed(_client(panel_admin), url, [child], query="status=open", params={"status": "open", "page": "1"})
    api_url = reverse("api-panel-actions", args=[irap.pk])
    listed(_api(panel_admin), api_url, [child], channel="api")


def test_an_action_log_that_names_no_child_logs_nothing(irap, panel_admin):
    ActionFactory(panel=irap, created_by=panel_admin)
    nothing_logged(_client(panel_admin), reverse("panels:actions", args=[irap.pk]))
    nothing_logged(_api(panel_admin), reverse("api-panel-actions", args=[irap.pk]))


def test_the_tracker_page_exports_and_api_log_the_children_with_the_filters(
    held, irap, panel_admin, child, another_child
):
    both = [child, another_child]
    params = {"pathway": "joint_package", "page": "1"}
    admin = _client(panel_admin)
    listed(
        admin, reverse("panels:tracker", args=[irap.pk]), both, query="pathway=joint_package", params=params
    )
    for name in ("panels:tracker_csv", "panels:tracker_xlsx"):
        listed(
            admin,
            reverse(name, args=[irap.pk]),
            both,
            channel="export",
            query="pathway=joint_package",
            params=params,
        )
    listed(
        _api(panel_admin),
        reverse("api-panel-tracker", args=[irap.pk]),
        both,
        channel="api",
        query="pathway=joint_package",
        params=params,
    )


def test_recommendations_lists_and_page_log_the_child(held, panel_admin, child):
    listed(_client(panel_admin), reverse("panels:recommendations"), [child])
    listed(_api(panel_admin), "/api/recommendations/", [child], channel="api")
    recommendation = held.decisions[0].recommendations.get()
    viewed(_client(panel_admin), reverse("panels:recommendation_respond", args=[recommendation.pk]), child)
    viewed(_api(panel_admin), f"/api/recommendations/{recommendation.pk}/", child, channel="api")


def test_someone_with_no_recommendations_logs_nothing(held, outsider):
    nothing_logged(_client(outsider), reverse("panels:recommendations"))
    nothing_logged(_api(outsider), "/api/recommendations/")


def test_the_panels_urls_answer_another_partnership_404_and_log_nothing(held, actions, irap, outsider):
    meeting = held.meeting
    decision = held.decisions[0]
    recommendation = decision.recommendations.get()
    page, api = _client(outsider), _api(outsider)
    for url in [
        reverse("panels:agenda", args=[meeting.pk]),
        reverse("panels:papers", args=[meeting.pk]),
        reverse("panels:run_meeting", args=[meeting.pk]),
        reverse("panels:minutes", args=[meeting.pk]),
        reverse("panels:minutes_pdf", args=[meeting.pk]),
        reverse("panels:letters", args=[meeting.pk]),
        reverse("panels:actions", args=[irap.pk]),
        reverse("panels:tracker", args=[irap.pk]),
        reverse("panels:tracker_csv", args=[irap.pk]),
        reverse("panels:tracker_xlsx", args=[irap.pk]),
        reverse("panels:recommendation_respond", args=[recommendation.pk]),
        reverse("panels:pack_download", args=[meeting.pk, 1]),
    ]:
        nothing_logged(page, url, status=404)
    for url in [
        f"/api/meetings/{meeting.pk}/agenda/",
        f"/api/meetings/{meeting.pk}/minutes/",
        f"/api/meetings/{meeting.pk}/letters/",
        reverse("api-panel-actions", args=[irap.pk]),
        reverse("api-panel-tracker", args=[irap.pk]),
        f"/api/recommendations/{recommendation.pk}/",
        reverse("api-meeting-pack-download", args=[meeting.pk, 1]),
    ]:
        nothing_logged(api, url, status=404)


# --- The panel pack: every child on the agenda it was built from -----------------------------------


def test_a_pack_download_logs_every_child_on_its_agenda_once(
    irap_meeting,
    make_submitted,
    another_child,
    child,
    panel_admin,
    outsider,
    django_capture_on_commit_callbacks,
):
    on_agenda(make_submitted(), irap_meeting, panel_admin, 1)
    on_agenda(make_submitted(child=another_child), irap_meeting, panel_admin, 2)
    admin = _client(panel_admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(reverse("panels:pack_make", args=[irap_meeting.pk])).status_code == 302
    pack = MeetingPack.objects.get(meeting=irap_meeting)
    assert pack.status == "ready"
    both = [child, another_child]
    listed(admin, reverse("panels:pack_download", args=[irap_meeting.pk, pack.version]), both, channel="pdf")
    listed(
        _api(panel_admin),
        reverse("api-meeting-pack-download", args=[irap_meeting.pk, pack.version]),
        both,
        channel="pdf",
    )
    nothing_logged(
        _client(outsider), reverse("panels:pack_download", args=[irap_meeting.pk, pack.version]), status=404
    )


# --- Funding ----------------------------------------------------------------------------------------


def _share(package, name):
    package.refresh_from_db()
    return package.current_version.shares.get(agency__name=name)


def test_funding_lists_and_the_approvals_tray_log_the_children(
    existing_package, child, council_finance, icb_finance
):
    finance = _client(council_finance)
    listed(finance, reverse("funding:list"), [child])
    listed(
        finance,
        reverse("funding:list"),
        [child],
        query="status=awaiting_approval",
        params={"status": "awaiting_approval"},
    )
    listed(_api(council_finance), "/api/funding/packages/", [child], channel="api")
    viewed(_api(council_finance), f"/api/funding/packages/{existing_package.pk}/", child, channel="api")
    # The ICB's approver has the ICB's share waiting.
    listed(_client(icb_finance), reverse("funding:tray"), [child])
    listed(_api(icb_finance), "/api/funding/approvals/", [child], channel="api")


def test_commitments_page_exports_and_api_log_the_children_of_their_lines(
    existing_package, child, council_finance, icb_finance
):
    finance = _client(council_finance)
    # Awaiting approval: only totalled, no line names a package, nothing logged.
    nothing_logged(finance, reverse("funding:commitments") + "?year=2026")
    for name, person in ((COUNCIL, council_finance), (ICB, icb_finance)):
        funding_services.share_approve(actor=person, share=_share(existing_package, name), expected_version=1)
    nothing_logged(finance, reverse("funding:tray"))  # nothing waits for approval now
    year = {"year": "2026"}
    listed(finance, reverse("funding:commitments"), [child], query="year=2026", params=year)
    for name in ("funding:export_csv", "funding:export_xlsx"):
        listed(finance, reverse(name), [child], channel="export", query="year=2026", params=year)
    listed(
        _api(council_finance),
        "/api/funding/commitments/",
        [child],
        channel="api",
        query="year=2026",
        params=year,
    )


def test_funding_urls_answer_another_partnership_404_or_nothing_and_log_nothing(existing_package, outsider):
    page, api = _client(outsider), _api(outsider)
    nothing_logged(page, reverse("funding:detail", args=[existing_package.pk]), status=404)
    nothing_logged(api, f"/api/funding/packages/{existing_package.pk}/", status=404)
    nothing_logged(page, reverse("funding:list"))
    nothing_logged(api, "/api/funding/packages/")
    nothing_logged(page, reverse("funding:commitments"))  # a service manager elsewhere: an empty year


# --- Pathways: every list is one child's, logged as a read of that child's record -----------------


@pytest.fixture
def cases(child, social_worker, service_manager, hiow_icb, clinician):
    case = pathway_services.cc_open(
        actor=social_worker,
        child=child,
        lead_agency=hiow_icb,
        case_worker=clinician,
        referral_received_on=dt.date(2026, 2, 16),
    )
    EscalationAuthoriser.objects.create(
        user=service_manager, seniority=Seniority.SERVICE_GROUP_MANAGER, job_title="Service Group Manager"
    )
    escalation = escalation_services.escalation_open(
        actor=social_worker,
        child=child,
        route=EscalationRoute.EMERGENCY,
        summary="In A&E since Saturday; no safe placement to go to",
        level=EscalationLevel.RSG,
        authorised_by=service_manager,
        reason="No placement can be found through usual routes",
        chair=clinician,
    )
    return case, escalation


def test_pathway_pages_and_api_log_one_view_of_the_child(cases, child, social_worker, outsider):
    case, escalation = cases
    page, api = _client(social_worker), _api(social_worker)
    pages = [
        reverse("pathways:child_cases", args=[child.pk]),
        reverse("pathways:case", args=[case.pk]),
        reverse("pathways:cc_checklist", args=[case.pk]),
        reverse("pathways:escalation_list", args=[child.pk]),
        reverse("pathways:escalation", args=[escalation.pk]),
        reverse("pathways:escalation_resolve", args=[escalation.pk]),
    ]
    apis = [
        f"/api/children/{child.pk}/pathway-cases/",
        f"/api/pathway-cases/{case.pk}/",
        f"/api/children/{child.pk}/escalations/",
        f"/api/escalations/{escalation.pk}/",
    ]
    for url in pages:
        viewed(page, url, child)
    for url in apis:
        viewed(api, url, child, channel="api")
    for url in pages:
        nothing_logged(_client(outsider), url, status=404)
    for url in apis:
        nothing_logged(_api(outsider), url, status=404)


# --- Single reads that were missing (issue 12) ------------------------------------------------------


def test_an_action_s_page_a_decision_and_the_declarations_log_their_children(
    held, actions, irap, panel_admin, child, another_child
):
    action = held.items[0].actions.get()
    listed(_client(panel_admin), reverse("panels:action", args=[action.pk]), [child])
    listed(_api(panel_admin), reverse("api-decision", args=[held.decisions[0].pk]), [child], channel="api")
    declarations = reverse("api-meeting-declarations", args=[held.meeting.pk])
    response = _api(panel_admin).get(declarations)
    assert response.status_code == 200
    lists, _views = _since((0, 0))
    assert any(row.path == declarations and row.channel == "api" for row in lists)


def test_an_evidence_download_is_a_read_of_the_child_s_record(submitted_referral, social_worker, child):
    evidence = submitted_referral.evidence.first()
    url = reverse("referrals:evidence_download", args=[submitted_referral.pk, evidence.pk])
    marks = _marks()
    response = _client(social_worker).get(url)
    assert response.status_code == 200
    _lists, views = _since(marks)
    assert [(v.child_id, v.channel) for v in views] == [(child.pk, "download")]
