"""Every form in the project, submitted empty, says what is missing in its own words (issue 16,
"Forms and words"; GOV.UK error messages: "Enter the child's family name", never Django's
"This field is required.").

The test walks every django.forms form class defined in the apps (casework, referrals, panels,
funding, pathways: every module is imported, so forms kept beside their views count too), builds
each with the constructor arguments its page gives it (`BUILD` below, from tests/factories.py),
submits it with no data and fails on any message that is one of Django's own defaults, naming the
form and the field; then types into each box what a person can get wrong (words for a number, a
number out of range, too much text) and fails the same way. A form that is only a base for others
is listed in `NOT_BUILT` with the reason; a new form that is neither buildable nor listed fails the
test, so none is missed. Each message that is still generic is the field's own to fix where it is
declared; what a person types wrongly is worded from the field's label by casework.forms.GovUKForm.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django import forms
from django.contrib.auth import forms as auth_forms

from casework.models import Agency, Team, User
from tests.factories import AgencyFactory, ChildFactory, PanelFactory, UserFactory

APPS = ("casework", "referrals", "panels", "funding", "pathways")

# Forms that no page builds: bases the real forms inherit their fields from (each subclass is
# walked and checked itself).
NOT_BUILT = {
    "panels.forms.meetings._VersionedForm": "the hidden version field of the meeting forms, a base",
    "pathways.forms.escalations._LadderForm": "the chair and panel fields of the ladder's forms, a base",
    "pathways.forms.cases.OpenCaseForm": "the lead agency and case worker of the three pathway forms, a base",
}

# Generic messages allowed while a change is in progress: each entry a (form, field) whose wrongly
# typed answer still gets a Django default. Empty now; the test fails when an entry no longer does,
# so the list only shrinks.
PENDING: set[tuple[str, str]] = set()


def _import_every_module() -> None:
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module.name or ".management" in module.name:
                continue
            importlib.import_module(module.name)


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def project_forms() -> dict[str, type[forms.BaseForm]]:
    """Every form class defined in one of the apps, by dotted name."""
    _import_every_module()
    found = {}
    for cls in _subclasses(forms.BaseForm):
        if cls.__module__.split(".")[0] in APPS:
            found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found


class _Any(dict):
    """Fills every %(name)s or %(name)d placeholder of a message with the same number."""

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number

    def __missing__(self, key: str) -> int:
        return self.number


def _generic_messages() -> list[re.Pattern[str]]:
    """Django's own default messages: every form field class's default_error_messages, the
    validators' messages and the authentication forms' messages, as patterns: a placeholder
    (%(value)s, %(limit_value)d) matches whatever was put in it, in the singular and plural
    wordings alike ("at most 1 character", "at most 100 characters")."""
    from django.core import validators
    from django.forms import fields, models

    messages: list[Any] = ["Enter a valid value."]
    for module in (fields, models):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.Field):
                for klass in cls.__mro__:
                    messages.extend(vars(klass).get("default_error_messages", {}).values())
    for _, cls in inspect.getmembers(validators, inspect.isclass):
        if vars(cls).get("message") is not None:
            messages.append(vars(cls)["message"])
        if isinstance(vars(cls).get("messages"), dict):  # DecimalValidator's
            messages.extend(vars(cls)["messages"].values())
    for form_class in (
        auth_forms.AuthenticationForm,
        auth_forms.SetPasswordForm,
        auth_forms.PasswordChangeForm,
    ):
        messages.extend(form_class.error_messages.values())
    patterns = set()
    for message in messages:
        for number in (1, 7):
            try:
                text = str(message % _Any(number))
            except TypeError:  # no placeholders
                text = str(message)
            patterns.add(re.escape(text).replace(str(number), ".*"))
    return [re.compile(rf"^{pattern}$", re.DOTALL) for pattern in patterns]


GENERIC = _generic_messages()


def is_generic(message: str) -> bool:
    return any(pattern.match(message) for pattern in GENERIC)


class World:
    """What the pages give their forms: a partnership's agency, a person, a child, a panel."""

    def __init__(self) -> None:
        self.agency = AgencyFactory()
        self.icb = AgencyFactory(name="NHS Test ICB", kind="icb", partnership=self.agency.partnership)
        self.user = UserFactory(agency=self.agency)
        self.child = ChildFactory(owning_agency=self.agency, involved=[self.icb])
        self.panel = PanelFactory(host_agency=self.agency)

    @property
    def agencies(self):
        return Agency.objects.filter(pk__in=[self.agency.pk, self.icb.pk]).order_by("name")


def _children_referrals(world: World):
    from referrals.models import Referral

    return Referral.objects.filter(child=world.child)


def _memberships(world: World):
    from panels.models import Membership

    return Membership.objects.filter(panel=world.panel)


def _meetings(world: World):
    from panels.models import Meeting

    return Meeting.objects.filter(panel=world.panel)


def _agenda_items(world: World):
    from panels.models import AgendaItem

    return AgendaItem.objects.filter(meeting__panel=world.panel)


def _sections() -> list[str]:
    from referrals.forms.drafting import _section_fields

    return list(_section_fields(looked_after=True))


def _levels() -> list[str]:
    from pathways.models import EscalationLevel

    return list(EscalationLevel.values)


# The keyword arguments each form is built with, as its page builds it; a form may be built more
# than once (each referral section, each rung of the ladder). A form missing here is built with
# none.
Kwargs = list[dict[str, Any]]
BUILD: dict[str, Callable[[World], Kwargs]] = {
    "casework.forms.ChildForm": lambda w: [{"user": w.user}],
    "casework.forms.InvolvementForm": lambda w: [{"user": w.user}],
    "casework.forms.CetrForm": lambda w: [{"referrals": _children_referrals(w)}],
    "casework.forms.CetrOverrideForm": lambda w: [
        {"user": w.user, "child": w.child, "referrals": _children_referrals(w)}
    ],
    "casework.account_views.PasswordChangeForm": lambda w: [{"user": w.user}],
    "casework.account_views.SetPasswordForm": lambda w: [{"user": w.user}],
    "casework.administration.forms.ServiceTokenForm": lambda w: [{"operations": ["read"]}],
    "casework.administration.forms.InviteForm": lambda w: [
        {"agencies": w.agencies, "teams": Team.objects.filter(agency=w.agency)}
    ],
    "casework.administration.forms.MoveForm": lambda w: [
        {"agencies": w.agencies, "teams": Team.objects.filter(agency=w.agency)}
    ],
    "casework.administration.forms.PersonForm": lambda w: [{}, {"own": True}, {"service_account": True}],
    "casework.administration.forms.ServiceAccountForm": lambda w: [{"agencies": w.agencies}],
    "casework.administration.forms.PeopleFilterForm": lambda w: [{"agencies": w.agencies}],
    "referrals.forms.drafting.ReferralDetailsForm": lambda w: [{"earlier_referrals": _children_referrals(w)}],
    "referrals.forms.drafting.StartReferralForm": lambda w: [
        {"earlier_referrals": _children_referrals(w), "panels": type(w.panel).objects.all()}
    ],
    "referrals.forms.drafting.SectionForm": lambda w: [
        {"section": section, "looked_after": looked_after}
        for section in _sections()
        for looked_after in (True, False)
    ],
    "referrals.forms.journey.EvidenceForm": lambda w: [{"max_mb": 20}],
    "referrals.forms.journey.MeetingForm": lambda w: [
        {"meetings": _meetings(w), "deadlines": {}, "today": None, "label": "Which meeting?"}
    ],
    "referrals.forms.lists.ReferralFilterForm": lambda w: [
        {"panels": type(w.panel).objects.all(), "statuses": [("draft", "Draft")]}
    ],
    "referrals.forms.options.OptionForm": lambda w: [{"agencies": list(w.agencies)}],
    "panels.forms.meetings.PanelSettingsForm": lambda w: [{"panel": w.panel}],
    "panels.forms.meetings.PanelNewForm": lambda w: [{"hosts": w.agencies}],
    "panels.forms.meetings.MembershipForm": lambda w: [
        {"people": User.objects.filter(agency=w.agency), "seats": _memberships(w)}
    ],
    "panels.forms.meetings.MeetingFilterForm": lambda w: [{"panels": type(w.panel).objects.all()}],
    "panels.forms.agenda.AgendaAddReferralForm": lambda w: [
        {"referrals": _children_referrals(w), "leads": _memberships(w)}
    ],
    "panels.forms.agenda.AgendaLeadForm": lambda w: [{"leads": _memberships(w)}],
    "panels.forms.actions.ActionForm": lambda w: [
        {
            "people": User.objects.filter(agency=w.agency),
            "agencies": w.agencies,
            "meetings": _meetings(w),
            "items": _agenda_items(w),
        }
    ],
    "panels.forms.actions.ActionFilterForm": lambda w: [{"agencies": w.agencies}],
    "panels.forms.actions.TrackerFilterForm": lambda w: [{"agencies": w.agencies}],
    "panels.forms.attendance.AttendanceCorrectionForm": lambda w: [{"members": [], "attendance": {}}],
    "panels.forms.running.AttendanceForm": lambda w: [{"members": [], "attendance": {}}],
    "panels.forms.running.DeclarationForm": lambda w: [{"members": []}],
    "panels.forms.running.DecisionForm": lambda w: [{"options": [], "agencies": list(w.agencies)}],
    "panels.forms.running.CorrectionForm": lambda w: [{"options": [], "agencies": list(w.agencies)}],
    "funding.forms.VaryForm": lambda w: [{"agencies": list(w.agencies)}],
    "funding.forms.TermsForm": lambda w: [{"agencies": list(w.agencies)}],
    "funding.forms.NewPackageForm": lambda w: [{"agencies": list(w.agencies)}],
    "pathways.forms.authorisers.AuthoriserForm": lambda w: [{"people": User.objects.filter(agency=w.agency)}],
    "pathways.forms.cases.ContinuingCareOpenForm": lambda w: [{"child": w.child}],
    "pathways.forms.cases.Section117OpenForm": lambda w: [{"child": w.child}],
    "pathways.forms.cases.ComplexLivesOpenForm": lambda w: [{"child": w.child}],
    "pathways.forms.cases.DSTForm": lambda w: [{"scores": {}}],
    "pathways.forms.cases.DecisionForm": lambda w: [{"referrals": _children_referrals(w)}],
    "pathways.forms.cases.MDTForm": lambda w: [{"child": w.child}],
    "pathways.forms.escalations.OpenForm": lambda w: [{"child": w.child}],
    "pathways.forms.escalations.EscalateForm": lambda w: [
        {"child": w.child, "level": level} for level in _levels()
    ],
    "pathways.forms.escalations.MeetingForm": lambda w: [
        {"child": w.child, "chairs": User.objects.filter(agency=w.agency)}
    ],
}


def _required_keywords(cls: type) -> set[str]:
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]  # not self
    named = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return {p.name for p in parameters if p.kind in named and p.default is p.empty}


def buildable_forms() -> list[tuple[str, type[forms.BaseForm]]]:
    """The forms the tests build: listed in BUILD, or needing no argument (a form that is neither
    fails test_every_form_is_built_or_listed)."""
    return [
        (name, cls)
        for name, cls in sorted(project_forms().items())
        if name not in NOT_BUILT and (name in BUILD or not _required_keywords(cls))
    ]


def test_every_form_is_built_or_listed():
    """A new form is added to BUILD (or, if no page builds it, to NOT_BUILT with the reason)."""
    found = project_forms()
    unbuildable = sorted(
        name
        for name, cls in found.items()
        if name not in BUILD and name not in NOT_BUILT and _required_keywords(cls)
    )
    assert not unbuildable, f"Add these forms' constructor arguments to BUILD: {unbuildable}"
    gone = sorted((set(BUILD) | set(NOT_BUILT)) - set(found))
    assert not gone, f"These forms are listed but no longer exist: {gone}"


def _empty_errors(name: str, cls: type[forms.BaseForm], world: World) -> Iterator[tuple[str, str]]:
    for kwargs in BUILD.get(name, lambda w: [{}])(world):
        form = cls(data={}, files={}, **kwargs)
        form.is_valid()
        for field, messages in form.errors.items():
            for message in messages:
                yield field, str(message)


@pytest.mark.django_db
def test_an_empty_submission_of_every_form_names_what_is_missing():
    world = World()
    generic = [
        f"{name}: {field or '(the form)'}: {message!r}"
        for name, cls in buildable_forms()
        for field, message in _empty_errors(name, cls, world)
        if is_generic(message)
    ]
    assert not generic, "Django's generic messages, not the field's own:\n" + "\n".join(sorted(set(generic)))


def _typed_wrongly(field: forms.Field) -> list[str]:
    """What a person can type wrongly into a box: words where a number or date goes, a number
    out of range, too much text."""
    values = ["not right", "-5", "9" * 20]
    if getattr(field, "max_length", None):
        values.append("x" * (int(field.max_length) + 1))
    return values


def _typed_in(widget: forms.Widget) -> bool:
    """A box a person types in: text, number, date, time, e-mail, URL, password or a text area."""
    boxes = (forms.widgets.Input, forms.Textarea)
    not_boxes = (forms.FileInput, forms.CheckboxInput)
    return isinstance(widget, boxes) and not isinstance(widget, not_boxes) and not widget.is_hidden


@pytest.mark.django_db
def test_every_box_typed_wrongly_says_what_is_wrong_in_its_own_words():
    """Each box a person types in, given words for a number, a number out of range or too much
    text, says so in terms of the field ("Family name must be 100 characters or fewer"), never
    Django's "Ensure this value has at most 100 characters (it has 101)."."""
    world = World()
    generic: list[str] = []
    pending: set[tuple[str, str]] = set()
    for name, cls in buildable_forms():
        for kwargs in BUILD.get(name, lambda w: [{}])(world):
            for field_name, field in cls(**kwargs).fields.items():
                if not _typed_in(field.widget):
                    continue
                for value in _typed_wrongly(field):
                    form = cls(data={cls(**kwargs).add_prefix(field_name): value}, files={}, **kwargs)
                    form.is_valid()
                    for message in form.errors.get(field_name, []):
                        if not is_generic(message):
                            continue
                        if (name, field_name) in PENDING:
                            pending.add((name, field_name))
                        else:
                            generic.append(f"{name}: {field_name}: {message!r}")
    assert not generic, "Django's generic messages, not the field's own:\n" + "\n".join(sorted(set(generic)))
    assert not PENDING - pending, f"Now fixed, remove from PENDING: {sorted(PENDING - pending)}"


def test_the_generic_messages_are_recognised():
    """The check knows Django's wording, placeholders and all, and passes our own."""
    assert is_generic("This field is required.")
    assert is_generic("Select a valid choice. 7 is not one of the available choices.")
    assert is_generic("Enter a valid date.")
    assert is_generic("Enter a whole number.")
    assert is_generic("Enter a valid email address.")
    assert is_generic("Ensure this value has at most 100 characters (it has 1000).")
    assert is_generic("Ensure this value has at most 1 character (it has 2).")
    assert not is_generic("Enter the child's family name")
    assert not is_generic("Choose the pathway")


# --- The pages: an empty submission shows each field's own message in the error summary (linked
# to the field) and next to the field, all at once.


def _page_errors(response, expected: dict[str, str]) -> None:
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert "<title>Error:" in body
    assert "This field is required." not in body
    for field, message in expected.items():
        assert f'<a href="#id_{field}">{message}</a>' in body or re.search(
            rf'<a href="#id_{field}_0">{re.escape(message)}</a>', body
        ), (field, message)
        assert re.search(
            rf'<p id="id_{field}-error" class="govuk-error-message">'
            rf'<span class="govuk-visually-hidden">Error:</span> {re.escape(message)}</p>',
            body,
        ), (field, message)


def test_an_empty_child_form_names_every_missing_answer(sam):
    from django.urls import reverse

    # What a browser sends when nothing is typed or chosen (the select sends its empty choice).
    empty = {"given_name": "", "family_name": "", "date_of_birth": "", "legal_status": "", "nhs_number": ""}
    response = sam.post(reverse("children:register"), empty)
    _page_errors(
        response,
        {
            "given_name": "Enter the child&#x27;s given name",
            "family_name": "Enter the child&#x27;s family name",
            "date_of_birth": "Enter the child&#x27;s date of birth",
            "legal_status": "Choose the child&#x27;s legal status",
            "sharing_basis": "Choose the basis for sharing information between agencies",
        },
    )


def test_an_empty_start_of_a_referral_names_every_missing_answer(sam, child):
    from django.urls import reverse

    PanelFactory(host_agency=child.owning_agency, kind="irap")
    response = sam.post(reverse("referrals:start", args=[child.pk]), {"panel": "", "review_of": ""})
    _page_errors(
        response,
        {
            "panel": "Choose the panel the referral is for",
            "pathway": "Choose the pathway",
            "request_type": "Say whether this is a new request or a review",
            "urgency": "Choose how urgent the referral is",
        },
    )
