"""Funding reminders: a share waiting too long for its approver, and a package's review date, each
once, and not to someone who cannot see the package."""

from __future__ import annotations

import pytest

from casework.models import ReminderSent
from casework.reminders import run_sweeps
from funding import services
from tests.funding.conftest import D, terms


def kinds(user) -> list[str]:
    return sorted(ReminderSent.objects.filter(user=user).values_list("kind", flat=True))


def test_a_share_waiting_more_than_two_working_days_reminds_its_approver(existing_package, icb_finance):
    # Recorded on Monday 2 March: two working days allowed (Tuesday, Wednesday).
    run_sweeps(today=D(2026, 3, 4))
    assert kinds(icb_finance) == []
    run_sweeps(today=D(2026, 3, 5))
    run_sweeps(today=D(2026, 3, 6))
    assert kinds(icb_finance) == ["share_awaiting_approval"]


def test_an_approved_share_is_not_chased(existing_package, council_finance):
    share = existing_package.share_lines.get(agency=council_finance.agency)
    services.share_approve(
        actor=council_finance, share=share, expected_version=existing_package.version_number
    )
    run_sweeps(today=D(2026, 3, 10))
    assert "share_awaiting_approval" not in kinds(council_finance)


@pytest.fixture
def reviewed(clock, hampshire, hiow_icb, child, council_finance, provider):
    return services.package_create_existing(
        actor=council_finance,
        child=child,
        pathway="joint_package",
        terms=terms(
            provider,
            (hampshire, "percentage", "50"),
            (hiow_icb, "percentage", "50"),
            review_date=D(2026, 6, 30),
        ),
    )


def test_the_review_date_reminds_those_who_approved_it(reviewed, council_finance, icb_finance):
    share = reviewed.share_lines.get(agency=council_finance.agency)
    services.share_approve(actor=council_finance, share=share, expected_version=reviewed.version_number)
    run_sweeps(today=D(2026, 6, 1))  # 29 days before: not yet (the default 28)
    assert "package_review_due" not in kinds(council_finance)
    run_sweeps(today=D(2026, 6, 2))
    assert "package_review_due" in kinds(council_finance)
    run_sweeps(today=D(2026, 7, 1))
    assert "package_review_overdue" in kinds(council_finance)
    assert not [k for k in kinds(icb_finance) if k.startswith("package_review")]  # approved nothing
