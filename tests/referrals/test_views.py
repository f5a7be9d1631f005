"""The referral pages, as people use them: through the test client, on PostgreSQL, without JavaScript."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from casework.models import Role
from referrals import services
from referrals.models import Evidence, Option, Referral, SignOff, Status
from referrals.urls import urlpatterns
from tests.factories import ChildFactory, MeetingFactory, UserFactory
from tests.referrals.test_journey_services import MINIMAL_PDF

SECTION_DATA = {
    "referrer": {"referrer_relationship": "Allocated social worker"},
    "needs": {"assessed_needs": "Autism and severe anxiety."},
    "support": {"current_support": "CAMHS weekly."},
    "permanency": {"permanency_plan": "Return home with support."},
    "education": {
        "education_change": "True",
        "education_has_ehc_plan": "True",
        "education_discussed_with_sen": "True",
        "education_sen_comments": "Oakwood can meet need; no extra funding.",
        "education_current_school": "Oakwood School",
        "education_school_type": "special",
    },
    "elsewhere": {"considered_elsewhere": "Short breaks panel."},
    "child_voice": {"child_voice": "Wants to stay near her brother."},
    "parents_voice": {"parents_voice": "Mother agrees."},
    "reason": {"reason_for_referral": "Placement at risk.", "summary_of_circumstances": "Escalating crisis."},
}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _status(referral: Referral) -> str:
    return Referral.objects.values_list("status", flat=True).get(pk=referral.pk)


def _option_data(hampshire, hiow_icb, **overrides) -> dict:
    data = {
        "description": "Residential short breaks, two nights a week",
        "provider": "Oak House",
        "cost": "£1,234.56",
        "period": "weekly",
        "starts_on": "01/02/2027",
        "ends_on": "31/01/2028",
        "benefits": "Keeps the family together.",
        "risks": "",
        "basis": "percentage",
        f"share_{hampshire.pk}": "50",
        f"share_{hiow_icb.pk}": "50",
    }
    data.update(overrides)
    return data


# --- The whole journey -------------------------------------------------------------------------


def test_write_sign_sign_submit_through_the_pages(
    sam, child, social_worker, team_manager, service_manager, panel_chair, panel, meeting, hampshire, hiow_icb
):
    child_page = sam.get(reverse("children:detail", args=[child.pk]))
    start_url = reverse("referrals:start", args=[child.pk])
    assert start_url in child_page.content.decode()

    response = sam.post(
        start_url,
        {"panel": panel.pk, "pathway": "joint_package", "request_type": "new", "urgency": "routine"},
    )
    referral = Referral.objects.get(child=child)
    assert response.status_code == 302 and response["Location"] == reverse(
        "referrals:tasks", args=[referral.pk]
    )
    assert referral.status == Status.DRAFT and referral.referrer == social_worker

    tasks = sam.get(reverse("referrals:tasks", args=[referral.pk])).content.decode()
    assert "govuk-task-list" in tasks and "Incomplete" in tasks
    assert "Not needed" in tasks  # IRO comments: the child is not looked after

    for section, data in SECTION_DATA.items():
        url = reverse("referrals:section", args=[referral.pk, section])
        assert sam.get(url).status_code == 200
        response = sam.post(url, {**data, "then": "tasks"})
        assert response.status_code == 302, (section, response.content.decode()[:2000])
        assert response["Location"] == reverse("referrals:tasks", args=[referral.pk])

    response = sam.post(
        reverse("referrals:option_add", args=[referral.pk]), _option_data(hampshire, hiow_icb)
    )
    assert response.status_code == 302
    option = Option.objects.get(referral=referral)
    assert option.cost == Decimal("1234.56") and option.is_recommended
    assert sorted(option.shares.values_list("value", flat=True)) == [Decimal("50"), Decimal("50")]
    options_page = sam.get(reverse("referrals:options", args=[referral.pk])).content.decode()
    assert "£617.28" in options_page  # each agency's weekly half
    assert "£64,197.12" in options_page  # the annual total, beside the weekly one

    response = sam.post(
        reverse("referrals:evidence", args=[referral.pk]),
        {
            "file": SimpleUploadedFile("assessment.pdf", MINIMAL_PDF, "application/pdf"),
            "title": "CAMHS report",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(referral=referral)
    assert evidence.original_name == "assessment.pdf"

    tasks = sam.get(reverse("referrals:tasks", args=[referral.pk])).content.decode()
    assert "Incomplete" not in tasks and "Ready to send" in tasks

    response = sam.post(reverse("referrals:send", args=[referral.pk]), {"status": "draft"})
    assert response.status_code == 302
    assert _status(referral) == Status.AWAITING_TEAM_MANAGER

    tara = _client(team_manager)
    page = tara.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "Return with comments" in page and "CAMHS report" in page
    response = tara.post(
        reverse("referrals:sign", args=[referral.pk]), {"status": "awaiting_team_manager", "decision": "sign"}
    )
    assert response.status_code == 302
    assert _status(referral) == Status.AWAITING_SERVICE_MANAGER

    sunita = _client(service_manager)
    response = sunita.post(
        reverse("referrals:sign", args=[referral.pk]),
        {"status": "awaiting_service_manager", "decision": "sign", "comments": "Agreed."},
    )
    assert response.status_code == 302
    assert _status(referral) == Status.READY_TO_SUBMIT

    submit_url = reverse("referrals:submit", args=[referral.pk])
    submit_page = sam.get(submit_url).content.decode()
    assert "papers due" in submit_page and "late paper" in submit_page
    response = sam.post(submit_url, {"status": "ready_to_submit", "meeting": meeting.pk})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Status.SUBMITTED and referral.meeting == meeting and not referral.is_late_paper

    detail = sam.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "Submitted" in detail and "Agreed." in detail and "Sunita Rao" in detail

    chair_list = _client(panel_chair).get(reverse("referrals:meeting", args=[meeting.pk])).content.decode()
    assert reverse("referrals:detail", args=[referral.pk]) in chair_list

    download = tara.get(reverse("referrals:evidence_download", args=[referral.pk, evidence.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == MINIMAL_PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"


def test_education_questions_are_all_on_one_page_each_follow_up_under_its_answer(sam, draft):
    page = sam.get(reverse("referrals:section", args=[draft.pk, "education"])).content.decode()
    for name in SECTION_DATA["education"]:
        assert f'name="{name}"' in page
    assert "A question set under an answer is only asked when that answer is chosen" in page
    assert "(optional)" not in page


def test_save_as_draft_keeps_an_incomplete_section_and_stays_on_the_page(sam, draft):
    url = reverse("referrals:section", args=[draft.pk, "education"])
    response = sam.post(url, {"education_current_school": "Oakwood School", "then": "stay"})
    assert response.status_code == 302 and response["Location"] == url
    draft.refresh_from_db()
    assert draft.education_current_school == "Oakwood School" and draft.education_change is None
    assert "Oakwood School" in sam.get(url).content.decode()


def test_review_needs_the_earlier_referral(sam, child, panel):
    response = sam.post(
        reverse("referrals:start", args=[child.pk]),
        {"panel": panel.pk, "pathway": "joint_package", "request_type": "review", "urgency": "urgent"},
    )
    assert response.status_code == 200
    assert "Choose the earlier referral whose funding this reviews" in response.content.decode()
    assert not Referral.objects.filter(child=child).exists()


def test_review_of_an_earlier_referral(sam, child, panel, draft):
    response = sam.post(
        reverse("referrals:start", args=[child.pk]),
        {
            "panel": panel.pk,
            "pathway": "joint_package",
            "request_type": "review",
            "review_of": draft.pk,
            "urgency": "emergency",
        },
    )
    assert response.status_code == 302
    review = Referral.objects.exclude(pk=draft.pk).get(child=child)
    assert review.review_of == draft
    page = sam.get(reverse("referrals:detail", args=[review.pk])).content.decode()
    assert "govuk-tag--red" in page and "Emergency" in page


# --- Bad input -----------------------------------------------------------------------------------


def test_sending_an_incomplete_referral_links_each_missing_section(sam, draft):
    response = sam.post(reverse("referrals:send", args=[draft.pk]), {"status": "draft"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page
    for key in ("referrer", "needs", "support", "permanency", "education", "reason"):
        assert f'href="{reverse("referrals:section", args=[draft.pk, key])}"' in page
    assert f'href="{reverse("referrals:options", args=[draft.pk])}"' in page
    assert f'href="{reverse("referrals:evidence", args=[draft.pk])}"' in page
    assert f'href="{reverse("referrals:section", args=[draft.pk, "iro"])}"' not in page  # not looked after
    assert _status(draft) == Status.DRAFT


def test_split_that_does_not_add_up_is_shown_next_to_the_split(sam, draft, hampshire, hiow_icb):
    data = _option_data(hampshire, hiow_icb, **{f"share_{hiow_icb.pk}": "40"})
    response = sam.post(reverse("referrals:option_add", args=[draft.pk]), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["basis"] == ["The percentages add up to 90%, not 100%"]
    page = response.content.decode()
    assert "Residential short breaks, two nights a week" in page  # nothing typed is lost
    assert 'value="40"' in page and 'value="£1,234.56"' in page
    assert not Option.objects.exists()


def test_amounts_that_do_not_add_up(sam, draft, hampshire, hiow_icb):
    data = _option_data(
        hampshire,
        hiow_icb,
        cost="100",
        basis="amount",
        **{f"share_{hampshire.pk}": "60", f"share_{hiow_icb.pk}": "39.99"},
    )
    response = sam.post(reverse("referrals:option_add", args=[draft.pk]), data)
    assert response.context["form"].errors["basis"] == [
        "The amounts add up to £99.99, not the cost of £100.00"
    ]


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ("-5", "The cost must be 0 or more"),
        ("£-5.00", "The cost must be 0 or more"),
        ("twelve", "Enter the cost as a number, like 1250 or 1250.50"),
        ("12.345", "Enter the cost with no more than 2 decimal places, like 1250 or 1250.50"),
        ("NaN", "Enter the cost as a number, like 1250 or 1250.50"),
        ("1e5", "Enter the cost as a number, like 1250 or 1250.50"),
        ("", "Enter the cost"),
    ],
)
def test_bad_costs_get_clear_messages(sam, draft, hampshire, hiow_icb, cost, message):
    response = sam.post(
        reverse("referrals:option_add", args=[draft.pk]), _option_data(hampshire, hiow_icb, cost=cost)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["cost"] == [message]
    assert "govuk-error-summary" in response.content.decode()


def test_bad_share_values_are_shown_on_their_row(sam, draft, hampshire, hiow_icb):
    data = _option_data(
        hampshire, hiow_icb, **{f"share_{hampshire.pk}": "-10", f"share_{hiow_icb.pk}": "33.333"}
    )
    errors = sam.post(reverse("referrals:option_add", args=[draft.pk]), data).context["form"].errors
    assert errors[f"share_{hampshire.pk}"] == [f"{hampshire.name}'s percentage must be 0 or more"]
    assert "no more than 2 decimal places" in errors[f"share_{hiow_icb.pk}"][0]


def test_end_before_start(sam, draft, hampshire, hiow_icb):
    data = _option_data(hampshire, hiow_icb, starts_on="10/05/2027", ends_on="01/05/2027")
    response = sam.post(reverse("referrals:option_add", args=[draft.pk]), data)
    assert response.context["form"].errors["ends_on"] == ["The end date must be on or after the start date"]


def test_split_rows_offer_involved_agencies_and_the_host(sam, draft, hampshire, hiow_icb, leicester):
    form = sam.get(reverse("referrals:option_add", args=[draft.pk])).context["form"]
    assert {a.pk for a in form.agencies} == {hampshire.pk, hiow_icb.pk}


def test_edit_remove_and_recommend_an_option(sam, complete, hampshire, hiow_icb):
    first = complete.options.get()
    data = _option_data(hampshire, hiow_icb, description="Specialist foster placement", cost="900")
    assert sam.post(reverse("referrals:option_add", args=[complete.pk]), data).status_code == 302
    second = complete.options.exclude(pk=first.pk).get()
    assert not second.is_recommended

    edit_url = reverse("referrals:option_edit", args=[complete.pk, second.pk])
    assert 'value="900.00"' in sam.get(edit_url).content.decode()
    assert sam.post(edit_url, {**data, "cost": "950"}).status_code == 302
    second.refresh_from_db()
    assert second.cost == Decimal("950.00")

    assert sam.post(reverse("referrals:option_recommend", args=[complete.pk, second.pk])).status_code == 302
    second.refresh_from_db()
    assert second.is_recommended

    remove_url = reverse("referrals:option_remove", args=[complete.pk, first.pk])
    assert "Remove option 1?" in sam.get(remove_url).content.decode()
    assert sam.post(remove_url).status_code == 302
    assert list(complete.options.all()) == [second]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("empty.pdf", b"", "application/pdf"), "The selected file is empty"),
        (SimpleUploadedFile("photo.png", MINIMAL_PDF, "image/png"), "is called photo.png but is a PDF"),
        (SimpleUploadedFile("notes.txt", b"just some text", "text/plain"), "must be a PDF, Word document"),
        (SimpleUploadedFile("big.pdf", MINIMAL_PDF * 4, "application/pdf"), "must be smaller than"),
    ],
)
def test_bad_uploads_are_shown_next_to_the_file_field(sam, draft, settings, upload, message):
    settings.EVIDENCE_MAX_UPLOAD_MB = 0.001  # about 1 KB
    response = sam.post(reverse("referrals:evidence", args=[draft.pk]), {"file": upload, "title": "My title"})
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert any(message in error for error in errors), errors
    page = response.content.decode()
    assert 'id="id_file-error"' in page and 'href="#id_file"' in page
    assert 'value="My title"' in page
    assert not Evidence.objects.exists()


def test_missing_upload(sam, draft):
    response = sam.post(reverse("referrals:evidence", args=[draft.pk]), {"title": ""})
    assert response.context["form"].errors["file"] == ["Select a file"]


def test_remove_evidence(sam, complete):
    evidence = complete.evidence.get()
    url = reverse("referrals:evidence_remove", args=[complete.pk, evidence.pk])
    assert sam.get(url).status_code == 200
    assert sam.post(url).status_code == 302
    evidence.refresh_from_db()
    assert evidence.removed_at is not None
    download = sam.get(reverse("referrals:evidence_download", args=[complete.pk, evidence.pk]))
    assert download.status_code == 404


def test_nothing_typed_is_lost_when_a_section_is_too_long(sam, draft):
    url = reverse("referrals:section", args=[draft.pk, "reason"])
    too_long = "x" * 10001
    response = sam.post(
        url, {"reason_for_referral": "Placement at risk.", "summary_of_circumstances": too_long}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Placement at risk." in page and too_long in page
    assert "govuk-error-summary" in page
    draft.refresh_from_db()
    assert draft.reason_for_referral == ""


def test_return_needs_comments_and_keeps_nothing_lost(awaiting_team_manager, team_manager):
    tara = _client(team_manager)
    url = reverse("referrals:sign", args=[awaiting_team_manager.pk])
    response = tara.post(url, {"status": "awaiting_team_manager", "decision": "return", "comments": "  "})
    assert response.status_code == 200
    assert "Enter what needs to change before you can sign" in response.content.decode()
    assert _status(awaiting_team_manager) == Status.AWAITING_TEAM_MANAGER

    response = tara.post(
        url, {"status": "awaiting_team_manager", "decision": "return", "comments": "Add the CAMHS view."}
    )
    assert response.status_code == 302
    assert _status(awaiting_team_manager) == Status.RETURNED


@pytest.mark.parametrize(
    "path",
    [
        "/referrals/abc/",
        "/referrals/abc/tasks/",
        "/referrals/0/",
        "/referrals/-1/sign/",
        "/referrals/99999999999999999999/",
        "/referrals/1/sections/nonsense/",
        "/referrals/meetings/abc/",
        "/referrals/children/abc/new/",
        "/referrals/1/options/abc/",
        "/referrals/1/evidence/abc/",
    ],
)
def test_junk_ids_are_404_not_500(sam, draft, path):
    path = path.replace("/1/", f"/{draft.pk}/")
    assert sam.get(path).status_code == 404
    assert sam.post(path).status_code == 404


# --- Access --------------------------------------------------------------------------------------


def _every_url(referral, meeting, option, evidence) -> list[tuple[str, str]]:
    values = {
        "pk": referral.pk,
        "child_pk": referral.child_id,
        "meeting_pk": meeting.pk,
        "section": "needs",
        "option_pk": option.pk,
        "evidence_pk": evidence.pk,
    }
    urls = []
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        kwargs = {name: values[name] for name in pattern.pattern.converters}
        urls.append((pattern.name, reverse(f"referrals:{pattern.name}", kwargs=kwargs)))
    return urls


def test_outsider_gets_404_on_every_referral_url(outsider, complete, meeting, child):
    option, evidence = complete.options.get(), complete.evidence.get()
    olive = _client(outsider)
    checked = 0
    for name, url in _every_url(complete, meeting, option, evidence):
        if name in {"mine", "awaiting", "all"}:
            for response in (olive.get(url), olive.post(url)):
                assert response.status_code == 200, url
                assert child.family_name not in response.content.decode()
            continue
        assert olive.get(url).status_code == 404, url
        assert olive.post(url, {"status": complete.status}).status_code == 404, url
        checked += 1
    assert checked == len(urlpatterns) - 3
    assert _status(complete) == Status.DRAFT and complete.options.count() == 1


def test_auditor_can_view_but_not_change(auditor, complete):
    audrey = _client(auditor)
    assert audrey.get(reverse("referrals:detail", args=[complete.pk])).status_code == 200
    for url in (
        reverse("referrals:tasks", args=[complete.pk]),
        reverse("referrals:section", args=[complete.pk, "needs"]),
        reverse("referrals:option_add", args=[complete.pk]),
        reverse("referrals:evidence", args=[complete.pk]),
        reverse("referrals:send", args=[complete.pk]),
    ):
        assert audrey.get(url).status_code == 403, url
        assert audrey.post(url, {"assessed_needs": "Changed", "status": "draft"}).status_code == 403, url
    complete.refresh_from_db()
    assert complete.assessed_needs == "Autism and severe anxiety."
    download = audrey.get(
        reverse("referrals:evidence_download", args=[complete.pk, complete.evidence.get().pk])
    )
    assert download.status_code == 200


def test_social_worker_cannot_sign_her_own_referral(sam, awaiting_team_manager):
    response = sam.post(
        reverse("referrals:sign", args=[awaiting_team_manager.pk]),
        {"status": "awaiting_team_manager", "decision": "sign"},
    )
    assert response.status_code == 403
    assert _status(awaiting_team_manager) == Status.AWAITING_TEAM_MANAGER


def test_meeting_list_is_for_panel_people_of_the_partnership(sam, meeting, panel_chair, outsider):
    url = reverse("referrals:meeting", args=[meeting.pk])
    assert _client(panel_chair).get(url).status_code == 200
    assert sam.get(url).status_code == 404  # a social worker is not a panel person
    chair_elsewhere = UserFactory(agency=outsider.agency, roles=[Role.PANEL_CHAIR])
    assert _client(chair_elsewhere).get(url).status_code == 404


# --- Double submissions and races ---------------------------------------------------------------


def test_send_for_sign_off_twice_is_a_409_not_a_second_transition(sam, complete):
    url = reverse("referrals:send", args=[complete.pk])
    assert sam.post(url, {"status": "draft"}).status_code == 302
    second = sam.post(url, {"status": "draft"})
    assert second.status_code == 409
    assert "This has already changed" in second.content.decode()
    assert complete.status_changes.filter(new_status=Status.AWAITING_TEAM_MANAGER).count() == 1


def test_two_team_managers_signing_at_once(awaiting_team_manager, team_manager, hampshire, hampshire_team):
    other = UserFactory(agency=hampshire, roles=[Role.TEAM_MANAGER], full_name="Theo Grant")
    other.teams.add(hampshire_team)
    url = reverse("referrals:sign", args=[awaiting_team_manager.pk])
    first, second = _client(team_manager), _client(other)
    # Both opened the page while it waited for a team manager.
    assert (
        "Return with comments"
        in first.get(reverse("referrals:detail", args=[awaiting_team_manager.pk])).content.decode()
    )
    assert (
        "Return with comments"
        in second.get(reverse("referrals:detail", args=[awaiting_team_manager.pk])).content.decode()
    )
    assert first.post(url, {"status": "awaiting_team_manager", "decision": "sign"}).status_code == 302
    response = second.post(url, {"status": "awaiting_team_manager", "decision": "sign"})
    assert response.status_code == 409
    assert SignOff.objects.filter(referral=awaiting_team_manager).count() == 1
    assert _status(awaiting_team_manager) == Status.AWAITING_SERVICE_MANAGER


def test_signing_twice_does_not_sign_twice(awaiting_team_manager, team_manager):
    tara = _client(team_manager)
    url = reverse("referrals:sign", args=[awaiting_team_manager.pk])
    assert tara.post(url, {"status": "awaiting_team_manager", "decision": "sign"}).status_code == 302
    assert tara.post(url, {"status": "awaiting_team_manager", "decision": "sign"}).status_code == 409
    assert SignOff.objects.filter(referral=awaiting_team_manager).count() == 1


def test_changing_a_signed_referral_shows_the_withdrawn_signature(sam, awaiting_team_manager, team_manager):
    services.referral_sign(actor=team_manager, referral=awaiting_team_manager)
    url = reverse("referrals:section", args=[awaiting_team_manager.pk, "needs"])
    response = sam.post(url, {"assessed_needs": "Changed needs.", "then": "tasks"}, follow=True)
    assert "Signatures withdrawn" in response.content.decode()
    assert _status(awaiting_team_manager) == Status.DRAFT
    page = sam.get(reverse("referrals:detail", args=[awaiting_team_manager.pk])).content.decode()
    assert "Signatures withdrawn" in page and "Withdrawn" in page
    assert "1. Assessed needs changed after signing" in page


@pytest.mark.parametrize(
    ("state", "warned"), [("draft", False), ("awaiting_team_manager", True), ("ready", True)]
)
def test_the_task_list_and_sections_warn_of_a_change_during_sign_off(sam, request, state, warned):
    """The warning follows the rule itself (Referral.is_in_sign_off), not a copy of its statuses."""
    referral = request.getfixturevalue(state)
    warning = "If you change it, its signatures are withdrawn and it goes back to draft."
    for url in (
        reverse("referrals:tasks", args=[referral.pk]),
        reverse("referrals:section", args=[referral.pk, "needs"]),
    ):
        assert (warning in sam.get(url).content.decode()) is warned


# --- The chair's decisions ---------------------------------------------------------------------


def test_late_paper_accepted_or_moved_by_the_chair(sam, ready, panel, panel_chair):
    soon = MeetingFactory(panel=panel, date=timezone.localdate() + dt.timedelta(days=2))
    later = MeetingFactory(panel=panel, date=timezone.localdate() + dt.timedelta(days=60))
    page = sam.get(reverse("referrals:submit", args=[ready.pk])).content.decode()
    assert "this would be a late paper" in page
    response = sam.post(
        reverse("referrals:submit", args=[ready.pk]), {"status": "ready_to_submit", "meeting": soon.pk}
    )
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.is_late_paper

    peter = _client(panel_chair)
    detail = peter.get(reverse("referrals:detail", args=[ready.pk])).content.decode()
    assert "Accept the late paper" in detail and "Move to another meeting" in detail
    assert (
        sam.post(reverse("referrals:accept_late", args=[ready.pk]), {"status": "submitted"}).status_code
        == 403
    )

    move_url = reverse("referrals:move", args=[ready.pk])
    assert later.date.strftime("%-d %B %Y") in peter.get(move_url).content.decode()
    assert peter.post(move_url, {"status": "submitted", "meeting": later.pk}).status_code == 302
    ready.refresh_from_db()
    assert ready.meeting == later and not ready.is_late_paper


def test_chair_accepts_a_late_paper(sam, ready, panel, panel_chair):
    soon = MeetingFactory(panel=panel, date=timezone.localdate() + dt.timedelta(days=2))
    sam.post(reverse("referrals:submit", args=[ready.pk]), {"status": "ready_to_submit", "meeting": soon.pk})
    peter = _client(panel_chair)
    assert (
        peter.post(reverse("referrals:accept_late", args=[ready.pk]), {"status": "submitted"}).status_code
        == 302
    )
    ready.refresh_from_db()
    assert ready.late_accepted_by == panel_chair
    assert (
        peter.post(reverse("referrals:accept_late", args=[ready.pk]), {"status": "submitted"}).status_code
        == 409
    )


def test_withdraw_needs_a_reason(sam, draft):
    url = reverse("referrals:withdraw", args=[draft.pk])
    response = sam.post(url, {"status": "draft", "reason": ""})
    assert response.context["form"].errors["reason"] == ["Enter why the referral is withdrawn"]
    assert sam.post(url, {"status": "draft", "reason": "Family moved away."}).status_code == 302
    assert _status(draft) == Status.WITHDRAWN
    assert "Family moved away." in sam.get(reverse("referrals:detail", args=[draft.pk])).content.decode()


def test_close_only_when_decided(sam, draft):
    url = reverse("referrals:close", args=[draft.pk])
    assert sam.post(url, {"status": "draft", "reason": "no_longer_needed"}).status_code == 409
    Referral.objects.filter(pk=draft.pk).update(status=Status.DECIDED)
    assert "Close the referral" in sam.get(reverse("referrals:detail", args=[draft.pk])).content.decode()
    response = sam.post(url, {"status": "decided", "reason": ""})
    assert response.context["form"].errors["reason"] == ["Choose why the referral is being closed"]
    assert sam.post(url, {"status": "decided", "reason": "provision_accessed"}).status_code == 302
    assert _status(draft) == Status.CLOSED


# --- Lists, navigation and query counts ---------------------------------------------------------


@pytest.fixture
def thirty_referrals(hampshire, social_worker, panel, hiow_icb):
    made = []
    for n in range(30):
        child = ChildFactory(owning_agency=hampshire, created_by=social_worker, involved=[hiow_icb])
        made.append(
            services.referral_create(
                actor=social_worker,
                child=child,
                panel=panel,
                pathway="joint_package",
                urgency="emergency" if n % 7 == 0 else "routine",
            )
        )
    return made


def test_my_referrals_query_count_is_flat(sam, thirty_referrals, django_assert_max_num_queries):
    # session, user with agency, the request's savepoint, count, one page of referrals with child,
    # panel, meeting, referrer and agency joined, release, then the session save in its own
    # savepoint and release (a social worker signs nothing, so the navigation count costs nothing); plus the unread-notices count in the header
    # and the list view log insert (the children named on the page)
    with django_assert_max_num_queries(11):
        response = sam.get(reverse("referrals:mine"))
    assert len(response.context["page"].object_list) == 25
    assert "?page=2" in response.content.decode()


def test_all_referrals_query_count_is_flat(
    client, team_manager, thirty_referrals, django_assert_max_num_queries
):
    client.force_login(team_manager)
    # session, user with agency, savepoint, count, one page of referrals with its joins, the panels
    # for the filter, the navigation's awaiting-sign-off count, release, session save (savepoint,
    # update, release); plus the unread-notices count and the list view log insert
    with django_assert_max_num_queries(13):
        response = client.get(reverse("referrals:all"), {"pathway": "joint_package", "panel": ""})
    assert len(response.context["page"].object_list) == 25
    assert "?pathway=joint_package&amp;panel=&amp;page=2" in response.content.decode()  # keeps the filters


def test_filters(sam, thirty_referrals, panel):
    emergencies = sam.get(reverse("referrals:all"), {"urgency": "emergency"}).context["page"]
    assert emergencies.paginator.count == 5
    assert sam.get(reverse("referrals:all"), {"status": "decided"}).context["page"].paginator.count == 0
    assert sam.get(reverse("referrals:all"), {"panel": panel.pk}).context["page"].paginator.count == 30
    # A filter value that is not a choice is ignored, not an error page.
    assert sam.get(reverse("referrals:all"), {"status": "nonsense", "panel": "x"}).status_code == 200


def test_referral_page_query_count_is_flat(
    client,
    complete,
    social_worker,
    team_manager,
    service_manager,
    hampshire,
    hiow_icb,
    django_assert_max_num_queries,
):
    for n in range(5):
        services.option_save(
            actor=social_worker,
            referral=complete,
            fields={"description": f"Option {n}", "cost": Decimal("1000.00"), "period": "monthly"},
            shares=[(hampshire, "amount", Decimal("250.00")), (hiow_icb, "amount", Decimal("750.00"))],
        )
        services.evidence_add(
            actor=social_worker,
            referral=complete,
            upload=SimpleUploadedFile(f"report-{n}.pdf", MINIMAL_PDF, "application/pdf"),
        )
    referral = services.referral_send_for_sign_off(actor=social_worker, referral=complete)
    referral = services.referral_return(actor=team_manager, referral=referral, comments="Add more.")
    referral = services.referral_send_for_sign_off(actor=social_worker, referral=referral)
    referral = services.referral_sign(actor=team_manager, referral=referral)
    referral = services.referral_sign(actor=service_manager, referral=referral)
    client.force_login(team_manager)
    # session, user with agency, savepoint, the access check, the referral with its joins, options,
    # shares with agencies, evidence with uploaders, sign-offs with signers, status changes with
    # actors, the navigation count, release, session save (savepoint, update, release); plus the unread-notices count
    # and whether the child's record opens for the reader (so the child is linked only if it does)
    with django_assert_max_num_queries(17):
        response = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert response.status_code == 200
    assert len(response.context["options"]) == 6 and len(response.context["evidence"]) == 6


def test_navigation_shows_the_sign_off_count_to_a_team_manager(
    awaiting_team_manager, team_manager, social_worker
):
    page = _client(team_manager).get(reverse("home")).content.decode()
    assert '1<span class="govuk-visually-hidden"> awaiting your sign-off</span>' in page
    awaiting = _client(team_manager).get(reverse("referrals:awaiting"))
    assert awaiting.context["page"].paginator.count == 1
    assert "awaiting your sign-off" not in _client(social_worker).get(reverse("home")).content.decode()


def test_navigation_count_is_one_query(awaiting_team_manager, team_manager, django_assert_num_queries):
    from referrals.context_processors import ReferralsNav

    nav = ReferralsNav(team_manager)
    with django_assert_num_queries(1):
        assert nav.awaiting_count == 1
        assert nav.awaiting_count == 1  # once per request


def test_navigation_count_costs_nothing_for_someone_who_signs_nothing(
    social_worker, django_assert_num_queries
):
    from referrals.context_processors import ReferralsNav

    with django_assert_num_queries(0):
        assert ReferralsNav(social_worker).awaiting_count == 0


def test_child_page_lists_referrals_with_status(sam, child, draft):
    page = sam.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert reverse("referrals:detail", args=[draft.pk]) in page and "Draft" in page
    assert reverse("referrals:start", args=[child.pk]) in page


def test_child_page_has_no_start_link_for_an_auditor(auditor, child):
    page = _client(auditor).get(reverse("children:detail", args=[child.pk])).content.decode()
    assert reverse("referrals:start", args=[child.pk]) not in page
