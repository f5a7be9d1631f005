"""The demo loader: realistic, synthetic, idempotent, and never in production."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from casework.models import AuditEvent, Child, User
from casework.nhs import nhs_number_problem
from referrals.models import Referral


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path


def test_seed_demo_loads_everything_once(db, private_storage, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "social.worker@hants.demo.gov.uk" in out and "demo-casework-2026" in out
    counts = (
        User.objects.count(),
        Child.objects.count(),
        Referral.objects.count(),
        AuditEvent.objects.count(),
    )
    assert counts[1] == 40 and counts[2] == 5
    assert all(
        nhs_number_problem(n) is None and n.startswith("999")
        for n in Child.objects.values_list("nhs_number", flat=True)
    )
    # Every role has a demo person in each partnership.
    for partnership in ("Hampshire and Isle of Wight", "Leicester, Leicestershire and Rutland"):
        roles = {r for u in User.objects.filter(agency__partnership=partnership) for r in u.roles}
        assert len(roles) == 10, (partnership, roles)

    call_command("seed_demo")
    assert (
        User.objects.count(),
        Child.objects.count(),
        Referral.objects.count(),
        AuditEvent.objects.count(),
    ) == counts


def test_seed_demo_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
