"""Funding on My work (funding/my_work.py): shares to approve within the approver's limit, above it
as waiting for the approver who can act, the maker's shares waiting, and finance queries."""

from __future__ import annotations

from decimal import Decimal

from casework.models import Role
from casework.my_work import my_work_count, my_work_items
from funding import services
from tests.factories import UserFactory


def _kinds(user):
    return sorted(item.kind for item in my_work_items(user=user))


def test_a_share_leaves_the_list_once_approved(existing_package, icb_finance, council_finance, outsider):
    icb_share = existing_package.current_version.shares.get(agency=icb_finance.agency)
    assert _kinds(icb_finance) == ["funding.share_to_approve"]
    assert _kinds(council_finance) == ["funding.share_to_approve", "funding.share_waiting"]
    assert _kinds(outsider) == [] and my_work_count(user=outsider) == 0
    services.share_approve(
        actor=icb_finance, share=icb_share, expected_version=existing_package.version_number
    )
    assert _kinds(icb_finance) == []
    assert _kinds(council_finance) == ["funding.share_to_approve"]
    assert my_work_count(user=council_finance) == 1


def test_above_my_limit_waits_for_the_approver_who_can_act(existing_package, icb_finance, hiow_icb):
    junior = UserFactory(
        full_name="Jo Junior",
        agency=hiow_icb,
        roles=[Role.FINANCE_APPROVER],
        delegated_limit=Decimal("10.00"),
    )
    (item,) = my_work_items(user=junior)
    assert item.kind == "funding.share_above_my_limit"
    assert item.waiting_for == "Ian Ledger"
    assert item.url.endswith(f"/funding/packages/{existing_package.pk}/")


def test_a_query_is_the_answerers_work_and_the_approver_waits(
    existing_package, icb_finance, panel_admin, social_worker
):
    share = existing_package.current_version.shares.get(agency=icb_finance.agency)
    services.share_query(
        actor=icb_finance,
        share=share,
        expected_version=existing_package.version_number,
        question="Which provider?",
    )
    (waiting,) = my_work_items(user=icb_finance)
    assert waiting.kind == "funding.query_awaiting_answer" and waiting.waiting_for == "A panel administrator"
    (answer,) = my_work_items(user=panel_admin)
    assert answer.kind == "funding.query_to_answer" and answer.detail == "Which provider?"
    assert my_work_count(user=panel_admin) == 1
    assert _kinds(social_worker) == []
