"""The referral page: the whole record, and what this user may do with it now."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.shortcuts import render

from casework.audit import record_child_view
from referrals import access, selectors, services
from referrals.forms.drafting import section_labels
from referrals.forms.journey import SignOffForm
from referrals.models import Referral, SignOff, SignOffDecision, SignOffStage, Status
from referrals.views.common import _is_chair, _option_costs, _problem_links, _signing_stage


@dataclass
class Actions:
    """What this user may do with this referral now (services check each again)."""

    edit: bool = False
    send: bool = False
    sign_stage: str | None = None
    submit: bool = False
    accept_late: bool = False
    move: bool = False
    withdraw: bool = False
    close: bool = False
    any: bool = field(init=False, default=False)

    def __post_init__(self):
        self.any = any(
            [self.send, self.sign_stage, self.submit, self.accept_late, self.move, self.withdraw, self.close]
        )


def _actions(user, referral: Referral, sign_offs: list[SignOff]) -> Actions:
    can_edit = access.can_edit(user=user, referral=referral)
    chair = _is_chair(user, referral)
    stage = _signing_stage(referral)
    if stage and not access.can_sign(user=user, referral=referral, stage=stage):
        stage = None
    if stage == SignOffStage.SERVICE_MANAGER and any(
        s.signer_id == user.pk and s.decision == SignOffDecision.SIGNED and s.withdrawn_at is None
        for s in sign_offs
    ):
        stage = None  # the second signature comes from someone else
    status = referral.status
    return Actions(
        edit=can_edit and referral.is_editable,
        send=can_edit and status in {Status.DRAFT, Status.RETURNED},
        sign_stage=stage,
        submit=can_edit and status == Status.READY_TO_SUBMIT,
        accept_late=chair
        and status == Status.SUBMITTED
        and referral.is_late_paper
        and referral.late_accepted_by_id is None,
        move=chair and status == Status.SUBMITTED,
        withdraw=can_edit and status not in services.FINAL_STATUSES | {Status.DECIDED},
        close=(can_edit or chair) and status == Status.DECIDED,
    )


def referral_detail(request, pk):
    referral = selectors.referral_detail(user=request.user, pk=pk)
    record_child_view(user=request.user, child=referral.child, channel="page", path=request.path)
    sign_offs = list(referral.sign_offs.all())
    actions = _actions(request.user, referral, sign_offs)
    problems = _problem_links(referral, services.completeness(referral)) if actions.send else []
    withdrawn = [s for s in sign_offs if s.decision == SignOffDecision.SIGNED and s.withdrawn_at]
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "sections": _section_summaries(referral),
            "options": [_option_costs(option) for option in referral.options.all()],
            "evidence": list(referral.evidence.all()),
            "sign_offs": sign_offs,
            "withdrawn": withdrawn[-1] if withdrawn and referral.status == Status.DRAFT else None,
            "timeline": list(referral.status_changes.all()),
            "actions": actions,
            "problems": problems,
            "sign_form": SignOffForm() if actions.sign_stage else None,
        },
    )


@dataclass
class SectionSummary:
    key: str
    title: str
    rows: list[tuple[str, object]]


def _section_summaries(referral: Referral) -> list[SectionSummary]:
    labels = section_labels(looked_after=referral.child.is_looked_after)
    summaries = []
    for key, title, fields in services.SECTIONS:
        rows = []
        for name in fields:
            value = getattr(referral, name)
            if name == "education_school_type":
                value = referral.get_education_school_type_display()
            elif isinstance(value, bool):
                value = "Yes" if value else "No"
            rows.append((labels[name], value))
        summaries.append(SectionSummary(key=key, title=title, rows=rows))
    return summaries
