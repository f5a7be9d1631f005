"""Funding on My work (casework/my_work.py): shares to approve within the approver's delegated limit,
shares above it shown as waiting for the approver who can act, shares the person asked for (the
package's maker) shown as waiting for their approvers, and finance queries for the referrer or the
panel administrators to answer (the approver sees theirs as waiting for the answer).

The scheme of delegation as it stands today (funding.services.approver_for): a share goes to the
agency's active finance approver with the lowest delegated limit that covers its annual amount. A
share above every limit in the agency is shown to all its approvers, so it never vanishes from
every tray. A share is due N working days after it started waiting (the deciding panel's
sign_off_reminder_working_days, when the reminder goes; the setting's default for a package
recorded without a panel).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone

from casework.models import Role, User
from casework.my_work import Feed, WorkItem, is_overdue, known, team_facts, work_source
from casework.working_days import add_working_days
from funding import access
from funding.models import FundingDispute, FundingPackage, PackageStatus, ShareLine, ShareStatus
from funding.selectors import AWAITING_STATUSES
from panels.access import administered_panels
from panels.models import Panel
from panels.my_work import panel_seats
from panels.selectors import closures_by_panel

GROUP_SHARES = "Funding shares to approve"
GROUP_WAITING = "Funding waiting for someone else"

ABOVE_EVERY_LIMIT = "A finance approver with a higher delegated limit"


@dataclass(frozen=True)
class _Scheme:
    today: dt.date
    closures: dict[int, frozenset[dt.date]]
    # Per agency, its active finance approvers as (limit, name), lowest limit first.
    approvers: dict[int, list[tuple[Decimal, str]]]

    def approver_name(self, share: ShareLine) -> str:
        for limit, name in self.approvers.get(share.agency_id, []):
            if limit >= share.annual_amount:
                return name
        return ""


def _scheme(rows: list[ShareLine]) -> _Scheme:
    """Two queries for all the rows: the deciding panels' closure days, and the finance approvers
    of the shares' agencies."""
    approvers: dict[int, list[tuple[Decimal, str]]] = defaultdict(list)
    people = (
        User.objects.filter(
            agency_id__in={s.agency_id for s in rows},
            is_active=True,
            roles__contains=[Role.FINANCE_APPROVER],
            delegated_limit__isnull=False,
        )
        .order_by("delegated_limit", "pk")
        .values_list("agency_id", "delegated_limit", "full_name")
    )
    for agency_id, limit, name in people:
        approvers[agency_id].append((limit, name))
    panel_ids = {s.package.panel_id for s in rows if s.package.panel_id is not None}
    return _Scheme(
        today=timezone.localdate(), closures=closures_by_panel(panel_ids=panel_ids), approvers=approvers
    )


def _due(share: ShareLine, scheme: _Scheme) -> dt.date:
    panel = share.package.panel
    allowed = (
        panel.sign_off_reminder_working_days
        if panel is not None
        else Panel._meta.get_field("sign_off_reminder_working_days").get_default()
    )
    closures = scheme.closures.get(panel.pk, frozenset()) if panel is not None else frozenset()
    return add_working_days(timezone.localtime(share.awaiting_since).date(), allowed, closures)


def _what(share: ShareLine) -> str:
    return f"{share.agency.name}'s share of £{share.annual_amount:,.2f} a year"


def _approver_item(user: User):
    limit = user.delegated_limit

    def item(share: ShareLine, scheme: _Scheme) -> WorkItem:
        due = _due(share, scheme)
        common = {
            "child": share.package.child,
            "due_on": due,
            "overdue": is_overdue(due, scheme.today),
            "detail": share.version.provider.name,
        }
        if limit is not None and share.annual_amount <= limit:
            if share.status == ShareStatus.QUERIED:
                return WorkItem(
                    kind="funding.query_awaiting_answer",
                    group=GROUP_WAITING,
                    title=f"Your query on {_what(share)} is waiting for its answer",
                    url=reverse("funding:detail", args=[share.package_id]),
                    waiting_for=_answerer(share),
                    **common,
                )
            return WorkItem(
                kind="funding.share_to_approve",
                group=GROUP_SHARES,
                title=f"Approve {_what(share)}",
                url=reverse("funding:approve", args=[share.pk]),
                **common,
            )
        name = scheme.approver_name(share)
        return WorkItem(
            kind="funding.share_above_my_limit" if name else "funding.share_above_every_limit",
            group=GROUP_WAITING if name else GROUP_SHARES,
            title=f"{_what(share)} is above your delegated limit"
            if name
            else f"{_what(share)} is above every delegated limit in your agency",
            url=reverse("funding:detail", args=[share.package_id]),
            waiting_for=name or ABOVE_EVERY_LIMIT,
            **common,
        )

    return item


def _answerer(share: ShareLine) -> str:
    """Who answers a finance query (funding.services.share_answer_query): the referrer, or the
    panel administrators."""
    referral = share.package.referral
    if referral is not None:
        return f"{referral.referrer.full_name} (the referrer) or a panel administrator"
    return "A panel administrator"


def _query_item(share: ShareLine, scheme: _Scheme) -> WorkItem:
    due = _due(share, scheme)
    return WorkItem(
        kind="funding.query_to_answer",
        group=GROUP_SHARES,
        title=f"Answer the finance query on {_what(share)}",
        url=reverse("funding:answer", args=[share.pk]),
        child=share.package.child,
        due_on=due,
        overdue=is_overdue(due, scheme.today),
        detail=share.query_text[:200],
    )


def _requester_item(share: ShareLine, scheme: _Scheme) -> WorkItem:
    due = _due(share, scheme)
    return WorkItem(
        kind="funding.share_waiting",
        group=GROUP_WAITING,
        title=f"{_what(share)} is waiting for approval",
        url=reverse("funding:detail", args=[share.package_id]),
        child=share.package.child,
        due_on=due,
        overdue=is_overdue(due, scheme.today),
        waiting_for=scheme.approver_name(share) or f"{ABOVE_EVERY_LIMIT} in {share.agency.name}",
        detail=share.version.provider.name,
    )


def _awaiting(user: User) -> QuerySet[ShareLine]:
    """Current-version shares awaiting approval of packages the person may see (funding.access)."""
    return (
        ShareLine.objects.filter(
            status__in=AWAITING_STATUSES,
            package__in=access.packages_visible_to(user=user),
            package__current_version_id=F("version_id"),
        )
        .exclude(package__status=PackageStatus.ENDED)
        .select_related(
            "package__child", "package__panel", "package__referral__referrer", "version__provider", "agency"
        )
    )


def _approver_group(user: User) -> Case:
    """In SQL, the heading each of the approver's shares is listed under, as _approver_item chooses
    it: within their limit, to approve (a queried one waits for its answer); above it, waiting for
    the agency's approver whose limit covers it, or above every limit (to approve, so it never
    vanishes from every tray)."""
    covered = Exists(
        User.objects.filter(
            agency_id=OuterRef("agency_id"),
            is_active=True,
            roles__contains=[Role.FINANCE_APPROVER],
            delegated_limit__isnull=False,
            delegated_limit__gte=OuterRef("annual_amount"),
        )
    )
    within = (
        [
            When(
                annual_amount__lte=user.delegated_limit, status=ShareStatus.QUERIED, then=Value(GROUP_WAITING)
            ),
            When(annual_amount__lte=user.delegated_limit, then=Value(GROUP_SHARES)),
        ]
        if user.delegated_limit is not None
        else []
    )
    return Case(
        *within,
        When(covered, then=Value(GROUP_WAITING)),
        default=Value(GROUP_SHARES),
        output_field=CharField(),
    )


def _packages_of(user: User, *, made: bool, administrator: bool) -> QuerySet:
    """The ids of the packages whose shares can be on the person's list beside their agency's tray,
    as a UNION, each part by its own index: the packages of their referrals (whose queries they
    answer), those they made (whose shares they follow) and, for a panel administrator, those of
    panels their agency hosts and those recorded without a panel that their agency holds a share in
    (the only ones without a panel funding.access lets them see)."""
    packages = FundingPackage.objects.order_by()
    parts = [packages.filter(referral__referrer_id=user.pk).values("pk")]
    if made:
        parts.append(packages.filter(created_by_id=user.pk).values("pk"))
    if administrator:
        parts.append(packages.filter(panel__host_agency_id=user.agency_id).values("pk"))
        held = ShareLine.objects.filter(agency_id=user.agency_id).values("package_id")
        parts.append(packages.filter(panel__isnull=True, pk__in=held).values("pk"))
    return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]


# The date a share's due date is counted from (_due).
_WAITING_SINCE = (F("awaiting_since").asc(),)


@work_source
def funding_work(user: User) -> list[Feed]:
    """Queries: a finance approver's agency's shares awaiting approval (within their limit to
    approve, above it as waiting for the approver who can act); the shares of packages this person
    made that await another agency's approver; and once for each feed with rows, the closure days
    and the approvers of the shares' agencies."""
    feeds: list[Feed] = []
    approver = access.is_finance_approver(user)
    if approver:
        mine = _awaiting(user).filter(agency_id=user.agency_id)
        feeds.append(
            Feed(
                queryset=mine,
                item=_approver_item(user),
                prepare=_scheme,
                group=_approver_group(user),
                urgency=_WAITING_SINCE,
            )
        )
    # A query is answered by the package's referrer or a panel administrator: of the deciding
    # panel's host agency, or any who may see a package recorded without a panel
    # (funding.services.share_answer_query; funding.access scopes the packages).
    administrator = user.has_role(Role.PANEL_ADMINISTRATOR)
    answerer = Q(package__referral__referrer_id=user.pk)
    if administrator:
        answerer |= Q(package__panel__host_agency_id=user.agency_id) | Q(package__panel__isnull=True)
    queried = Q(answerer, status=ShareStatus.QUERIED)
    manager = access.can_manage(user=user) or user.has_role(Role.PANEL_CHAIR)
    # The person's packages first (each part by its own index), then their shares' status: as one OR
    # PostgreSQL read every share line awaiting or queried in the country and joined each to its
    # package before knowing whose it was (bench/README.md, My work).
    theirs = Q(package_id__in=_packages_of(user, made=manager, administrator=administrator))
    if not manager:
        feeds.append(
            Feed(
                queryset=_awaiting(user).filter(queried, theirs),
                item=_query_item,
                prepare=_scheme,
                group=GROUP_SHARES,
                urgency=_WAITING_SINCE,
            )
        )
        return feeds
    # The shares of packages the person made, waiting for another agency's approver, in the same
    # query as the queries they answer (one awaits approval, the other is queried: never both).
    asked = Q(package__created_by=user, status=ShareStatus.AWAITING)
    if approver:
        asked &= ~Q(agency_id=user.agency_id)
    feeds.append(
        Feed(
            queryset=_awaiting(user).filter(asked | queried, theirs),
            item=lambda share, scheme: (
                _query_item(share, scheme)
                if share.status == ShareStatus.QUERIED
                else _requester_item(share, scheme)
            ),
            prepare=_scheme,
            group=Case(
                When(status=ShareStatus.QUERIED, then=Value(GROUP_SHARES)),
                default=Value(GROUP_WAITING),
                output_field=CharField(),
            ),
            urgency=_WAITING_SINCE,
        )
    )
    return feeds


# --- Funding disputes (seeds 004: disagreement resolution between the council and the NHS) -------

GROUP_DISPUTES = "Funding disputes"


def _open_disputes(user: User):
    """Disputes still open: the disputed share is on the package's current version and still
    disputed (an approval or a variation settles it), of packages the person may see; the latest
    dispute of each share only."""
    later = FundingDispute.objects.filter(share_id=OuterRef("share_id"), pk__gt=OuterRef("pk"))
    return (
        FundingDispute.objects.filter(
            share__status=ShareStatus.DISPUTED,
            share__version_id=F("package__current_version_id"),
            package__in=access.packages_visible_to(user=user),
        )
        .exclude(package__status=PackageStatus.ENDED)
        .filter(~Exists(later))
        .select_related("package__child", "package__panel", "agency", "agenda_item__meeting__panel")
    )


def _dispute_what(dispute) -> str:
    return f"{dispute.agency.name} disputes its share of £{dispute.share.annual_amount:,.2f} a year"


def _dispute_to_settle(dispute, today: dt.date) -> WorkItem:
    meeting = dispute.agenda_item.meeting if dispute.agenda_item_id else None
    return WorkItem(
        kind="funding.dispute_to_settle" if meeting else "funding.dispute_to_list",
        group=GROUP_DISPUTES,
        title=f"Settle the dispute at {meeting}: {_dispute_what(dispute)}"
        if meeting
        else f"List the dispute on an agenda: {_dispute_what(dispute)}",
        url=reverse("funding:detail", args=[dispute.package_id]),
        child=dispute.package.child,
        due_on=meeting.date if meeting else None,
        overdue=is_overdue(meeting.date, today) if meeting else False,
        detail=dispute.reason[:200] if meeting else dispute.not_listed_reason,
    )


def _dispute_raised(dispute, today: dt.date) -> WorkItem:
    meeting = dispute.agenda_item.meeting if dispute.agenda_item_id else None
    panel = dispute.package.panel
    return WorkItem(
        kind="funding.dispute_raised",
        group=GROUP_WAITING,
        title=f"Your agency's dispute is waiting to be settled: {_dispute_what(dispute)}",
        url=reverse("funding:detail", args=[dispute.package_id]),
        child=dispute.package.child,
        due_on=meeting.date if meeting else None,
        overdue=is_overdue(meeting.date, today) if meeting else False,
        waiting_for=panel.name if panel is not None else "The package's maker",
        detail=f"Listed for {meeting}" if meeting else dispute.not_listed_reason,
    )


def _dispute_item(dispute, today: dt.date) -> WorkItem:
    return _dispute_to_settle(dispute, today) if dispute.settles else _dispute_raised(dispute, today)


@team_facts
def in_disputes(people: Sequence[User]) -> dict[int, bool]:
    """The team view: which of the people raised any dispute or made any package disputed, in one
    query (a panel's administrators and chairs settle theirs whatever this says)."""
    ids = [person.pk for person in people]
    found = set(
        FundingDispute.objects.filter(raised_by_id__in=ids)
        .values_list("raised_by_id")
        .union(
            FundingDispute.objects.filter(package__created_by_id__in=ids).values_list(
                "package__created_by_id"
            )
        )
    )
    return {pk: (pk,) in found for pk in ids}


@work_source
def funding_disputes(user: User) -> list[Feed]:
    """One query: the open disputes this person settles (the deciding panel's administrators and
    chairs, panels.access.administered_panels; the maker of a package recorded without a panel),
    and those they raised that someone else settles (shown as waiting)."""
    today = timezone.localdate()
    seats = known(user, panel_seats)
    may_administer = seats is None or seats.administers or user.has_role(Role.PANEL_ADMINISTRATOR)
    if known(user, in_disputes) is False and not may_administer:  # the team view: none to build
        return []
    settles = Q(package__panel__in=administered_panels(user=user)) | Q(
        package__panel__isnull=True, package__created_by_id=user.pk
    )
    disputes = (
        _open_disputes(user)
        .filter(settles | Q(raised_by_id=user.pk))
        .annotate(settles=ExpressionWrapper(settles, output_field=BooleanField()))
        .select_related("share")
    )
    return [
        Feed(
            queryset=disputes,
            item=lambda d, _: _dispute_item(d, today),
            group=Case(
                When(settles=True, then=Value(GROUP_DISPUTES)),
                default=Value(GROUP_WAITING),
                output_field=CharField(),
            ),
            urgency=(F("agenda_item__meeting__date").asc(nulls_last=True),),
        )
    ]
