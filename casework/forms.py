"""HTML forms for the core domain, rendered as GOV.UK form groups.

Forms only parse what the user typed; the rules live in services.py, whose ValidationErrors are
put back on the form next to the right field (`add_service_errors`), so nothing typed is lost.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting

from casework import access
from casework.models import (
    Agency,
    Child,
    DSRRating,
    Gender,
    InvolvementRole,
    LegalStatus,
    Role,
    SchoolType,
    SharingBasis,
    Team,
    User,
)
from casework.nhs import nhs_number_problem, normalise_nhs_number
from casework.services.access_requests import DECLINE_NOTE_NEEDED
from casework.stale import NOT_SEEN


def _subject(label: object) -> str:
    """What a message about a field calls it: its label as a noun ("Family name"), or "The answer"
    for a question ("Why is the referral being withdrawn?")."""
    text = str(label or "").removesuffix("(optional)").strip()
    if not text or text.endswith("?"):
        return "The answer"
    return text[0].upper() + text[1:]


def _is_default(field: forms.Field, key: str) -> bool:
    """Whether the field says Django's own message for `key` (or none of its own: a validator's,
    such as MaxLengthValidator's, is then shown)."""
    message = field.error_messages.get(key)
    if message is None:
        return True
    return any(
        key in defaults and str(message) == str(defaults[key])
        for klass in type(field).__mro__
        for defaults in [vars(klass).get("default_error_messages", {})]
    )


def govuk_messages(form: forms.BaseForm) -> None:
    """Put the GOV.UK wording, in terms of the field's label, where a field of `form` still has one
    of Django's own messages for what a person can type wrongly: too long ("Family name must be 100
    characters or fewer"), not a whole number, a number or an e-mail address, out of range. A
    message the field was given is kept; "required" is each field's own, given where it is
    declared. Every GovUKForm does this; a form with another base calls it from __init__."""
    for field in form.fields.values():
        subject = _subject(field.label)
        wording: dict[str, str] = {}
        if isinstance(field, forms.CharField) and field.max_length is not None:
            wording["max_length"] = f"{subject} must be {int(field.max_length):,} characters or fewer"
        if isinstance(field, (forms.DecimalField, forms.FloatField)):  # both are IntegerFields too
            wording["invalid"] = f"{subject} must be a number, like 12.50"
        elif isinstance(field, forms.IntegerField):
            wording["invalid"] = f"{subject} must be a whole number, like 12"
        elif isinstance(field, forms.EmailField):
            wording["invalid"] = f"{subject} must be an e-mail address, like name@example.gov.uk"
        elif isinstance(field, forms.URLField):
            wording["invalid"] = f"{subject} must be a web address, like https://www.example.gov.uk/page"
        if isinstance(field, forms.IntegerField):
            wording["min_value"] = f"{subject} must be %(limit_value)s or more"
            wording["max_value"] = f"{subject} must be %(limit_value)s or less"
        for key, message in wording.items():
            if _is_default(field, key):
                field.error_messages[key] = message


Reveals = dict[str, dict[str, tuple[str, ...]]]


def _empty_value(field: forms.Field) -> object:
    """What a field cleans to when nothing is typed (None for a yes/no, "" for text)."""
    if isinstance(field, forms.TypedChoiceField):
        return field.empty_value
    return field.to_python("")


class GovUKForm(forms.Form):
    """A form whose fields speak GOV.UK, not Django, when what was typed is wrong
    (govuk_messages), fields added in a subclass's __init__ included: the wording is put in when
    the form is validated.

    `reveals` names a radios question's follow-ups, {question: {answer: (follow-up, ...)}}: each
    follow-up is drawn under its answer as a GOV.UK conditional reveal (templates/govuk/field.html,
    so `for field in form` skips it), shown without JavaScript too. A follow-up is asked only when
    its answer is chosen: otherwise its errors are dropped (a required follow-up is required only
    then), and when another answer is chosen what was typed in it is emptied, as it was hidden. A
    follow-up may have follow-ups of its own; list the outer question first."""

    reveals: Reveals = {}

    def revealed_fields(self) -> set[str]:
        return {name for answers in self.reveals.values() for names in answers.values() for name in names}

    def __iter__(self):
        revealed = self.revealed_fields()
        for name in self.fields:
            if name not in revealed:
                yield self[name]

    def full_clean(self):
        govuk_messages(self)
        super().full_clean()
        if self.is_bound and self.reveals and hasattr(self, "cleaned_data"):
            self._drop_unasked_follow_ups()

    def _drop_unasked_follow_ups(self) -> None:
        emptied: set[str] = set()
        for question, answers in self.reveals.items():
            raw = self[question].data
            chosen = "" if question in emptied or raw is None else str(raw)
            for answer, names in answers.items():
                if chosen == answer:
                    continue
                for name in names:
                    had_error = self.errors.pop(name, None) is not None
                    if chosen or question in emptied or had_error or name not in self.cleaned_data:
                        # Another answer was chosen (or the question itself was not asked): the
                        # follow-up was hidden, so what it held is not kept.
                        if chosen or question in emptied:
                            emptied.add(name)
                        self.cleaned_data[name] = _empty_value(self.fields[name])


class GovUKFormRenderer(TemplatesSetting):
    """Renders every bound field through templates/govuk/field.html (label, hint, error, input)."""

    field_template_name = "govuk/field.html"


class SignInForm(AuthenticationForm):
    """Sign in with a work e-mail address, with GOV.UK error wording."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct email address and password",
        "inactive": "This account has been closed. Ask your partnership administrator",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your email address"
        self.fields["password"].error_messages["required"] = "Enter your password"
        govuk_messages(self)

    def confirm_login_allowed(self, user):
        # Platform operators and service accounts never sign in to the service's pages. They are
        # told the same as a wrong password, so the form says nothing about which accounts exist.
        if user.is_superuser or user.is_staff or user.is_service_account or user.agency_id is None:
            raise self.get_invalid_login_error()
        super().confirm_login_allowed(user)


def model_choices(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """The form's own copy of a model choice field (single or multiple), to narrow its queryset to
    what this person may choose."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a model choice field")
    return field


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the named field when the form has it."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class DateField(forms.DateField):
    """A date typed as day/month/year, with GOV.UK-style messages."""

    widget = forms.DateInput(attrs={"autocomplete": "off", "inputmode": "numeric"}, format="%d/%m/%Y")
    default_error_messages = {"invalid": "Enter a real date, like 27/03/2015"}


class TimeField(forms.TimeField):
    """A time typed as HH:MM (24-hour clock) in a text box."""

    widget = forms.TimeInput(
        format="%H:%M",
        # No inputmode="numeric": phone number pads have no colon.
        attrs={"class": "govuk-input--width-5", "spellcheck": "false", "autocomplete": "off"},
    )
    default_error_messages = {"invalid": "Enter a time on the 24-hour clock, like 14:00"}

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%H:%M", "%H.%M"])
        kwargs.setdefault("help_text", "24-hour clock, for example 14:00")
        super().__init__(**kwargs)


class VersionField(forms.IntegerField):
    """The version of the record the page showed, sent back hidden, so a change made from a page
    that is out of date is refused (409, casework/stale.py). A request without it (or with a
    mangled one) is told in words to open the page again, not Django's "This field is required."."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**31 - 1)
        super().__init__(**kwargs)
        for key in ("required", "invalid", "min_value", "max_value"):
            self.error_messages[key] = NOT_SEEN


def _blank(label: str = "Not recorded") -> list[tuple[str, str]]:
    return [("", label)]


class NHSNumberField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 14)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "NHS number")
        kwargs.setdefault("help_text", "10 digits, for example 943 476 5919")
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"class": "govuk-input--width-10", "inputmode": "numeric", "spellcheck": "false"}
        )

    def clean(self, value):
        value = super().clean(value)
        normalised = normalise_nhs_number(value)
        if not normalised:
            return ""
        problem = nhs_number_problem(normalised)
        if problem:
            raise ValidationError(problem)
        return normalised


class ChildForm(GovUKForm):
    given_name = forms.CharField(
        label="Given name", max_length=100, error_messages={"required": "Enter the child's given name"}
    )
    family_name = forms.CharField(
        label="Family name", max_length=100, error_messages={"required": "Enter the child's family name"}
    )
    preferred_name = forms.CharField(
        label="Preferred name", max_length=100, required=False, help_text="What the child likes to be called"
    )
    date_of_birth = DateField(
        label="Date of birth",
        help_text="For example, 27/03/2015",
        error_messages={"required": "Enter the child's date of birth"},
    )
    nhs_number = NHSNumberField(label="NHS number")
    case_number = forms.CharField(label="Council case number", max_length=30, required=False)
    gender = forms.ChoiceField(label="Gender", choices=_blank() + Gender.choices, required=False)
    legal_status = forms.ChoiceField(
        label="Legal status",
        choices=LegalStatus.choices,
        initial=LegalStatus.NONE,
        error_messages={"required": "Choose the child's legal status"},
    )
    iro_name = forms.CharField(
        label="Independent Reviewing Officer",
        max_length=200,
        required=False,
        help_text="For a child in care",
    )
    iro_email = forms.EmailField(
        label="IRO e-mail",
        required=False,
        error_messages={
            "invalid": "Enter the IRO's e-mail address in the right format, like name@council.gov.uk"
        },
    )
    has_ehc_plan = forms.BooleanField(
        label="The child has an education, health and care (EHC) plan", required=False
    )
    ehc_plan_date = DateField(label="EHC plan date", required=False)
    school_name = forms.CharField(label="School", max_length=200, required=False)
    school_type = forms.ChoiceField(
        label="Type of school", choices=_blank() + SchoolType.choices, required=False
    )
    learning_disability = forms.BooleanField(label="Learning disability", required=False)
    autism = forms.BooleanField(label="Autism", required=False)
    mental_health_needs = forms.BooleanField(label="Mental health needs", required=False)
    dsr_rating = forms.ChoiceField(
        label="Dynamic Support Register rating",
        choices=_blank("Not on the register") + DSRRating.choices,
        required=False,
    )
    allocated_social_worker = forms.ModelChoiceField(
        label="Allocated social worker",
        queryset=User.objects.none(),
        required=False,
        empty_label="Not allocated",
    )
    allocated_team = forms.ModelChoiceField(
        label="Allocated team", queryset=Team.objects.none(), required=False, empty_label="Not allocated"
    )
    sharing_basis = forms.ChoiceField(
        label="Basis for sharing information between agencies",
        choices=SharingBasis.choices,
        initial=SharingBasis.STATUTORY,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the basis for sharing information between agencies"},
    )
    sharing_notes = forms.CharField(
        label="Information-sharing notes", max_length=2000, required=False, widget=forms.Textarea
    )

    # The plan's date is asked under the box that says there is one (a conditional reveal).
    reveals = {"has_ehc_plan": {"True": ("ehc_plan_date",)}}

    def __init__(self, *args, user: User, owning_agency_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        agency_id = owning_agency_id or access.agency_id_of(user)
        model_choices(self, "allocated_social_worker").queryset = User.objects.filter(
            agency_id=agency_id, is_active=True, roles__overlap=[Role.SOCIAL_WORKER, Role.TEAM_MANAGER]
        ).order_by("full_name")
        model_choices(self, "allocated_team").queryset = Team.objects.filter(agency_id=agency_id).order_by(
            "name"
        )

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["nhs_number"] = data.get("nhs_number") or None
        return data


class ParentCarerForm(GovUKForm):
    name = forms.CharField(
        label="Full name",
        max_length=200,
        error_messages={"required": "Enter the parent or carer's full name"},
    )
    relationship = forms.CharField(
        label="Relationship to the child",
        max_length=100,
        help_text="For example mother, foster carer, grandparent",
        error_messages={"required": "Enter their relationship to the child"},
    )
    parental_responsibility = forms.BooleanField(label="Has parental responsibility", required=False)
    phone = forms.CharField(label="Phone", max_length=30, required=False)
    email = forms.EmailField(
        label="E-mail",
        required=False,
        error_messages={"invalid": "Enter their e-mail address in the right format, like name@example.com"},
    )


class InvolvementForm(GovUKForm):
    agency = forms.ModelChoiceField(
        label="Agency",
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        error_messages={
            "required": "Choose the agency",
            "invalid_choice": "Choose one of the agencies listed",
        },
    )
    role = forms.ChoiceField(
        label="Their part in the child's care",
        choices=InvolvementRole.choices,
        error_messages={"required": "Choose their part in the child's care"},
    )
    started_on = DateField(label="Involved from", required=False, help_text="Leave blank for today")

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        # The partnership's directory (services.involvement_add refuses any other agency).
        model_choices(self, "agency").queryset = access.agencies_visible_to(user=user).order_by("name")


class EndInvolvementForm(GovUKForm):
    ended_on = DateField(label="Involvement ended on", required=False, help_text="Leave blank for today")


class AccessRequestForm(GovUKForm):
    nhs_number = NHSNumberField(
        label="NHS number of the child",
        required=True,
        error_messages={"required": "Enter the child's NHS number"},
    )
    reason = forms.CharField(
        label="Why does your agency need to be involved?",
        max_length=2000,
        widget=forms.Textarea,
        help_text="The agency that holds the record will read this before deciding",
        error_messages={"required": "Enter why your agency needs to be involved"},
    )


class AccessDecisionForm(GovUKForm):
    """The note is asked under the answer (conditional reveals): why, under "Decline" (the service
    needs it: DECLINE_NOTE_NEEDED), and may be added under "Involve". `note_given()` is the chosen
    answer's."""

    decision = forms.ChoiceField(
        label="Decision",
        choices=[("grant", "Involve their agency with this child"), ("decline", "Decline the request")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to involve their agency or decline the request"},
    )
    grant_note = forms.CharField(
        label="Note to the requester", max_length=2000, required=False, widget=forms.Textarea
    )
    note = forms.CharField(
        label="Why you are declining the request",
        max_length=2000,
        widget=forms.Textarea,
        help_text="The requester's agency is told",
        error_messages={"required": DECLINE_NOTE_NEEDED},
    )

    reveals = {"decision": {"grant": ("grant_note",), "decline": ("note",)}}

    def note_given(self) -> str:
        return self.cleaned_data["grant_note" if self.cleaned_data["decision"] == "grant" else "note"]


class ChildSearchForm(GovUKForm):
    q = forms.CharField(
        label="Search children",
        max_length=100,
        required=False,
        help_text="Name, date of birth (27/03/2015), NHS number or council case number",
    )


class ApiTokenForm(GovUKForm):
    """Make an API token: for oneself (Your API tokens) or, with a scope, for a service account
    (casework.administration.forms.ServiceTokenForm)."""

    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What it is for, so you recognise it later. For example, “Team spreadsheet refresh”",
        error_messages={"required": "Enter a name for the token"},
    )
    expires_in_days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}),
        error_messages={
            "required": "Enter how many days the token lasts",
            "invalid": "Enter a whole number of days",
            "min_value": "Enter at least 1 day",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_in_days"].help_text = f"From 1 to {settings.API_TOKEN_MAX_DAYS} days"

    def clean_expires_in_days(self):
        days = self.cleaned_data["expires_in_days"]
        if days > settings.API_TOKEN_MAX_DAYS:
            raise ValidationError(f"Enter {settings.API_TOKEN_MAX_DAYS} days or fewer")
        return days


class _ReferralField(forms.ModelChoiceField):
    """One of the child's referrals this person may open (the queryset comes from the child's page
    parts, casework.child_page, so the core imports no app)."""

    def label_from_instance(self, obj) -> str:
        return f"Referral {obj.pk} to {obj.panel.name} ({obj.get_status_display().lower()})"


def _referral_field() -> _ReferralField:
    return _ReferralField(
        label="Which referral is it for?",
        queryset=User.objects.none(),
        help_text=(
            f"It counts for this referral, the placement it proposes and the package its decision makes, "
            f"for {settings.CETR_VALID_DAYS} days"
        ),
        error_messages={"required": "Choose the referral the CETR is for"},
    )


class _CetrReferralMixin:
    fields: dict[str, forms.Field]

    def _set_referrals(self, referrals) -> None:
        cast(_ReferralField, self.fields["referral"]).queryset = referrals


class CetrForm(_CetrReferralMixin, GovUKForm):
    """A Care, Education and Treatment Review held for the child (casework.cetr)."""

    referral = _referral_field()
    held_on = DateField(
        label="When was the CETR held?", error_messages={"required": "Enter the date the CETR was held"}
    )
    outcome = forms.CharField(
        label="Outcome and recommendations",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter the CETR's outcome and recommendations"},
    )
    document = forms.CharField(
        label="Where is the report?",
        max_length=300,
        required=False,
        help_text="For example the document's reference in the case record",
    )
    report = forms.FileField(
        label="Upload the CETR report (optional)",
        required=False,
        error_messages={"empty": "The selected file is empty"},
    )

    def __init__(self, *args, referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_referrals(referrals)
        self.fields["report"].help_text = (
            f"A PDF or Word document, smaller than {settings.EVIDENCE_MAX_UPLOAD_MB:g} MB. It is checked as "
            "referral evidence is, kept privately and opened only by people who may see the child"
        )


class _PersonField(forms.ModelChoiceField):
    """A person, named with their agency (the queryset joins it), or with the job title their
    partnership recorded when `titles` is given."""

    titles: dict[int, str] | None = None

    def label_from_instance(self, obj) -> str:
        if self.titles is not None:
            return f"{obj.full_name}, {self.titles.get(obj.pk, '')}"
        return f"{obj.full_name}, {obj.agency.name}" if obj.agency else obj.full_name


class CetrOverrideForm(_CetrReferralMixin, GovUKForm):
    """A named senior person's decision to go ahead without a CETR (casework.cetr)."""

    referral = _referral_field()
    overridden_by = _PersonField(
        label="Who decided to go ahead without a CETR?",
        queryset=User.objects.none(),
        help_text="A service manager or panel chair",
        error_messages={"required": "Choose who decided to go ahead without a CETR"},
    )
    role = forms.CharField(
        label="Their role",
        max_length=200,
        help_text="For example Service Group Manager",
        error_messages={"required": "Enter their role, for example Service Group Manager"},
    )
    reason = forms.CharField(
        label="Why is the CETR being overridden?",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter why the CETR is being overridden"},
    )

    def __init__(self, *args, user: User, child: Child, referrals, **kwargs):
        from casework.cetr import OVERRIDE_ROLES, senior_people

        super().__init__(*args, **kwargs)
        self._set_referrals(referrals)
        field = cast(forms.ModelChoiceField, self.fields["overridden_by"])
        people = senior_people(child)
        if people is None:
            field.queryset = (
                access.users_visible_to(user=user)
                .filter(is_active=True, roles__overlap=list(OVERRIDE_ROLES))
                .select_related("agency")
                .order_by("full_name")
            )
            return
        # The partnership names its senior people (the escalation ladder's authorisers): only they,
        # and their role is the job title it recorded, so it is not asked.
        field.queryset = User.objects.filter(pk__in=list(people.titles), is_active=True).order_by("full_name")
        cast(_PersonField, field).titles = people.titles
        field.help_text = f"A {people.grade} or more senior, as the partnership names them for escalation"
        del self.fields["role"]
