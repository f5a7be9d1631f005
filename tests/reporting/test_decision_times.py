"""Time to decision (issue 18): the summary's refresh against a direct reading of the records, each
figure of the report against a direct count or percentile, the small-number rule, access, a refresh
after a decision, the page, its filters and errors, its downloads, its API, and their queries."""

from __future__ import annotations

import csv
import io
import statistics

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from casework.models import AuditEvent, ChildListViewLog, Role
from reporting import decision_times, summaries
from reporting.decision_times import STAGES, TimeFilters
from reporting.models import DecisionTimeline, RecommendationAnswer, RefreshMark
from tests.factories import UserFactory
from tests.reporting import timeline_world
from tests.reporting.timeline_world import direct, percentile

URL = "/reports/time-to-decision/"
API = "/api/reports/time-to-decision/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(
    irap,
    held,
    social_worker,
    clinician,
    panel_admin,
    council_finance,
    provider,
    hampshire,
    hiow_icb,
    sen,
    clock,
):
    referrals = timeline_world.build(
        irap=irap,
        held=held,
        social_worker=social_worker,
        clinician=clinician,
        panel_admin=panel_admin,
        council_finance=council_finance,
        provider=provider,
        hampshire=hampshire,
        hiow_icb=hiow_icb,
        sen=sen,
    )
    summaries.decision_times_refresh(partnership=irap.partnership)
    return referrals


def _summary_values():
    rows = DecisionTimeline.objects.order_by("pk").values(
        *[f for f in summaries.TIMELINE_FIELDS if f != "refreshed_at"]
    )
    answers = RecommendationAnswer.objects.order_by("pk").values()
    return list(rows), list(answers)


# --- The refresh ---------------------------------------------------------------------------------


def test_the_refresh_writes_each_referral_as_a_direct_reading_of_its_records(world):
    assert DecisionTimeline.objects.count() == timeline_world.N
    for referral in world:
        expected = direct(referral)
        row = DecisionTimeline.objects.get(referral=referral)
        assert {stage: getattr(row, stage) for stage in STAGES} == expected.stages, referral.pk
        assert (row.outcome, row.deferrals, row.returns) == (
            expected.outcome,
            expected.deferrals,
            expected.returns,
        )
        assert row.child_id == referral.child_id and row.agency_id == referral.referrer_agency_id
        assert row.month == referral.created_at.date().replace(day=1)
        assert row.is_late_paper == referral.is_late_paper
    answers = RecommendationAnswer.objects.order_by("pk")
    assert sorted(a.answer_working_days for a in answers if a.answered_on) == sorted(
        timeline_world.answer_days()
    )
    assert [a.on_time for a in answers] == [True, True, True, True, True, None]


def test_the_refresh_is_idempotent(world, irap):
    before = _summary_values()
    assert summaries.decision_times_refresh(partnership=irap.partnership) == timeline_world.N
    assert _summary_values() == before
    summaries.decision_times_refresh_for_children(child_ids=[r.child_id for r in world])
    assert _summary_values() == before


def test_another_partnership_s_refresh_leaves_these_rows(world):
    before = _summary_values()
    assert summaries.decision_times_refresh(partnership="Leicester, Leicestershire and Rutland") == 0
    assert _summary_values() == before


def test_the_working_days_counter_agrees_with_the_shared_module():
    from casework.working_days import working_days_between

    closures = {timeline_world.D(2026, 4, 14)}
    counter = summaries.WorkingDays(closures)
    start = timeline_world.D(2026, 3, 20)
    for a in range(0, 40, 3):
        for b in range(0, 40, 5):
            x, y = start + summaries.dt.timedelta(days=a), start + summaries.dt.timedelta(days=b)
            assert counter.between(x, y) == working_days_between(x, y, closures), (x, y)
    early = timeline_world.D(2025, 12, 20)  # before every date counted so far
    assert counter.between(early, start) == working_days_between(early, start, closures)


# --- Each figure against a direct computation ----------------------------------------------------


def test_each_figure_equals_a_direct_count_or_percentile(world, panel_admin):
    data = decision_times.decision_times(user=panel_admin)
    readings = [direct(r) for r in world]
    assert data.referrals.value == timeline_world.N
    assert data.late_papers.value == sum(1 for r in world if r.is_late_paper)
    assert data.deferrals.suppressed  # 3 deferrals: fewer than 5
    assert data.returns.suppressed  # 1 return
    for figures in data.stages:
        values = [d.stages[figures.stage] for d in readings if d.stages[figures.stage] is not None]
        if len(values) < 5:
            assert figures.referrals.suppressed and figures.median.value is None, figures.stage
            continue
        assert figures.referrals.value == len(values), figures.stage
        assert (
            figures.median.value == round(percentile(values, 0.5), 1) == round(statistics.median(values), 1)
        )
        assert figures.p90.value == round(percentile(values, 0.9), 1), figures.stage
    outcomes = {value: figure for value, _, figure in data.outcomes}
    agreed = sum(1 for d in readings if d.outcome == "agreed_as_recommended")
    assert agreed >= 5 and outcomes["agreed_as_recommended"].value == agreed
    assert outcomes["declined"].suppressed and outcomes["escalated"].value == 0
    days = timeline_world.answer_days()
    assert data.answers.made.value == 6 and data.answers.answered.value == len(days) == 5
    assert data.answers.median.value == round(percentile(days, 0.5), 1)
    assert data.answers.p90.value == round(percentile(days, 0.9), 1)
    assert data.answers.overdue.value == 0  # the one not answered is due on 3 March; today is 2 March


def test_the_breakdowns_equal_direct_computations_and_suppress_small_groups(
    world, panel_admin, hampshire, hiow_icb
):
    readings = [direct(r) for r in world]
    data = decision_times.decision_times(user=panel_admin, filters=TimeFilters(by="agency"))
    groups = {g.label: g for g in data.groups}
    council = groups[hampshire.name]
    assert council.referrals.value == 9
    mine = [d for d in readings if d.referral.referrer_agency_id == hampshire.pk]
    for figures in council.stages:
        values = [d.stages[figures.stage] for d in mine if d.stages[figures.stage] is not None]
        if len(values) >= 5:
            assert figures.median.value == round(percentile(values, 0.5), 1)
            assert figures.p90.value == round(percentile(values, 0.9), 1)
    icb = groups[hiow_icb.name]  # three referrals: every figure suppressed
    assert icb.referrals.suppressed and icb.referrals.value is None
    assert all(s.median.value is None for s in icb.stages)

    by_month = decision_times.decision_times(user=panel_admin, filters=TimeFilters(by="month"))
    assert [g.label for g in by_month.groups] == ["January 2026", "February 2026"]
    january = [d for d in readings if d.referral.created_at.month == 1]
    assert by_month.groups[0].referrals.value == len(january) == 9
    whole = next(s for s in by_month.groups[0].stages if s.stage == "started_to_decided")
    values = [d.stages["started_to_decided"] for d in january if d.stages["started_to_decided"] is not None]
    assert whole.median.value == round(percentile(values, 0.5), 1)


def test_filters_narrow_the_figures(world, panel_admin):
    january = decision_times.decision_times(
        user=panel_admin,
        filters=TimeFilters(month_from=timeline_world.D(2026, 1, 1), month_to=timeline_world.D(2026, 1, 1)),
    )
    assert january.referrals.value == 9
    nothing = decision_times.decision_times(user=panel_admin, filters=TimeFilters(pathway="ifr"))
    assert nothing.referrals.value == 0 and nothing.groups == []


# --- Access --------------------------------------------------------------------------------------


def test_an_agency_sees_figures_for_the_children_it_is_involved_with(world, hampshire, outsider, leics_admin):
    from casework.models import Involvement

    icb_manager = UserFactory(
        agency=world[0].child.involvements.exclude(agency=hampshire).first().agency,
        roles=[Role.SERVICE_MANAGER],
    )
    assert decision_times.decision_times(user=icb_manager).referrals.value == timeline_world.N
    # The ICB stops being involved with two children: their referrals leave its figures.
    Involvement.objects.filter(
        child_id__in=[world[0].child_id, world[1].child_id], agency=icb_manager.agency
    ).delete()
    assert decision_times.decision_times(user=icb_manager).referrals.value == timeline_world.N - 2
    for person in (outsider, leics_admin):
        data = decision_times.decision_times(user=person)
        assert data.referrals.value == 0 and data.groups == [] and data.answers.made.value == 0
        assert decision_times.timeline_rows(user=person).count() == 0


@pytest.mark.parametrize("persona", ["social_worker", "clinician", "auditor"])
def test_anyone_else_gets_a_404(world, persona, request):
    client = _client(request.getfixturevalue(persona))
    for url in (URL, "/reports/time-to-decision.csv", "/reports/time-to-decision-answers.xlsx", API):
        assert client.get(url).status_code == 404, url


# --- A refresh after a decision ------------------------------------------------------------------


def test_a_refresh_after_a_decision_updates_the_figure(
    item, quorate, panel_admin, panel_chair, hampshire, monkeypatch, clock
):
    """The change feed (the audit trail since the last run) takes the decision recorded and signed
    through the panels' services; the small-number rule is lifted to see the one referral."""
    from panels import services as panel_services

    monkeypatch.setattr(decision_times, "SUPPRESS_BELOW", 1)
    summaries.decision_times_refresh_changed()  # the first run: every partnership, and the mark
    assert RefreshMark.objects.filter(name="decision_times").exists()
    before = {s.stage: s for s in decision_times.decision_times(user=panel_admin).stages}
    assert before["to_decision"].referrals.value == 0

    decision = panel_services.decision_record(
        actor=panel_admin,
        agenda_item=item,
        fields={
            "outcome": "agreed_as_recommended",
            "rationale": "Meets her needs.",
            "lead_agency": hampshire,
            "review_date": timeline_world.D(2026, 10, 9),
        },
    )
    panel_services.decision_sign(actor=panel_chair, decision=decision)
    assert summaries.decision_times_refresh_changed() >= 1

    data = decision_times.decision_times(user=panel_admin)
    after = {s.stage: s for s in data.stages}
    assert after["to_decision"].referrals.value == 1
    row = DecisionTimeline.objects.get(referral=item.referral)
    assert after["to_decision"].median.value == row.to_decision == direct(item.referral).stages["to_decision"]
    assert dict((v, f.value) for v, _, f in data.outcomes)["agreed_as_recommended"] == 1
    # The next runs read the decision's events again while they are within the overlap of the mark
    # (the same row), then no more.
    clock.shift(summaries.CHANGE_FEED_OVERLAP * 2)
    assert summaries.decision_times_refresh_changed() == 1
    assert summaries.decision_times_refresh_changed() == 0
    assert DecisionTimeline.objects.get(referral=item.referral).to_decision == row.to_decision


def test_the_tasks_refresh_every_partnership(world, irap, settings):
    from reporting import tasks

    DecisionTimeline.objects.all().delete()
    assert tasks.refresh_decision_times(irap.partnership) == timeline_world.N
    assert tasks.refresh_decision_times_everywhere() >= 1
    assert DecisionTimeline.objects.count() == timeline_world.N
    assert "reporting.tasks.refresh_decision_times_changed" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


# --- The page ------------------------------------------------------------------------------------


def test_the_page_shows_the_figures_and_states_the_rule(world, panel_admin):
    data = decision_times.decision_times(user=panel_admin)
    body = _client(panel_admin).get(URL).content.decode()
    assert '<h1 class="govuk-heading-xl">Time to decision</h1>' in body
    assert "fewer than 5" in body and "statistical disclosure control" in body
    whole = next(s for s in data.stages if s.stage == "started_to_decided")
    assert f'<td class="govuk-table__cell govuk-table__cell--numeric">{whole.median}</td>' in body
    assert '<th scope="rowgroup"' in body and "<caption" in body
    assert reverse("reporting:waiting") in body  # the reports link to each other


def test_the_waiting_report_links_here(panel_admin, clock):
    assert f'href="{URL}"' in _client(panel_admin).get(reverse("reporting:waiting")).content.decode()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"month_from": "March"}, "month_from", "Enter started from month as a year and month, like 2026-03"),
        ({"month_from": "2026-03", "month_to": "2026-01"}, "month_to", "must be the same as or after"),
        ({"pathway": "everything"}, "pathway", "Select a valid choice"),
        ({"by": "colour"}, "by", "Select a valid choice"),
    ],
)
def test_a_bad_filter_is_a_400_with_the_error_kept(world, panel_admin, leicester, params, field, message):
    response = _client(panel_admin).get(URL, params)
    body = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in body and message in body and f'id="id_{field}"' in body
    assert "Error: Time to decision" in body
    for value in params.values():
        assert f'value="{value}"' in body or f'value="{value}" selected' in body or value in body


def test_another_partnership_s_panel_is_not_a_filter(world, panel_admin, leicester):
    from tests.factories import PanelFactory

    theirs = PanelFactory(host_agency=leicester, partnership=leicester.partnership)
    assert _client(panel_admin).get(URL, {"panel": theirs.pk}).status_code == 400


def test_the_page_s_queries_are_pinned_whatever_the_rows(world, panel_admin, django_assert_max_num_queries):
    """13 statements, the same for any number of referrals (each reads the summaries, never the
    referrals): the session and the person; the report's four (the overall figures with every
    stage's median and 90th percentile and the outcomes, the breakdown by month, the answers
    overall and by answering agency); the header's counts (one); the filter's panels; the session
    saved; the savepoints around the view and the session's save (four). No read log: the page
    names no child."""
    client = _client(panel_admin)
    with django_assert_max_num_queries(13) as captured:
        assert client.get(URL, {"by": "month"}).status_code == 200
    report = [q["sql"] for q in captured.captured_queries if "reporting_" in q["sql"]]
    assert len(report) == 4, report
    assert not any("referrals_referral" in q for q in report)


# --- Downloads -----------------------------------------------------------------------------------


def test_the_csv_has_the_rows_behind_each_figure(world, panel_admin):
    client = _client(panel_admin)
    response = client.get("/reports/time-to-decision.csv", {"month_from": "2026-01", "month_to": "2026-01"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 9
    data = decision_times.decision_times(
        user=panel_admin,
        filters=TimeFilters(month_from=timeline_world.D(2026, 1, 1), month_to=timeline_world.D(2026, 1, 1)),
    )
    for figures in data.stages:
        values = [int(r[figures.label]) for r in rows if r[figures.label] != ""]
        if len(values) >= 5:
            assert figures.median.value == round(percentile(values, 0.5), 1), figures.stage
    event = AuditEvent.objects.filter(action="reports.time_to_decision_exported").latest("at")
    assert len(event.changes["items"][1]) == 9 and event.changes["rows"][1] == "referrals"
    log = ChildListViewLog.objects.latest("id")
    assert log.channel == "export" and len(log.child_ids) == 9


def test_the_answers_download_and_the_xlsx(world, panel_admin):
    client = _client(panel_admin)
    answers = client.get("/reports/time-to-decision-answers.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(answers.streaming_content).decode("utf-8-sig"))))
    days = [int(r["Answer working days"]) for r in rows if r["Answer working days"]]
    assert sorted(days) == sorted(timeline_world.answer_days()) and len(rows) == 6
    xlsx = client.get("/reports/time-to-decision.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert sheet.max_row == timeline_world.N + 1
    assert sheet.cell(1, 1).value == "Referral"


# --- The API -------------------------------------------------------------------------------------


def test_the_api_has_the_page_s_figures_and_the_rows(world, panel_admin, django_assert_max_num_queries):
    """14 statements: the session and the person; the report's four (the overall figures, the
    breakdown, the answers overall and by answering agency); the rows' count and their page (child,
    panel and agency joined); the read log's row; the session saved; the savepoints around the view
    and the session's save (four)."""
    client = _client(panel_admin)
    with django_assert_max_num_queries(14):
        response = client.get(API, {"by": "agency"})
    assert response.status_code == 200
    body = response.json()
    data = decision_times.decision_times(user=panel_admin, filters=TimeFilters(by="agency"))
    assert body["count"] == timeline_world.N and len(body["results"]) == timeline_world.N
    assert body["figures"]["referrals"] == {"value": timeline_world.N, "suppressed": False}
    stages = {s["stage"]: s for s in body["figures"]["stages"]}
    for figures in data.stages:
        assert stages[figures.stage]["median"]["value"] == figures.median.value
    assert any(g["referrals"]["suppressed"] for g in body["figures"]["groups"])
    assert body["results"][0]["working_days"].keys() == STAGES.keys()
    assert ChildListViewLog.objects.latest("id").channel == "api"


def test_the_api_names_a_bad_filter(world, panel_admin):
    client = _client(panel_admin)
    response = client.get(API, {"month_from": "soon"})
    assert response.status_code == 400 and "month_from" in response.json()
    reversed_range = client.get(API, {"month_from": "2026-03", "month_to": "2026-01"})
    assert reversed_range.status_code == 200 and reversed_range.json()["count"] == 0


def test_the_command_works_the_summaries_out_where_no_beat_runs(world, irap):
    from django.core.management import call_command

    DecisionTimeline.objects.all().delete()
    out = io.StringIO()
    call_command("refresh_reports", stdout=out)  # the first run of the change feed: everything
    assert f"{timeline_world.N} referrals written" in out.getvalue()
    assert DecisionTimeline.objects.count() == timeline_world.N
    call_command("refresh_reports", partnership=irap.partnership, stdout=out)
    assert DecisionTimeline.objects.count() == timeline_world.N
