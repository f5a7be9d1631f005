"""Paying agencies of packages made before docs/adr/0013, involved with the child.

Since issue 15 an agency given a share of a child's funding becomes involved with the child at that
moment (casework.services.involvement_add_for_funding), so its finance approver can open the
package and approve the share. Packages made before then were not back-filled: an agency holding a
share while not involved could be routed the share and still get a 404 for the package.

`involve_paying_agencies` looks at the current version of every package not ended and gives each
share-holding agency with no open involvement with the child one: from today, with the role its
kind of agency has (as an access request grants), added by the person whose version gave the share,
and a reason "Funding share in package N (recorded before paying agencies were involved)" shown on
the child's list of agencies. Each is audited as a system change (actor empty, action
"involvement.added", via "funding share back-fill"). It never involves:
- an agency of another partnership than the child's (a share there is a data error: listed);
- an agency whose involvement with the child was ended on or after the day the share was given
  (ending it was a person's choice on the child's record, ADR 0013: listed, left as it is);
- anyone for an ended package (it asks nothing more of its payers; a person may still add one).
Running it again adds nothing.

It runs once as funding migration 0005 and any time as `manage.py involve_paying_agencies` (a dry
run that lists, or `--apply`). It takes the model registry (`django.apps.apps`, or a migration's
`apps`), so the migration runs against the models as they stood then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

VIA = "funding share back-fill"
REASON = "Funding share in package {package} (recorded before paying agencies were involved)"

# casework.services.access_requests._default_involvement_role, restated: that module imports the
# live models at import time, and a migration must write the values as they stand at this point in
# the history, not whatever the role choices later become. tests/funding/
# test_paying_agencies_backfill.py checks the two agree for every kind of agency.
ROLE_FOR_KIND = {
    "childrens_services": "social_care",
    "sen": "education",
    "icb": "health_commissioner",
    "nhs_trust": "health_provider",
}
OTHER_ROLE = "other"


def role_for_kind(kind: str) -> str:
    return ROLE_FOR_KIND.get(kind, OTHER_ROLE)


@dataclass(frozen=True)
class PayingAgency:
    """One share-holding agency of a package's current version, not involved with the child."""

    package_id: int
    child_id: int
    agency: str
    note: str

    def __str__(self) -> str:
        return f"package {self.package_id}, child {self.child_id}: {self.agency} ({self.note})"


@dataclass
class PayersReport:
    involved: list[PayingAgency] = field(default_factory=list)  # involved now (or would be)
    other_partnership: list[PayingAgency] = field(default_factory=list)  # never involved
    ended_since: list[PayingAgency] = field(default_factory=list)  # a person ended it: left


def involve_paying_agencies(*, apps, apply: bool) -> PayersReport:
    """Find every agency holding a share of a package's current version (packages not ended) with
    no open involvement with the child; with `apply`, involve each (audited). Returns what was done
    (or would be) and what was left, and why."""
    FundingPackage = apps.get_model("funding", "FundingPackage")
    ShareLine = apps.get_model("funding", "ShareLine")
    Involvement = apps.get_model("casework", "Involvement")
    AuditEvent = apps.get_model("casework", "AuditEvent")
    report = PayersReport()
    today = timezone.localdate()

    packages = list(
        FundingPackage.objects.exclude(status="ended")
        .filter(current_version__isnull=False)
        .select_related("child__owning_agency", "current_version")
        .order_by("pk")
    )
    if not packages:
        return report
    shares_of: dict[int, list] = {}
    for share in (
        ShareLine.objects.filter(version_id__in=[p.current_version_id for p in packages])
        .select_related("agency")
        .order_by("position", "pk")
    ):
        shares_of.setdefault(share.version_id, []).append(share)
    child_ids = {p.child_id for p in packages}
    open_now = set(
        Involvement.objects.filter(child_id__in=child_ids, ended_on__isnull=True).values_list(
            "child_id", "agency_id"
        )
    )
    last_ended: dict[tuple[int, int], dt.date] = {}
    for child_id, agency_id, ended_on in Involvement.objects.filter(
        child_id__in=child_ids, ended_on__isnull=False
    ).values_list("child_id", "agency_id", "ended_on"):
        key = (child_id, agency_id)
        last_ended[key] = max(ended_on, last_ended.get(key, ended_on))

    made = []
    for package in packages:
        version = package.current_version
        partnership = package.child.owning_agency.partnership
        given_on = timezone.localdate(version.created_at)
        for share in shares_of.get(version.pk, []):
            agency, key = share.agency, (package.child_id, share.agency_id)
            if key in open_now:
                continue
            role = role_for_kind(agency.kind)
            if agency.partnership != partnership:
                note = f"of {agency.partnership}, not the child's partnership: not involved"
                report.other_partnership.append(PayingAgency(package.pk, package.child_id, agency.name, note))
                continue
            ended_on = last_ended.get(key)
            if ended_on is not None and ended_on >= given_on:
                note = f"its involvement ended on {ended_on:%-d %B %Y}, after the share was given: left"
                report.ended_since.append(PayingAgency(package.pk, package.child_id, agency.name, note))
                continue
            open_now.add(key)  # another package of the same child involves it once, not twice
            report.involved.append(PayingAgency(package.pk, package.child_id, agency.name, role))
            if apply:
                made.append(
                    Involvement(
                        child_id=package.child_id,
                        agency=agency,
                        role=role,
                        started_on=today,
                        added_by_id=version.created_by_id,
                        reason=REASON.format(package=package.pk)[:200],
                    )
                )
    if not made:
        return report
    Involvement.objects.bulk_create(made)
    events = [
        AuditEvent(
            actor=None,
            action="involvement.added",
            object_type=involvement._meta.label,
            object_id=str(involvement.pk),
            object_repr=f"{involvement.agency.name}: {involvement.reason}"[:300],
            child_id=involvement.child_id,
            changes={
                "agency": [None, involvement.agency.name],
                "role": [None, involvement.role],
                "started_on": [None, str(involvement.started_on)],
                "reason": [None, involvement.reason],
                "via": [None, VIA],
            },
        )
        for involvement in made
    ]
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    return report
