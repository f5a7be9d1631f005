"""Every read the funding pages and API need, with its query shape. All start from access.py."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from casework.access import agencies_visible_to, agency_id_of, agency_of
from casework.models import Agency, User
from casework.money import (
    ZERO,
    allocate_over_years,
    amount_in_financial_year,
    financial_year_bounds,
    financial_year_label,
    financial_year_of,
    format_money,
    share_equivalents,
    weekly,
    year_worth,
)
from funding import access
from funding.models import (
    FundingDispute,
    FundingPackage,
    PackageEvent,
    PackageStatus,
    PackageVersion,
    Provider,
    ShareLine,
    ShareStatus,
)

__all__ = [
    "AWAITING_STATUSES",
    "CommitmentLine",
    "Commitments",
    "awaiting_for",
    "commitments_export",
    "commitments_for",
    "matrix",
    "package_for_page",
    "package_list",
    "version_windows",
    "versions_compared",
]

AWAITING_STATUSES = (ShareStatus.AWAITING, ShareStatus.QUERIED)


def _current_shares_qs() -> Prefetch:
    return Prefetch(
        "current_version__shares",
        queryset=ShareLine.objects.select_related("agency", "decided_by", "routed_to").order_by("position"),
    )


def package_list(*, user: User, status: str = "") -> QuerySet[FundingPackage]:
    """Queries: 1 page of packages (child, current version, provider, panel joined) + 1 prefetch of
    the current versions' shares with agency and people joined."""
    packages = access.packages_visible_to(user=user)
    if status in PackageStatus.values:
        packages = packages.filter(status=status)
    return (
        packages.select_related("child", "current_version__provider", "panel")
        .prefetch_related(_current_shares_qs())
        .order_by("-created_at", "-id")
    )


def package_for_page(*, user: User, pk: object) -> FundingPackage:
    """The package with everything its page shows: 1 query for the package, 1 for all versions with
    providers, 1 for their shares, 1 for events, 1 for disputes."""

    def shape(qs):
        return qs.select_related(
            "child", "panel", "decision", "referral", "current_version__provider"
        ).prefetch_related(
            Prefetch(
                "versions",
                queryset=PackageVersion.objects.select_related("provider", "created_by")
                .prefetch_related(
                    Prefetch(
                        "shares",
                        queryset=ShareLine.objects.select_related(
                            "agency", "decided_by", "routed_to"
                        ).order_by("position"),
                    )
                )
                .order_by("number"),
            ),
            Prefetch("events", queryset=PackageEvent.objects.select_related("actor", "agency")),
            Prefetch(
                "disputes",
                queryset=FundingDispute.objects.select_related(
                    "agency", "raised_by", "agenda_item__meeting__panel"
                ),
            ),
        )

    return access.get_package_for_user(user=user, pk=pk, shape=shape)


def awaiting_for(*, user: User) -> QuerySet[ShareLine]:
    """The finance approver's tray: current-version shares of their agency awaiting approval that
    their delegated limit covers, oldest first. 1 query (package, child, provider joined)."""
    if not access.is_finance_approver(user) or user.delegated_limit is None:
        return ShareLine.objects.none()
    return (
        ShareLine.objects.filter(
            agency_id=agency_id_of(user),
            status__in=AWAITING_STATUSES,
            annual_amount__lte=user.delegated_limit,
            package__in=access.packages_visible_to(user=user),
            package__current_version_id=F("version_id"),
        )
        .exclude(package__status=PackageStatus.ENDED)
        .select_related("package__child", "version__provider", "agency")
        .order_by("awaiting_since", "id")
    )


# --- The funding matrix ---------------------------------------------------------------------------


@dataclass
class MatrixRow:
    share: ShareLine
    per_period: Decimal | None
    weekly: Decimal | None
    annual: Decimal | None
    years: list[Decimal]
    detail_visible: bool
    # An agency that paid under an earlier version but has no share now: its years are still part
    # of the years' totals, so it keeps a row (with no amount a period) and the columns add up.
    paid_until_version: int | None = None


@dataclass
class Matrix:
    rows: list[MatrixRow]
    years: list[str]
    total_per_period: Decimal
    total_weekly: Decimal | None
    total_annual: Decimal
    total_years: list[Decimal]
    still_to_approve: list[ShareLine]


def version_windows(
    package: FundingPackage, versions: list[PackageVersion]
) -> list[tuple[PackageVersion, dt.date, dt.date | None]]:
    """Each version's days in force: from its effective date (not before the package starts) to the
    day before the next version's, its own end date, or the package's end, whichever comes first."""
    out = []
    ordered = sorted(versions, key=lambda v: v.number)
    for i, version in enumerate(ordered):
        start = max(version.effective_from, version.starts_on)
        ends = [d for d in (version.ends_on, package.ended_on) if d is not None]
        if i + 1 < len(ordered):
            ends.append(ordered[i + 1].effective_from - dt.timedelta(days=1))
        end = min(ends) if ends else None
        if end is None or end >= start:
            out.append((version, start, end))
    return out


def _years_for(package: FundingPackage, versions: list[PackageVersion], today: dt.date) -> list[int]:
    windows = version_windows(package, versions)
    if not windows:
        return [financial_year_of(today)]
    first = financial_year_of(windows[0][1])
    last_end = windows[-1][2]
    last = financial_year_of(last_end) if last_end else max(first, financial_year_of(today)) + 1
    return list(range(first, min(last, first + 9) + 1))


def _fy_amounts_by_agency(
    package: FundingPackage, versions: list[PackageVersion], year: int
) -> dict[int, Decimal]:
    """Per agency, what the package comes to in one financial year across its versions: each
    version's total for its days in the year, split by that version's share amounts with
    casework.money.allocate_over_years from the version's first year, so the agencies' figures add up
    to the year's total exactly and each agency's years add up to its share of the version's whole
    cost, to the penny (docs/adr/0012-money.md)."""
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for version, start, end in version_windows(package, versions):
        first = financial_year_of(start)
        if year < first:
            continue
        totals = [
            amount_in_financial_year(
                cost=version.cost,
                period=version.cost_period,
                weeks_per_year=version.weeks_per_year,
                starts_on=start,
                ends_on=end,
                year=y,
            )
            for y in range(first, year + 1)
        ]
        if totals[-1] == 0:
            continue
        shares = list(version.shares.all())
        parts = allocate_over_years(totals, [s.amount for s in shares])[-1]
        for share, part in zip(shares, parts, strict=True):
            out[share.agency_id] += part
    return out


def matrix(*, user: User, package: FundingPackage, today: dt.date | None = None) -> Matrix:
    """The funding matrix of the current version: each agency's per-period, weekly and annual
    amounts, and every financial year's amount across all versions, side by side (seeds 001:
    costs clearly presented). Uses the prefetched versions: no queries."""
    today = today or timezone.localdate()
    versions = list(package.versions.all())
    current = next(v for v in versions if v.pk == package.current_version_id)
    shares = list(current.shares.all())
    total_weekly = weekly(current.cost, current.cost_period, current.weeks_per_year)
    total_annual = year_worth(current.cost, current.cost_period, current.weeks_per_year)
    # Each share's weekly and annual figures derive from its split amount (the referral paper's too).
    equivalents = share_equivalents([s.amount for s in shares], current.cost_period, current.weeks_per_year)
    weeklies = [w for w, _ in equivalents]
    annuals = [s.annual_amount for s in shares]
    years = _years_for(package, versions, today)
    by_year = {year: _fy_amounts_by_agency(package, versions, year) for year in years}
    rows = [
        MatrixRow(
            share=s,
            per_period=s.amount,
            weekly=w,
            annual=a,
            years=[by_year[y].get(s.agency_id, ZERO) for y in years],
            detail_visible=access.can_see_approval_detail(user=user, share=s),
        )
        for s, w, a in zip(shares, weeklies, annuals, strict=True)
    ]
    paying_now = {s.agency_id for s in shares}
    earlier: dict[int, tuple[PackageVersion, ShareLine]] = {}
    for version in sorted(versions, key=lambda v: v.number, reverse=True):
        for s in version.shares.all():
            if s.agency_id not in paying_now and s.agency_id not in earlier:
                earlier[s.agency_id] = (version, s)
    rows += [
        MatrixRow(
            share=s,
            per_period=None,
            weekly=None,
            annual=None,
            years=[by_year[y].get(agency_id, ZERO) for y in years],
            detail_visible=False,
            paid_until_version=version.number,
        )
        for agency_id, (version, s) in earlier.items()
        if any(by_year[y].get(agency_id, ZERO) for y in years)
    ]
    return Matrix(
        rows=rows,
        years=[financial_year_label(y) for y in years],
        total_per_period=current.cost,
        total_weekly=total_weekly,
        total_annual=total_annual,
        total_years=[sum(by_year[y].values(), ZERO) for y in years],
        still_to_approve=[s for s in shares if s.status != ShareStatus.APPROVED],
    )


_DIFF_FIELDS = [
    ("provider", "Provider"),
    ("service_description", "Service"),
    ("weeks_per_year", "Weeks a year"),
    ("cost", "Cost"),
    ("cost_period", "Paid"),
    ("starts_on", "Starts"),
    ("ends_on", "Ends"),
    ("review_date", "Review date"),
    ("personal_budget", "Personal budget"),
    ("effective_from", "In force from"),
]


def versions_compared(a: PackageVersion, b: PackageVersion) -> list[dict]:
    """Rows of what differs between two versions (terms, then each agency's share)."""
    rows = []
    for name, label in _DIFF_FIELDS:
        va, vb = getattr(a, name), getattr(b, name)
        # A field with choices shows its label (Django's get_<field>_display).
        display = getattr(a, f"get_{name}_display", None)
        if display:
            va, vb = display(), getattr(b, f"get_{name}_display")()
        rows.append({"label": label, "a": va, "b": vb, "changed": va != vb})
    sa = {s.agency_id: s for s in a.shares.all()}
    sb = {s.agency_id: s for s in b.shares.all()}
    for agency_id in list(dict.fromkeys([*sa, *sb])):
        x, y = sa.get(agency_id), sb.get(agency_id)
        name = (x or sb[agency_id]).agency.name
        # With its period (casework.money.format_money): "£743.20 a week".
        ax = format_money(x.amount, a.cost_period) if x else "No share"
        by = format_money(y.amount, b.cost_period) if y else "No share"
        rows.append({"label": f"Share: {name}", "a": ax, "b": by, "changed": ax != by})
    return rows


# --- Commitments ----------------------------------------------------------------------------------


@dataclass
class CommitmentLine:
    package: FundingPackage
    share: ShareLine
    provider: str
    pathway: str
    panel: str
    weekly: Decimal | None
    annual: Decimal
    year_amount: Decimal
    to_date: Decimal
    cost_period: str = ""  # of the version the share is from (the current one, or the last it paid under)


@dataclass
class Commitments:
    agency_name: str
    year: int
    label: str
    lines: list[CommitmentLine] = field(default_factory=list)
    total: Decimal = ZERO
    to_date: Decimal = ZERO
    by_pathway: list[tuple[str, Decimal]] = field(default_factory=list)
    by_provider: list[tuple[str, Decimal]] = field(default_factory=list)
    by_panel: list[tuple[str, Decimal]] = field(default_factory=list)
    awaiting_total: Decimal = ZERO
    is_current_year: bool = False


def _commitments_header(*, user: User, year: int | None, today: dt.date) -> Commitments:
    year = financial_year_of(today) if year is None else year
    return Commitments(
        agency_name=user.agency.name if user.agency is not None else "",
        year=year,
        label=financial_year_label(year),
        is_current_year=financial_year_of(today) == year,
    )


def _commitment_packages(*, user: User, agency_id: int, year: int) -> QuerySet[FundingPackage]:
    """The packages the agency pays a share of that may count in the year, with their versions and
    shares: 1 query for the packages, 1 for their versions with providers, 1 for the shares (per
    chunk when iterated)."""
    lo, _ = financial_year_bounds(year)
    return (
        access.packages_visible_to(user=user)
        .filter(share_lines__agency_id=agency_id)
        .exclude(Q(status=PackageStatus.ENDED) & Q(ended_on__lt=lo))
        .distinct()
        .select_related("child", "panel", "current_version__provider")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=PackageVersion.objects.select_related("provider")
                .prefetch_related(
                    Prefetch(
                        "shares", queryset=ShareLine.objects.select_related("agency").order_by("position")
                    )
                )
                .order_by("number"),
            )
        )
        .order_by("pk")
    )


def _commitment_line(
    package: FundingPackage, *, agency_id: int, year: int, today: dt.date
) -> tuple[Decimal, CommitmentLine | None]:
    """The agency's amount in the year for one package, and its line (None for a package still
    awaiting approval or disputed, whose amount is counted apart, or one with nothing in the year)."""
    lo, hi = financial_year_bounds(year)
    versions = list(package.versions.all())
    amount = _fy_amounts_by_agency(package, versions, year).get(agency_id, ZERO)
    if package.status in (PackageStatus.AWAITING_APPROVAL, PackageStatus.DISPUTED):
        return amount, None
    current = package.current_version
    if amount == 0 or current is None:  # with versions (an amount), it has its current one
        return ZERO, None
    # The agency's share in the current version or, when it paid only under an earlier one (it
    # stopped paying at a variation), as it stood in the last version it paid under: its money
    # in the year is still its commitment.
    found = None
    for version in sorted(versions, key=lambda v: v.number, reverse=True):
        shares = list(version.shares.all())
        mine = next((i for i, s in enumerate(shares) if s.agency_id == agency_id), None)
        if mine is not None:
            found = version, shares, mine
            break
    if found is None:
        return ZERO, None
    version, shares, mine = found
    share = shares[mine]
    # The share's weekly figure as the funding matrix shows it (casework.money.share_equivalents).
    share_weekly = share_equivalents([s.amount for s in shares], version.cost_period, version.weeks_per_year)[
        mine
    ][0]
    upto = min(today, hi)
    to_date = (
        _fy_amounts_by_agency(_until(package, upto), versions, year).get(agency_id, ZERO)
        if today >= lo
        else ZERO
    )
    return amount, CommitmentLine(
        package=package,
        share=share,
        provider=current.provider.name,
        pathway=package.get_pathway_display(),
        panel=package.panel.name if package.panel is not None else "Existing arrangement",
        weekly=share_weekly,
        annual=share.annual_amount,
        year_amount=amount,
        to_date=to_date,
        cost_period=version.cost_period,
    )


def commitments_for(*, user: User, year: int | None = None, today: dt.date | None = None) -> Commitments:
    """What the user's agency has committed in one financial year (1 April – 31 March): agreed and
    ended packages it pays a share of, pro-rated by days (366 in a leap year), with the year's total
    (forecast) and the part up to today (committed to date); by pathway, provider and panel.
    Packages still awaiting approval are totalled apart. Queries: 1 for the packages, 1 for their
    versions with providers, 1 for the versions' shares."""
    today = today or timezone.localdate()
    result = _commitments_header(user=user, year=year, today=today)
    if not access.can_see_commitments(user=user):
        return result
    agency_id = agency_id_of(user)
    pathways: dict[str, Decimal] = defaultdict(lambda: ZERO)
    providers: dict[str, Decimal] = defaultdict(lambda: ZERO)
    panels: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for package in _commitment_packages(user=user, agency_id=agency_id, year=result.year):
        amount, line = _commitment_line(package, agency_id=agency_id, year=result.year, today=today)
        if line is None:
            result.awaiting_total += amount
            continue
        result.lines.append(line)
        result.total += amount
        result.to_date += line.to_date
        pathways[line.pathway] += amount
        providers[line.provider] += amount
        panels[line.panel] += amount
    result.by_pathway = sorted(pathways.items(), key=lambda kv: (-kv[1], kv[0]))
    result.by_provider = sorted(providers.items(), key=lambda kv: (-kv[1], kv[0]))
    result.by_panel = sorted(panels.items(), key=lambda kv: (-kv[1], kv[0]))
    return result


# Packages fetched at a time by an export: each chunk is 3 queries (packages, versions, shares)
# through a server-side cursor, so an export's memory is one chunk's, however many rows it has.
EXPORT_CHUNK = 500


def commitments_export(
    *, user: User, year: int | None = None, today: dt.date | None = None
) -> tuple[Commitments, Callable[[], Iterator[CommitmentLine]]]:
    """The commitments' heading (agency, year; no lines) and a function streaming the lines of
    commitments_for, in the same order, EXPORT_CHUNK packages at a time; nothing is held beyond a
    chunk. Each call of the function runs the queries afresh (3 per chunk)."""
    today = today or timezone.localdate()
    header = _commitments_header(user=user, year=year, today=today)

    def lines() -> Iterator[CommitmentLine]:
        if not access.can_see_commitments(user=user):
            return
        agency_id = agency_id_of(user)
        packages = _commitment_packages(user=user, agency_id=agency_id, year=header.year)
        for package in packages.iterator(chunk_size=EXPORT_CHUNK):
            _, line = _commitment_line(package, agency_id=agency_id, year=header.year, today=today)
            if line is not None:
                yield line

    return header, lines


class _Ending:
    """A package seen as if it ended on a day (for the part of a year up to today)."""

    def __init__(self, package: FundingPackage, day: dt.date):
        self.ended_on = day if package.ended_on is None else min(package.ended_on, day)


def _until(package: FundingPackage, day: dt.date):
    return _Ending(package, day)


def provider_by_id(*, pk: int) -> Provider | None:
    """A provider named by id in a request (None for no such provider)."""
    return Provider.objects.filter(pk=pk).first()


def split_agencies(*, user: User) -> list[Agency]:
    """The agencies a package's shares may name on this person's forms: those of their partnership."""
    return list(agencies_visible_to(user=user).filter(partnership=agency_of(user).partnership))


def version_shares(*, version: PackageVersion) -> list[ShareLine]:
    """A version's shares, each with its agency, in the version's order."""
    return list(version.shares.select_related("agency"))
