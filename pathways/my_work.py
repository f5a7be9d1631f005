"""Pathway clocks on My work (casework/my_work.py): a Continuing Care decision due 6 weeks (the
partnership's setting) after the referral was received, and an Individual Funding Request's
decision date. Every case is read through pathways.access (cases of children the person may see).

Who: a Continuing Care case's case worker (its maker when none is named); an IFR's deciders (the
IFR panel's NHS administrators and chairs, pathways.access.can_decide_ifr) while it awaits a
decision; the clinician who submitted it while the panel asks for more information, and as
waiting for the IFR panel while it is being decided.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from casework.models import User
from casework.my_work import Feed, WorkItem, is_overdue, work_source
from pathways import access
from pathways.models import CaseKind, PathwayCase, Status

GROUP_PATHWAYS = "Pathway clocks"

# A Continuing Care case still heading for its decision.
CC_BEFORE_DECISION = (Status.CHECKLIST, Status.ASSESSMENT, Status.RECOMMENDED)
# An IFR waiting for the panel's decision (a first request, or an appeal or review).
IFR_AWAITING_DECISION = (Status.SUBMITTED, Status.APPEAL)


def _cc_item(case: PathwayCase, today: dt.date) -> WorkItem:
    cc = case.continuing_care
    return WorkItem(
        kind="pathways.cc_decision_due",
        group=GROUP_PATHWAYS,
        title=f"Continuing Care decision due: {case.get_status_display().lower()} so far",
        url=reverse("pathways:case", args=[case.pk]),
        child=case.child,
        due_on=cc.decision_due_on,
        overdue=is_overdue(cc.decision_due_on, today),
        detail=f"Referral received {cc.referral_received_on:%-d %B %Y}",
    )


def _ifr_decide_item(case: PathwayCase, today: dt.date) -> WorkItem:
    ifr = case.ifr
    return WorkItem(
        kind="pathways.ifr_to_decide",
        group=GROUP_PATHWAYS,
        title="Record the IFR panel's decision" + (" on the appeal" if case.status == Status.APPEAL else ""),
        url=reverse("pathways:ifr_decision", args=[case.pk]),
        child=case.child,
        due_on=ifr.decision_due_on,
        overdue=is_overdue(ifr.decision_due_on, today),
        detail=f"Submitted {ifr.submitted_on:%-d %B %Y}",
    )


def _ifr_mine_item(case: PathwayCase, today: dt.date) -> WorkItem:
    ifr = case.ifr
    if case.status == Status.MORE_INFORMATION:
        return WorkItem(
            kind="pathways.ifr_information_asked",
            group=GROUP_PATHWAYS,
            title="Send the information the IFR panel asked for",
            url=reverse("pathways:ifr_information", args=[case.pk]),
            child=case.child,
            due_on=ifr.decision_due_on,
            overdue=is_overdue(ifr.decision_due_on, today),
        )
    return WorkItem(
        kind="pathways.ifr_awaiting_decision",
        group=GROUP_PATHWAYS,
        title="Your Individual Funding Request is waiting for the IFR panel's decision",
        url=reverse("pathways:case", args=[case.pk]),
        child=case.child,
        due_on=ifr.decision_due_on,
        overdue=is_overdue(ifr.decision_due_on, today),
        waiting_for="The IFR panel",
    )


@work_source
def pathways_work(user: User) -> list[Feed]:
    """Queries: the Continuing Care cases this person works, the IFRs they submitted, and, for an
    IFR decider, the IFRs awaiting a decision; each with its child and pathway record joined."""
    today = timezone.localdate()
    visible = access.cases_visible_to(user=user)
    cc = visible.filter(
        Q(case_worker_id=user.pk) | Q(case_worker__isnull=True, created_by_id=user.pk),
        kind=CaseKind.CONTINUING_CARE,
        status__in=CC_BEFORE_DECISION,
        continuing_care__isnull=False,
    ).select_related("child", "continuing_care")
    feeds = [Feed(queryset=cc, item=lambda c, _: _cc_item(c, today))]
    mine = visible.filter(
        kind=CaseKind.IFR,
        ifr__submitted_by_id=user.pk,
        status__in=[*IFR_AWAITING_DECISION, Status.MORE_INFORMATION],
    ).select_related("child", "ifr")
    feeds.append(Feed(queryset=mine, item=lambda c, _: _ifr_mine_item(c, today)))
    if access.can_decide_ifr(user=user):
        to_decide = (
            visible.filter(kind=CaseKind.IFR, status__in=IFR_AWAITING_DECISION, ifr__isnull=False)
            .exclude(ifr__submitted_by_id=user.pk)
            .select_related("child", "ifr")
        )
        feeds.append(Feed(queryset=to_decide, item=lambda c, _: _ifr_decide_item(c, today)))
    return feeds
