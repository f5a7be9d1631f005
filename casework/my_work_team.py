"""The team view of My work (issue 16): a team manager sees the work of the people who share a team
with them, a service manager of everyone in their agency (casework.team), each person's items most
urgent first, people with overdue work first; and gives a leaver's or an absent colleague's work to
someone else (each app's registered reassigner: a referral's referrer, an action's owner, a
pathway case's worker).

Each person's list is their own My work (casework/my_work.py), built from the same feeds, so the
manager sees what the person sees; a child is named only when the manager may see that child too
(one query for everyone's children). Queries: one for the people, one per reassigner for what each
person could be given away, one for everyone's panel seats (so no one is given a feed they cannot
have), and the feeds read for the whole team at once (casework.my_work.team_items: one statement per
shape of feed, whatever the number of people and items).

The team page shows each person's number of items, how many are overdue and their first TEAM_SHOWN
most urgent items, with "See all" to the person's page (/my-work/team/<person>/): their whole list,
TEAM_PAGE_SIZE a page, built the same way for that one person.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from casework import selectors
from casework.access import NOT_FOUND_MESSAGE
from casework.forms import GovUKForm, add_service_errors
from casework.models import User
from casework.my_work import WorkItem, grouped, team_items
from casework.team import can_manage_people, get_managed_person, registered_reassigners

__all__ = ["TEAM_PAGE_SIZE", "TEAM_SHOWN", "ReassignForm", "team_person_work", "team_reassign", "team_work"]

# Each person's most urgent items on the team page; the rest are on the person's page.
TEAM_SHOWN = 5
# Items a page on the person's page.
TEAM_PAGE_SIZE = 25


@dataclass
class PersonWork:
    person: User
    items: list[WorkItem]
    to_give: list[tuple[str, int]] = field(default_factory=list)  # (label, count)

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.items if item.overdue)

    @property
    def groups(self):
        return grouped(self.items)

    @property
    def shown(self) -> list[WorkItem]:
        """The first TEAM_SHOWN items, most urgent first (the team page)."""
        return sorted(self.items, key=lambda i: i.sort_key)[:TEAM_SHOWN]

    @property
    def shown_groups(self):
        return grouped(self.shown)

    @property
    def more(self) -> bool:
        return len(self.items) > TEAM_SHOWN

    @property
    def sort_key(self) -> tuple:
        return (-self.overdue, -len(self.items), self.person.full_name, self.person.pk)


def _require_manager(user: User) -> None:
    if not can_manage_people(user=user):
        raise Http404(NOT_FOUND_MESSAGE)


def team_work_for(*, manager: User) -> list[PersonWork]:
    """Everyone the manager looks after, with their items and what could be given away; people
    with overdue work first, then the most work."""
    people = list(selectors.team_members(manager=manager))
    ids = [p.pk for p in people]
    counts = {key: r.counts(ids) if ids else {} for key, r in registered_reassigners().items()}
    labels = {key: r.label for key, r in registered_reassigners().items()}
    items = team_items(people=[person for person in people if person.is_active])
    rows = [
        PersonWork(
            person=person,
            items=items.get(person.pk, []),
            to_give=[(labels[key], n[person.pk]) for key, n in counts.items() if n.get(person.pk)],
        )
        for person in people
    ]
    _name_children_seen(manager=manager, rows=rows)
    return sorted(rows, key=lambda r: r.sort_key)


def _name_children_seen(*, manager: User, rows: list[PersonWork]) -> None:
    """Each item's child linked when the manager may see the child, else not named (one query)."""
    child_ids = {i.child.pk for row in rows for i in row.items if i.child is not None}
    seen = selectors.children_seen_among(user=manager, child_ids=child_ids)
    for row in rows:
        row.items = [
            i
            if i.child is None
            else replace(i, child_url=reverse("children:detail", args=[i.child.pk]))
            if i.child.pk in seen
            else replace(i, child=None, child_url="")
            for i in row.items
        ]


def person_work_for(*, manager: User, person: User) -> PersonWork:
    """One person's whole list as the team view builds it (children named as the manager may see
    them); `person` is one the manager looks after (casework.team.get_managed_person)."""
    items = team_items(people=[person] if person.is_active else [])
    row = PersonWork(person=person, items=items.get(person.pk, []))
    _name_children_seen(manager=manager, rows=[row])
    return row


def team_work(request):
    """GET /my-work/team/: the manager's people's work."""
    _require_manager(request.user)
    rows = team_work_for(manager=request.user)
    return render(
        request,
        "casework/my_work_team.html",
        {
            "with_work": [r for r in rows if r.items or r.to_give],
            "without_work": [r.person for r in rows if not (r.items or r.to_give)],
            "nav_section": "home",
        },
    )


def team_person_work(request, pk):
    """GET /my-work/team/<person>/: everything waiting for one person the manager looks after, most
    urgent first, TEAM_PAGE_SIZE a page (GOV.UK pagination, plain links). Anyone else is a 404."""
    _require_manager(request.user)
    person = get_managed_person(user=request.user, pk=pk)
    row = person_work_for(manager=request.user, person=person)
    # get_page: a page that is not a number is the first, one past the last is the last.
    page = Paginator(row.items, TEAM_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "casework/my_work_team_person.html",
        {"row": row, "page": page, "groups": grouped(page.object_list), "nav_section": "home"},
    )


def _person_label(person: User) -> str:
    return person.full_name + (f", {person.job_title}" if person.job_title else "")


class ReassignForm(GovUKForm):
    what = forms.ChoiceField(
        label="What to give",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what to give", "invalid_choice": "Choose what to give"},
    )
    to = forms.ModelChoiceField(
        label="Who to give it to",
        queryset=User.objects.none(),
        empty_label="Choose a person",
        error_messages={
            "required": "Choose who to give the work to",
            "invalid_choice": "Choose who to give the work to from the list",
        },
    )

    def __init__(
        self,
        *args,
        manager: User | None = None,
        person: User | None = None,
        counts: dict[str, tuple[str, int]] | None = None,
        **kwargs,
    ):
        """`counts`: what the person has to give, {key: (label, number)}; `to`: the manager's active
        people but the person (no one without a manager: the form then offers nothing)."""
        super().__init__(*args, **kwargs)
        what, to = self.fields["what"], self.fields["to"]
        assert isinstance(what, forms.ChoiceField) and isinstance(to, forms.ModelChoiceField)
        what.choices = [(key, f"{label} ({n})") for key, (label, n) in (counts or {}).items()]
        to.queryset = selectors.people_to_give_work_to(manager=manager, person=person)
        to.label_from_instance = _person_label  # type: ignore[method-assign,assignment]


def team_reassign(request, pk):
    """GET and POST /my-work/team/<person>/give/: give one kind of the person's work to someone else
    the manager looks after. Someone the manager does not look after is a 404."""
    _require_manager(request.user)
    person = get_managed_person(user=request.user, pk=pk)
    counts = {
        key: (r.label, n)
        for key, r in registered_reassigners().items()
        if (n := r.counts([person.pk]).get(person.pk, 0))
    }
    if not counts:
        messages.info(request, f"{person.full_name} has no work to give")
        return redirect("my_work_team")
    form = ReassignForm(
        request.POST if request.method == "POST" else None, manager=request.user, person=person, counts=counts
    )
    if request.method == "POST" and form.is_valid():
        try:
            moved = registered_reassigners()[form.cleaned_data["what"]].reassign(
                actor=request.user, person=person, receiver=form.cleaned_data["to"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"{len(moved)} record{'' if len(moved) == 1 else 's'} of {person.full_name} given to "
                f"{form.cleaned_data['to'].full_name}",
            )
            return redirect("my_work_team")
    back = reverse("my_work_team")
    return render(
        request,
        "casework/form_page.html",
        {
            "form": form,
            "heading": f"Give {person.full_name}'s work to someone else",
            "caption": "Team work",
            "intro": [
                "The person you choose takes their place on each record (as referrer, action owner, "
                "case worker, key worker or the person recording a funding package) and is told. "
                "Each change is recorded in the record's history."
            ],
            "back_url": back,
            "submit_label": "Give the work",
            "nav_section": "home",
        },
        status=400 if form.errors else 200,
    )
