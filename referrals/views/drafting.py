"""Writing the referral: starting it, the task list, its section pages and its details."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from casework import access as casework_access
from casework.access import NOT_FOUND_MESSAGE, NotAllowed
from casework.web import form_step
from referrals import access, selectors, services
from referrals.forms.drafting import ReferralDetailsForm, SectionForm, StartReferralForm
from referrals.models import Referral, Status

# panels' names, imported once in __init__.py (the import contract's declared exceptions)
from referrals.views import panels_access
from referrals.views.common import _require_editable, _saved, _section_url


@require_http_methods(["GET", "POST"])
def referral_start(request, child_pk):
    child = casework_access.get_child_for_user(user=request.user, pk=child_pk)
    if not access.can_create(user=request.user):
        raise NotAllowed("Your role does not allow writing referrals")
    earlier = selectors.earlier_referrals(user=request.user, child_id=child.pk)
    form = StartReferralForm(
        request.POST or None,
        panels=panels_access.panels_visible_to(user=request.user),
        earlier_referrals=earlier,
    )

    def start(_cleaned):
        data = form.service_fields()
        return services.referral_create(
            actor=request.user,
            child=child,
            panel=data["panel"],
            pathway=data["pathway"],
            request_type=data["request_type"],
            urgency=data["urgency"],
            review_of=data["review_of"],
        )

    done = form_step(
        request,
        form,
        start,
        message="Draft referral started: complete each section, then send it for sign-off",
        then=lambda referral: reverse("referrals:tasks", args=[referral.pk]),
    )
    if done:
        return done
    return render(
        request,
        "referrals/start.html",
        {"form": form, "child": child, "has_earlier": earlier.exists()},
    )


@dataclass
class Task:
    key: str
    title: str
    url: str
    status: str  # "completed", "incomplete", "not_needed", "cannot_start"
    hint: str = ""


def referral_tasks(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    if not referral.is_editable:
        return redirect("referrals:detail", pk=referral.pk)
    problems = services.completeness(referral)
    looked_after = referral.child.is_looked_after
    tasks = [
        Task(
            "details",
            "Panel, pathway and urgency",
            reverse("referrals:details", args=[referral.pk]),
            "completed",
        )
    ]
    for key, title, fields in services.SECTIONS:
        url = reverse("referrals:section", args=[referral.pk, key])
        if key == "iro" and not looked_after and not referral.iro_comments.strip():
            tasks.append(Task(key, title, url, "not_needed", "Only for a child who is looked after"))
            continue
        found = problems.get(key, [])
        hint = "; ".join(found) if found and len(fields) > 1 else ""
        tasks.append(Task(key, title, url, "incomplete" if found else "completed", hint))
    for key, title in (("options", "Options and costs"), ("evidence", "Evidence")):
        found = problems.get(key, [])
        tasks.append(
            Task(
                key,
                title,
                _section_url(referral, key),
                "incomplete" if found else "completed",
                "; ".join(found),
            )
        )
    return render(
        request,
        "referrals/tasks.html",
        {
            "referral": referral,
            "tasks": tasks,
            "ready": not problems,
            "incomplete": sum(1 for t in tasks if t.status == "incomplete"),
            "can_send": referral.status in {Status.DRAFT, Status.RETURNED},
        },
    )


def _section_next(request, referral: Referral) -> tuple[str, str]:
    """ "Save as draft" stays on the page; "Save and return" goes back to the task list."""
    if request.POST.get("then") == "stay":
        return "Saved as draft", request.path
    return "Saved", reverse("referrals:tasks", args=[referral.pk])


@require_http_methods(["GET", "POST"])
def referral_section(request, pk, section):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    if section not in services.SECTION_FIELDS:
        raise Http404(NOT_FOUND_MESSAGE)
    _require_editable(referral)
    fields = services.SECTION_FIELDS[section]
    form = SectionForm(
        request.POST or None,
        section=section,
        looked_after=referral.child.is_looked_after,
        initial={name: getattr(referral, name) for name in fields},
    )
    before = referral.status
    message, next_url = _section_next(request, referral)
    done = form_step(
        request,
        form,
        lambda data: services.referral_update_section(
            actor=request.user, referral=referral, section=section, fields=data
        ),
        message=lambda saved: _saved(request, saved, before, message),
        then=next_url,
    )
    if done:
        return done
    return render(
        request,
        "referrals/section.html",
        {
            "referral": referral,
            "form": form,
            "section": section,
            "title": services.SECTION_TITLES[section],
        },
    )


@require_http_methods(["GET", "POST"])
def referral_details(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    _require_editable(referral)
    earlier = selectors.earlier_referrals(user=request.user, child_id=referral.child_id, other_than=referral)
    form = ReferralDetailsForm(
        request.POST or None,
        earlier_referrals=earlier,
        initial={
            "pathway": referral.pathway,
            "request_type": referral.request_type,
            "review_of": referral.review_of_id,
            "urgency": referral.urgency,
        },
    )
    before = referral.status
    message, next_url = _section_next(request, referral)
    done = form_step(
        request,
        form,
        lambda _data: services.referral_update_section(
            actor=request.user, referral=referral, section="details", fields=form.service_fields()
        ),
        message=lambda saved: _saved(request, saved, before, message),
        then=next_url,
    )
    if done:
        return done
    return render(request, "referrals/details.html", {"referral": referral, "form": form})
