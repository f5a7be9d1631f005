"""Packages from decisions, delegation routing, approvals, disputes, variations and re-approval,
stale versions and two approvers at once.

The people, IRAP and Amelia's submitted referral are built once for the module (tests/worlds.py):
each test starts from them in its own savepoint."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from casework.access import NotAllowed
from casework.models import AuditEvent
from casework.services import InvalidTransition
from funding import services
from funding.models import FundingPackage, PackageStatus, ShareStatus
from panels.models import AgendaItem
from tests.funding.conftest import terms
from tests.panels.conftest import at
from tests.worlds import SUBMITTED_TO_IRAP, amelia_submitted_to_irap, module_world, parts_of

D = dt.date
pytestmark = pytest.mark.django_db


_world, world = module_world(lambda: SimpleNamespace(**amelia_submitted_to_irap()))
(
    hampshire,
    hiow_icb,
    hampshire_team,
    social_worker,
    team_manager,
    service_manager,
    panel_chair,
    child,
    panel_admin,
    council_member,
    icb_member,
    second_icb_member,
    irap,
    irap_meeting,
    submitted_referral,
) = parts_of(*SUBMITTED_TO_IRAP)


@pytest.fixture(autouse=True)
def _panels_clock(clock):
    """Every test on the panels' clock, as the shared `irap` fixture put them."""


@pytest.fixture(autouse=True)
def private_storage(settings):
    """The world's folder (Amelia's evidence is there), not one of the test's own."""
    return settings.PRIVATE_STORAGE_ROOT


def shares_of(package):
    package.refresh_from_db()
    return {s.agency.name: s for s in package.current_version.shares.select_related("agency")}


def test_a_signed_three_way_decision_becomes_a_package_once(three_way, panel_admin, hampshire, hiow_icb):
    package = services.package_create_from_decision(actor=panel_admin, decision=three_way)
    again = services.package_create_from_decision(actor=panel_admin, decision=three_way)
    assert again.pk == package.pk
    assert FundingPackage.objects.count() == 1
    assert package.status == PackageStatus.AWAITING_APPROVAL
    assert package.panel == three_way.agenda_item.meeting.panel
    assert package.child == three_way.referral.child
    version = package.current_version
    assert (version.cost, version.cost_period, version.starts_on) == (
        Decimal("3000.00"),
        "weekly",
        D(2026, 4, 13),
    )
    amounts = [s.amount for s in version.shares.order_by("position")]
    assert amounts == [Decimal("1200.00"), Decimal("600.00"), Decimal("1200.00")]
    assert sum(amounts) == version.cost
    assert AuditEvent.objects.filter(action="funding.package.created", object_id=str(package.pk)).exists()


@pytest.mark.parametrize("outcome", ["declined", "deferred", "returned"])
def test_only_agreed_outcomes_commit_money(make_decision, hampshire, panel_admin, outcome):
    decision = make_decision(shares=[(hampshire, "percentage", Decimal("100"))], outcome=outcome)
    with pytest.raises(InvalidTransition):
        services.package_create_from_decision(actor=panel_admin, decision=decision)


def test_an_unsigned_decision_is_refused(make_decision, hampshire, panel_admin):
    decision = make_decision(shares=[(hampshire, "percentage", Decimal("100"))])
    decision.status, decision.signed_by, decision.signed_at = "draft", None, None
    decision.save()
    with pytest.raises(InvalidTransition):
        services.package_create_from_decision(actor=panel_admin, decision=decision)


def test_shares_route_to_the_lowest_limit_that_covers_them(
    three_way, panel_admin, council_finance, council_head_of_finance, icb_finance, sen_finance
):
    # Council 40% of £3,000 a week = £62,400 a year: Fiona's £100,000 covers it.
    package = services.package_create_from_decision(actor=panel_admin, decision=three_way)
    shares = shares_of(package)
    council = shares["Hampshire County Council Children's Services"]
    assert council.annual_amount == Decimal("62400.00")
    assert council.routed_to == council_finance
    assert shares["NHS Hampshire and Isle of Wight ICB"].routed_to == icb_finance
    # SEN 20% = £31,200 a year, within Sofia's £50,000.
    assert shares["Hampshire County Council SEN"].routed_to == sen_finance


def test_above_the_limit_it_goes_to_the_next_approver_up(
    clock, hampshire, hiow_icb, child, council_finance, council_head_of_finance, provider
):
    package = services.package_create_existing(
        actor=council_finance,
        child=child,
        pathway="joint_package",
        terms=terms(
            provider, (hampshire, "percentage", "60"), (hiow_icb, "percentage", "40"), cost="4000.00"
        ),
    )
    council = shares_of(package)["Hampshire County Council Children's Services"]
    assert council.annual_amount == Decimal("124800.00")
    assert council.routed_to == council_head_of_finance
    with pytest.raises(ValidationError) as error:
        services.share_approve(actor=council_finance, share=council, expected_version=1)
    assert "above your delegated limit (£100,000.00): it goes to Harriet Vault" in str(error.value)
    council.refresh_from_db()
    assert council.status == ShareStatus.AWAITING
    services.share_approve(actor=council_head_of_finance, share=council, expected_version=1)
    council.refresh_from_db()
    assert council.status == ShareStatus.APPROVED


def test_agreed_only_when_every_share_is_approved(existing_package, council_finance, icb_finance):
    shares = shares_of(existing_package)
    services.share_approve(
        actor=council_finance,
        share=shares["Hampshire County Council Children's Services"],
        expected_version=1,
    )
    existing_package.refresh_from_db()
    assert existing_package.status == PackageStatus.AWAITING_APPROVAL
    services.share_approve(
        actor=icb_finance, share=shares["NHS Hampshire and Isle of Wight ICB"], expected_version=1
    )
    existing_package.refresh_from_db()
    assert existing_package.status == PackageStatus.AGREED
    assert existing_package.agreed_at is not None


def test_approving_ones_own_share_twice_is_refused(existing_package, council_finance):
    share = shares_of(existing_package)["Hampshire County Council Children's Services"]
    services.share_approve(actor=council_finance, share=share, expected_version=1)
    with pytest.raises(InvalidTransition, match="already approved by Fiona Cash"):
        services.share_approve(actor=council_finance, share=share, expected_version=1)


def test_only_the_shares_agency_approves_it(existing_package, council_finance, icb_finance, social_worker):
    share = shares_of(existing_package)["NHS Hampshire and Isle of Wight ICB"]
    for person in (council_finance, social_worker):
        with pytest.raises(NotAllowed):
            services.share_approve(actor=person, share=share, expected_version=1)


def test_an_approval_on_a_changed_version_is_refused(
    existing_package, council_finance, icb_finance, hampshire, hiow_icb, provider
):
    old_share = shares_of(existing_package)["NHS Hampshire and Isle of Wight ICB"]
    services.package_vary(
        actor=council_finance,
        package=existing_package,
        expected_version=1,
        effective_from=D(2026, 6, 1),
        change_reason="Provider increased its fee",
        terms=terms(
            provider, (hampshire, "percentage", "50"), (hiow_icb, "percentage", "50"), cost="1100.00"
        ),
    )
    with pytest.raises(InvalidTransition, match="changed to version 2 after you opened version 1"):
        services.share_approve(actor=icb_finance, share=old_share, expected_version=1)
    # Even claiming the new version, a share of the old version is refused.
    with pytest.raises(InvalidTransition, match="earlier version"):
        services.share_approve(actor=icb_finance, share=old_share, expected_version=2)


def test_two_approvers_at_once_cannot_both_win(existing_package, council_finance, council_head_of_finance):
    """Both opened the page on version 1; the second to act is refused and nothing changes."""
    seen_by_first = shares_of(existing_package)["Hampshire County Council Children's Services"]
    seen_by_second = shares_of(existing_package)["Hampshire County Council Children's Services"]
    services.share_approve(actor=council_finance, share=seen_by_first, expected_version=1)
    with pytest.raises(InvalidTransition):
        services.share_approve(actor=council_head_of_finance, share=seen_by_second, expected_version=1)
    seen_by_first.refresh_from_db()
    assert seen_by_first.decided_by == council_finance


def test_a_variation_needs_only_changed_shares_approved_again(
    existing_package, council_finance, icb_finance, hampshire, hiow_icb, provider
):
    shares = shares_of(existing_package)
    services.share_approve(
        actor=council_finance,
        share=shares["Hampshire County Council Children's Services"],
        expected_version=1,
    )
    services.share_approve(
        actor=icb_finance, share=shares["NHS Hampshire and Isle of Wight ICB"], expected_version=1
    )
    # The council now pays a fixed £500 and the ICB £700 of a £1,200 week: only the ICB's changed.
    package = services.package_vary(
        actor=council_finance,
        package=existing_package,
        expected_version=1,
        effective_from=D(2026, 6, 1),
        change_reason="Extra night support, paid by health",
        terms=terms(
            provider, (hampshire, "amount", "500.00"), (hiow_icb, "amount", "700.00"), cost="1200.00"
        ),
    )
    assert package.version_number == 2
    assert package.status == PackageStatus.AWAITING_APPROVAL
    now = shares_of(package)
    assert now["Hampshire County Council Children's Services"].status == ShareStatus.APPROVED
    assert (
        now["Hampshire County Council Children's Services"].carried_from
        == shares["Hampshire County Council Children's Services"]
    )
    assert now["NHS Hampshire and Isle of Wight ICB"].status == ShareStatus.AWAITING
    assert package.versions.count() == 2
    services.share_approve(
        actor=icb_finance, share=now["NHS Hampshire and Isle of Wight ICB"], expected_version=2
    )
    package.refresh_from_db()
    assert package.status == PackageStatus.AGREED


def test_backdating_needs_a_reason_and_bad_terms_are_field_errors(
    clock, existing_package, council_finance, hampshire, hiow_icb, provider
):
    clock.move_to(at(D(2026, 7, 1)), tick=False)
    base = {
        "actor": council_finance,
        "package": existing_package,
        "expected_version": 1,
        "change_reason": "Fee change",
    }
    split = ((hampshire, "percentage", "50"), (hiow_icb, "percentage", "50"))
    existing_package.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        services.package_vary(
            effective_from=D(2026, 5, 1), terms=terms(provider, *split, cost="1100.00"), **base
        )
    assert "backdating_reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.package_vary(
            effective_from=D(2026, 8, 1),
            terms=terms(
                provider,
                (hampshire, "percentage", "50"),
                (hiow_icb, "percentage", "40"),
                cost="-5",
                ends_on=D(2026, 1, 1),
            ),
            **base,
        )
    problems = error.value.message_dict
    assert problems["cost"] == ["Enter a cost more than £0"]
    assert problems["ends_on"] == ["The end date must be on or after the start date"]
    assert problems["shares"] == ["The percentages add up to 90%, not 100%"]
    with pytest.raises(ValidationError) as error:
        services.package_vary(
            effective_from=D(2026, 8, 1), terms=terms(provider, *split, cost="99999999.00"), **base
        )
    assert "check the figure" in error.value.message_dict["cost"][0]
    with pytest.raises(ValidationError) as error:
        services.package_vary(effective_from=D(2026, 8, 1), terms=terms(provider, *split), **base)
    assert "Nothing has changed" in str(error.value)
    existing_package.refresh_from_db()
    assert existing_package.version_number == 1
    # With a reason, backdating is allowed.
    services.package_vary(
        effective_from=D(2026, 5, 1),
        backdating_reason="The provider's uplift applied from May",
        terms=terms(provider, *split, cost="1100.00"),
        **base,
    )


def test_a_dispute_goes_on_the_deciding_panels_next_agenda(
    three_way, panel_admin, icb_finance, next_meeting, clock
):
    package = services.package_create_from_decision(actor=panel_admin, decision=three_way)
    clock.move_to(at(D(2026, 4, 20)), tick=False)
    next_meeting.circulated_at = at(D(2026, 5, 7))
    next_meeting.save()
    share = shares_of(package)["NHS Hampshire and Isle of Wight ICB"]
    clock.move_to(at(D(2026, 5, 8)), tick=False)
    dispute = services.share_dispute(
        actor=icb_finance, share=share, expected_version=1, reason="The CHC assessment does not support 40%"
    )
    item = AgendaItem.objects.get(pk=dispute.agenda_item_id)
    assert item.meeting == next_meeting
    assert item.kind == "other_business"
    assert item.title.startswith("Funding dispute: NHS Hampshire and Isle of Wight ICB")
    assert item.is_supplement is True
    assert item.added_by == icb_finance
    package.refresh_from_db()
    assert package.status == PackageStatus.DISPUTED
    assert package.events.filter(action="disputed").exists()


def test_a_dispute_with_no_next_meeting_is_recorded_and_says_so(three_way, panel_admin, icb_finance, clock):
    package = services.package_create_from_decision(actor=panel_admin, decision=three_way)
    clock.move_to(at(D(2026, 4, 20)), tick=False)
    share = shares_of(package)["NHS Hampshire and Isle of Wight ICB"]
    dispute = services.share_dispute(
        actor=icb_finance, share=share, expected_version=1, reason="Not health need"
    )
    assert dispute.agenda_item is None
    assert "No meeting of the deciding panel is scheduled" in dispute.not_listed_reason
    with pytest.raises(ValidationError):
        services.share_dispute(actor=icb_finance, share=share, expected_version=1, reason="  ")


def test_an_approved_share_cannot_then_be_disputed_or_queried(three_way, panel_admin, icb_finance, clock):
    """One winner (issue 13): approve and dispute of the same share never both succeed. The second
    finds the first's result under the package lock and answers 409 naming who approved."""
    package = services.package_create_from_decision(actor=panel_admin, decision=three_way)
    clock.move_to(at(D(2026, 4, 20)), tick=False)
    share = shares_of(package)["NHS Hampshire and Isle of Wight ICB"]
    services.share_approve(actor=icb_finance, share=share, expected_version=1)
    with pytest.raises(InvalidTransition, match=f"already approved by {icb_finance.full_name}"):
        services.share_dispute(actor=icb_finance, share=share, expected_version=1, reason="Not health need")
    with pytest.raises(InvalidTransition):
        services.share_query(actor=icb_finance, share=share, expected_version=1, question="Why?")
    share.refresh_from_db()
    assert share.status == ShareStatus.APPROVED
    assert not package.events.filter(action="disputed").exists()


def test_query_and_answer(three_way, panel_admin, icb_finance, social_worker):
    package = services.package_create_from_decision(actor=panel_admin, decision=three_way)
    share = shares_of(package)["NHS Hampshire and Isle of Wight ICB"]
    share = services.share_query(
        actor=icb_finance, share=share, expected_version=1, question="Is the DST complete?"
    )
    assert share.status == ShareStatus.QUERIED
    assert social_worker.notifications.filter(subject__contains="question").exists()
    share = services.share_answer_query(actor=panel_admin, share=share, answer="Yes, on 1 March")
    assert share.status == ShareStatus.AWAITING
    services.share_approve(actor=icb_finance, share=share, expected_version=1)


def test_a_residential_38_week_placement_needs_a_cetr_before_it_is_agreed(
    clock, hampshire, hiow_icb, child, council_finance, icb_finance, residential
):
    package = services.package_create_existing(
        actor=council_finance,
        child=child,
        pathway="joint_package",
        terms=terms(
            residential, (hampshire, "percentage", "50"), (hiow_icb, "percentage", "50"), weeks_per_year=38
        ),
    )
    assert package.current_version.needs_cetr
    for name, person in (
        ("Hampshire County Council Children's Services", council_finance),
        ("NHS Hampshire and Isle of Wight ICB", icb_finance),
    ):
        services.share_approve(actor=person, share=shares_of(package)[name], expected_version=1)
    package.refresh_from_db()
    assert package.status == PackageStatus.AWAITING_APPROVAL
    with pytest.raises(ValidationError):
        services.package_record_cetr(
            actor=council_finance, package=package, completed_on=D(2026, 2, 20), multi_agency_agreed=False
        )
    package = services.package_record_cetr(
        actor=council_finance, package=package, completed_on=D(2026, 2, 20), multi_agency_agreed=True
    )
    assert package.status == PackageStatus.AGREED


def test_ending_records_the_reason_and_stops_approvals(existing_package, council_finance):
    with pytest.raises(ValidationError):
        services.package_end(
            actor=council_finance,
            package=existing_package,
            expected_version=1,
            ends_on=D(2026, 9, 30),
            reason="",
        )
    package = services.package_end(
        actor=council_finance,
        package=existing_package,
        expected_version=1,
        ends_on=D(2026, 9, 30),
        reason="Child moved home",
    )
    assert package.status == PackageStatus.ENDED
    package.refresh_from_db()
    assert package.end_reason == "Child moved home"
    share = shares_of(package)["Hampshire County Council Children's Services"]
    with pytest.raises(InvalidTransition, match="ended"):
        services.share_approve(actor=council_finance, share=share, expected_version=1)


def test_recording_an_existing_arrangement_checks_the_person(
    clock, child, social_worker, outsider, provider, hampshire
):
    with pytest.raises(NotAllowed):
        services.package_create_existing(
            actor=social_worker,
            child=child,
            pathway="joint_package",
            terms=terms(provider, (hampshire, "percentage", "100")),
        )
    outsider.roles = ["service_manager"]
    with pytest.raises(NotAllowed):
        services.package_create_existing(
            actor=outsider,
            child=child,
            pathway="joint_package",
            terms=terms(provider, (hampshire, "percentage", "100")),
        )
