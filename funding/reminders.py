"""Reminders about funding: a share waiting too long for its approver, and a package's review date.

The numbers come from the deciding panel's settings (sign_off_reminder_working_days for a share
waiting, review_reminder_days before a review date); a package recorded without a panel uses those
settings' defaults. Registered with casework.reminders and run by its sweep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from casework.reminders import Due, sweep
from casework.working_days import add_working_days, working_days_between
from funding import access
from funding.models import FundingPackage, PackageStatus, ShareLine
from funding.selectors import AWAITING_STATUSES
from funding.services import approver_for
from panels.models import Panel
from panels.reminders import longest_review_notice

# How far back a sweep looks for an overdue review (older ones have long been chased by then).
LOOK_BACK = dt.timedelta(days=60)


def _setting(panel: Panel | None, name: str) -> int:
    return getattr(panel, name) if panel is not None else Panel._meta.get_field(name).default


def _closures(panel: Panel | None) -> frozenset[dt.date]:
    return frozenset(panel.closure_days.values_list("day", flat=True)) if panel is not None else frozenset()


@sweep
def shares_awaiting_approval(today: dt.date) -> Iterator[Due]:
    """The approver a share routes to, once it has waited more than N working days."""
    waiting = (
        ShareLine.objects.filter(status__in=AWAITING_STATUSES, package__current_version_id=F("version_id"))
        .exclude(package__status=PackageStatus.ENDED)
        .select_related("package__child", "package__panel", "agency")
    )
    for share in waiting:
        panel = share.package.panel
        allowed = _setting(panel, "sign_off_reminder_working_days")
        since = timezone.localtime(share.awaiting_since).date()
        closures = _closures(panel)
        if working_days_between(since, today, closures) <= allowed:
            continue
        # The scheme of delegation as it stands today: whoever now holds the right limit.
        approver = approver_for(agency_id=share.agency_id, annual_amount=share.annual_amount)
        if (
            approver is None
            or not access.packages_visible_to(user=approver).filter(pk=share.package_id).exists()
        ):
            continue
        yield Due(
            kind="share_awaiting_approval",
            subject_key=f"share:{share.pk}",
            due_on=add_working_days(since, allowed, closures),
            users=[approver],
            subject=f"{share.agency.name}'s share of the package for {share.package.child.initials} "
            "is waiting for your approval",
            url=reverse("funding:detail", args=[share.package_id]),
        )


@sweep
def package_reviews_due(today: dt.date) -> Iterator[Due]:
    """The approvers who agreed a package's shares and its referrer: N days before its review
    date, and once the date has passed."""
    packages = (
        FundingPackage.objects.exclude(status=PackageStatus.ENDED)
        .filter(
            current_version__review_date__isnull=False,
            current_version__review_date__gte=today - LOOK_BACK,
            current_version__review_date__lte=today + dt.timedelta(days=longest_review_notice()),
        )
        .select_related("current_version", "child", "panel", "referral__referrer")
        .prefetch_related("share_lines__decided_by")
    )
    due = []
    for package in packages:
        review = package.current_version.review_date
        if review > today + dt.timedelta(days=_setting(package.panel, "review_reminder_days")):
            continue
        people = {
            line.decided_by
            for line in package.share_lines.all()
            if line.version_id == package.current_version_id and line.decided_by is not None
        }
        if package.referral is not None:
            people.add(package.referral.referrer)
        due.append((package, review, people))
    # Who may still see which of these packages: one query a person (a few approvers and referrers
    # between many packages), not one a package and person.
    visible_to: dict[int, set[int]] = {}
    ids = [package.pk for package, _, _ in due]
    for person in {p for _, _, people in due for p in people}:
        visible_to[person.pk] = set(
            access.packages_visible_to(user=person).filter(pk__in=ids).values_list("pk", flat=True)
        )
    for package, review, people in due:
        stage = "overdue" if review < today else "due"
        yield Due(
            kind=f"package_review_{stage}",
            subject_key=f"package:{package.pk}:version:{package.current_version_id}",
            due_on=review,
            users=[p for p in people if package.pk in visible_to[p.pk]],
            subject=f"The review of the funding package for {package.child.initials} "
            f"{'is due on' if stage == 'due' else 'was due on'} {review:%-d %B %Y}",
            url=reverse("funding:detail", args=[package.pk]),
        )
