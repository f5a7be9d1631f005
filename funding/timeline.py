"""Funding packages on the child's timeline (casework/timeline.py), through funding.access, with
their review dates as due items."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from casework.models import Child, User
from casework.timeline import DueItem, TimelineEntry, TimelinePart, timeline_source
from funding.access import packages_visible_to
from funding.models import PackageStatus


@timeline_source
def package_lines(*, user: User, child: Child, today: dt.date) -> TimelinePart:
    packages = _packages(user=user, child=child)
    due = []
    for package in packages:
        version = package.current_version
        if package.status != PackageStatus.ENDED and version is not None and version.review_date:
            due.append(
                DueItem(
                    version.review_date,
                    f"Review of funding package {package.pk}",
                    "Funding package",
                    reverse("funding:detail", args=[package.pk]),
                    version.review_date < today,
                )
            )
    return TimelinePart(entries=_package_entries(packages), due=due)


def _packages(*, user: User, child: Child) -> list:
    return list(
        packages_visible_to(user=user)
        .filter(child_id=child.pk)
        .select_related("current_version")
        .only(
            "pathway",
            "status",
            "created_at",
            "agreed_at",
            "ended_on",
            "current_version",
            "current_version__review_date",
            "current_version__starts_on",
        )
    )


def _package_entries(packages: list) -> list[TimelineEntry]:
    out = []
    for package in packages:
        url = reverse("funding:detail", args=[package.pk])
        name = f"Funding package {package.pk} ({package.get_pathway_display()})"
        status = PackageStatus(package.status).label
        colour = {"agreed": "green", "disputed": "red", "ended": "grey"}.get(package.status, "yellow")
        out.append(
            TimelineEntry(package.created_at, "Funding package", f"{name} recorded", url, status, colour)
        )
        if package.agreed_at:
            out.append(
                TimelineEntry(package.agreed_at, "Funding package", f"{name} agreed", url, status, colour)
            )
        if package.ended_on:
            out.append(
                TimelineEntry(package.ended_on, "Funding package", f"{name} ended", url, status, colour)
            )
    return out
