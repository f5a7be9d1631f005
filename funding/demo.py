"""Demo funding: the package the Hampshire panel agreed today, approved by the council's finance
approver, so the approvals tray shows one agency's share approved and the others awaiting
(idempotent: an approved share is left alone on a second run)."""

from __future__ import annotations

from casework.demo import HISTORY_CASE_PREFIX
from casework.models import User
from funding import services
from funding.models import FundingPackage, ShareLine, ShareStatus

COUNCIL_FINANCE = "finance@hants.demo.gov.uk"


def load_funding() -> int:
    approver = User.objects.filter(email=COUNCIL_FINANCE).first()
    if approver is None:
        return 0
    package = (
        FundingPackage.objects.filter(decision__isnull=False, child__owning_agency=approver.agency)
        .exclude(child__case_number__startswith=HISTORY_CASE_PREFIX)
        .order_by("pk")
        .first()
    )
    if package is None:
        return 0
    share = ShareLine.objects.filter(
        version_id=package.current_version_id, agency=approver.agency, status=ShareStatus.AWAITING
    ).first()
    if share is None:
        return 0
    services.share_approve(actor=approver, share=share, expected_version=package.version_number)
    return 1
