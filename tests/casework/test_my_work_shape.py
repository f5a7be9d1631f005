"""My work's feeds read as UNIONs (issue 16, bench/README.md): the reviews due (the person's
referrals OR their key work), the recommendations (to their agency OR awaited by their panels) and
the finance queries and shares waiting (the person's packages first, then the status). Each part
finds its rows by its own index; these tests try to make a part find too much or too little, and
check the header's count equals the list for everyone.

The clock and panel are the panels fixtures': Monday 2 March 2026, Hampshire IRAP.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from casework.models import Role
from casework.my_work import my_work_count, my_work_items
from funding import services as funding_services
from panels.models import AgencyRecommendation, Decision
from tests.factories import (
    ChildFactory,
    MeetingFactory,
    UserFactory,
    referral_row,
    signed_decision_for,
)
from tests.funding.conftest import *  # noqa: F403  (the panels and funding fixtures)

D = dt.date


def kinds(user, kind_prefix: str = "") -> list[str]:
    return sorted(item.kind for item in my_work_items(user=user) if item.kind.startswith(kind_prefix))


def counted_as_listed(*people) -> None:
    for person in people:
        assert my_work_count(user=person) == len(my_work_items(user=person)), person


def _item(*, meeting, referral, actor):
    """The referral's item on `meeting`, written straight to the table (as tests/casework/
    test_my_work.py does: these referrals are rows in a status, not moved by the services)."""
    from panels.models import AgendaItem

    return AgendaItem.objects.create(
        meeting=meeting,
        kind="referral",
        referral=referral,
        title="Joint package",
        added_by=actor,
        position=AgendaItem.objects.filter(meeting=meeting).count() + 1,
    )


def _signed(*, irap, meeting, referral, chair, actor, **fields) -> Decision:
    item = _item(meeting=meeting, referral=referral, actor=actor)
    return signed_decision_for(item, chair=chair, review_date=D(2026, 3, 12), **fields)


def test_reviews_due_are_the_referrers_and_the_key_workers_only(
    irap,
    child,
    council_only_child,
    social_worker,
    team_manager,
    panel_chair,
    panel_admin,
    icb_member,
    outsider,
):
    held = MeetingFactory(panel=irap, date=D(2026, 2, 26))
    signed = {"irap": irap, "meeting": held, "chair": panel_chair, "actor": panel_admin}
    # Hers, signed, review due: listed for her.
    mine = referral_row(child=child, panel=irap, referrer=social_worker, status="decided", meeting=held)
    _signed(referral=mine, **signed)
    # Someone else's, with her as key worker: listed for her as well.
    keyed = referral_row(child=child, panel=irap, referrer=team_manager, status="decided", meeting=held)
    _signed(referral=keyed, key_worker=social_worker, **signed)
    # Someone else's, no key worker: not hers (nor the key worker's the ICB member is not).
    other = referral_row(child=child, panel=irap, referrer=team_manager, status="decided", meeting=held)
    _signed(referral=other, **signed)
    # Hers but the decision is a draft: no review yet.
    drafted = referral_row(child=child, panel=irap, referrer=social_worker, status="on_agenda", meeting=held)
    item = _item(meeting=held, referral=drafted, actor=panel_admin)
    Decision.objects.create(
        agenda_item=item,
        referral=drafted,
        outcome="agreed_as_recommended",
        rationale="Draft.",
        recorded_by=panel_admin,
        review_date=D(2026, 3, 12),
    )
    # Key worker of a child her agency does not see through the ICB: the ICB member is not shown it.
    hidden = referral_row(
        child=council_only_child, panel=irap, referrer=social_worker, status="decided", meeting=held
    )
    _signed(referral=hidden, key_worker=icb_member, **signed)

    assert kinds(social_worker, "panels.review") == ["panels.review_due"] * 3  # mine, keyed, hidden
    assert kinds(team_manager, "panels.review") == ["panels.review_due"] * 2  # keyed, other
    assert kinds(icb_member, "panels.review") == []
    assert kinds(outsider) == []
    counted_as_listed(social_worker, team_manager, icb_member, outsider)


def test_recommendations_are_to_my_agency_or_awaited_by_my_panels(
    irap,
    child,
    social_worker,
    panel_chair,
    panel_admin,
    hampshire,
    sen,
    sen_manager,
    outsider,
    leicester,
):
    held = MeetingFactory(panel=irap, date=D(2026, 2, 26))
    decided = referral_row(child=child, panel=irap, referrer=social_worker, status="decided", meeting=held)
    decision = _signed(irap=irap, meeting=held, referral=decided, chair=panel_chair, actor=panel_admin)
    AgencyRecommendation.objects.create(decision=decision, agency=sen, due_on=D(2026, 3, 4))
    AgencyRecommendation.objects.create(decision=decision, agency=hampshire, due_on=D(2026, 3, 5))
    leicester_admin = UserFactory(agency=leicester, roles=[Role.PANEL_ADMINISTRATOR, Role.SERVICE_MANAGER])

    assert kinds(sen_manager, "panels.recommendation") == ["panels.recommendation_to_answer"]
    # The administrator does not answer for the council: she waits for SEN's answer only.
    assert kinds(panel_admin, "panels.recommendation") == ["panels.recommendation_awaited"]
    # The chair answers the council's and administers the panel (waits for SEN's).
    assert kinds(panel_chair, "panels.recommendation") == [
        "panels.recommendation_awaited",
        "panels.recommendation_to_answer",
    ]
    assert kinds(leicester_admin) == [] and kinds(outsider) == []
    counted_as_listed(sen_manager, panel_admin, panel_chair, leicester_admin, outsider)


def test_finance_queries_reach_the_referrer_and_the_host_agencys_administrators_only(
    make_decision,
    hampshire,
    hiow_icb,
    social_worker,
    team_manager,
    panel_admin,
    icb_finance,
    council_finance,
    outsider,
    leicester,
):
    decision = make_decision(
        shares=[(hampshire, "percentage", Decimal("50")), (hiow_icb, "percentage", Decimal("50"))]
    )
    package = funding_services.package_create_from_decision(actor=panel_admin, decision=decision)
    share = package.current_version.shares.get(agency=hiow_icb)
    funding_services.share_query(
        actor=icb_finance, share=share, expected_version=package.version_number, question="Which provider?"
    )
    leicester_admin = UserFactory(agency=leicester, roles=[Role.PANEL_ADMINISTRATOR])

    assert kinds(social_worker, "funding.") == ["funding.query_to_answer"]  # the referrer
    # The host agency's administrator, who made the package: the query, and the council's share waiting.
    assert kinds(panel_admin, "funding.") == ["funding.query_to_answer", "funding.share_waiting"]
    assert kinds(team_manager, "funding.") == []
    assert kinds(icb_finance, "funding.") == ["funding.query_awaiting_answer"]
    assert kinds(leicester_admin) == [] and kinds(outsider) == []
    counted_as_listed(social_worker, panel_admin, team_manager, icb_finance, council_finance, leicester_admin)


def test_a_package_without_a_panel_is_the_administrators_only_if_their_agency_holds_a_share(
    clock, hampshire, hiow_icb, social_worker, panel_admin, icb_finance, provider
):
    """Packages recorded without a panel are answered by any panel administrator who may see them:
    one the council holds no share in is not theirs, however it is queried."""
    icb_only = ChildFactory(owning_agency=hampshire, created_by=social_worker, involved=[hiow_icb])
    package = funding_services.package_create_existing(
        actor=icb_finance,
        child=icb_only,
        pathway="joint_package",
        terms=terms(provider, (hiow_icb, "percentage", "100")),  # noqa: F405
    )
    share = package.current_version.shares.get(agency=hiow_icb)
    funding_services.share_query(
        actor=icb_finance, share=share, expected_version=package.version_number, question="Which provider?"
    )
    assert kinds(panel_admin, "funding.") == []
    counted_as_listed(panel_admin, icb_finance)
