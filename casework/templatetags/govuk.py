"""Template helpers that turn Django form fields into GOV.UK Frontend markup.

Used by templates/govuk/field.html (the project's field template, see casework.forms) and
templates/govuk/error_summary.html. Ids follow the GOV.UK convention: a field's hint is
``<id>-hint``, its error message ``<id>-error``, a character count's message ``<id>-info``.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString

register = template.Library()

TEXT_INPUTS = {"text", "email", "number", "url", "password", "date", "datetime", "time", "search", "tel"}
SELECTS = {"select", "selectmultiple", "nullbooleanselect"}
FILES = {"file", "clearablefile"}
CHOICE_GROUPS = {"radioselect": "radios", "checkboxselectmultiple": "checkboxes"}
_WIDTH_CLASS = re.compile(r"\bgovuk-(input|textarea)--width-|\bgovuk-!-width-")


def _ids(field: BoundField) -> tuple[str, str, str]:
    base = field.auto_id or field.html_name
    return f"{base}-hint", f"{base}-error", f"{base}-info"


def character_count_limit(field: BoundField) -> int | None:
    """A textarea for a CharField with max_length gets the GOV.UK character count."""
    if field.widget_type != "textarea":
        return None
    return getattr(field.field, "max_length", None)


@register.filter
def govuk_character_count(field: BoundField) -> int | None:
    return character_count_limit(field)


@register.simple_tag
def govuk_describedby(field: BoundField, *, include_info: bool = False) -> str:
    """The ids of the hint and error message shown for this field, in the GOV.UK order."""
    hint_id, error_id, info_id = _ids(field)
    ids = []
    if include_info:
        ids.append(info_id)
    if govuk_hint(field):
        ids.append(hint_id)
    if field.errors:
        ids.append(error_id)
    return " ".join(ids)


@register.filter
def govuk_hint(field: BoundField) -> str:
    """The field's help text or, for fields that always need one (dates), a default hint."""
    if field.help_text:
        return str(field.help_text)
    if field.widget_type == "date":
        return "For example, 27/03/2025"
    return ""


def _control_classes(field: BoundField, widget: forms.Widget) -> str:
    kind = field.widget_type
    has_errors = bool(field.errors)
    own = widget.attrs.get("class", "")
    classes: list[str] = []
    if kind in TEXT_INPUTS:
        classes.append("govuk-input")
        if kind == "date" and not _WIDTH_CLASS.search(own):
            classes.append("govuk-input--width-10")
        if has_errors:
            classes.append("govuk-input--error")
    elif kind == "textarea":
        classes.append("govuk-textarea")
        if character_count_limit(field):
            classes.append("govuk-js-character-count")
        if has_errors:
            classes.append("govuk-textarea--error")
    elif kind in SELECTS:
        classes.append("govuk-select")
        if has_errors:
            classes.append("govuk-select--error")
    elif kind in FILES:
        classes.append("govuk-file-upload")
        if has_errors:
            classes.append("govuk-file-upload--error")
    elif kind == "checkbox":
        classes.append("govuk-checkboxes__input")
    if own:
        classes.append(own)
    return " ".join(classes)


@register.simple_tag
def govuk_control(field: BoundField) -> SafeString:
    """Render the field's own widget (so typed values are kept) with GOV.UK classes and ids.

    The browser's ``required`` attribute is left off: its validation bubbles would pre-empt
    the GOV.UK error summary, and optional fields are marked "(optional)" instead.
    """
    widget = field.field.widget
    if field.widget_type == "clearablefile":
        # "Currently: ... Clear ... Change:" is not a GOV.UK pattern; a replacement file is
        # simply uploaded again.
        widget = forms.FileInput(attrs=widget.attrs)
    if field.field.localize:
        widget.is_localized = True

    attrs: dict[str, str | bool] = {}
    classes = _control_classes(field, widget)
    if classes:
        attrs["class"] = classes
    describedby = govuk_describedby(field, include_info=bool(character_count_limit(field)))
    if describedby and not widget.attrs.get("aria-describedby"):
        attrs["aria-describedby"] = describedby
    if character_count_limit(field):
        # The character count lets people type past the limit and tells them by how much.
        attrs["maxlength"] = False
    if field.widget_type == "email" and "spellcheck" not in widget.attrs:
        attrs["spellcheck"] = "false"
    if govuk_checkbox_reveal(field):
        attrs["data-aria-controls"] = f"conditional-{field.auto_id}"

    attrs = field.build_widget_attrs(attrs, widget)
    attrs.pop("required", None)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    if not describedby:
        attrs.pop("aria-describedby", None)
    return widget.render(
        name=field.html_name,
        value=field.value(),
        attrs=attrs,
        renderer=field.form.renderer,
    )


@register.filter
def govuk_choice_kind(field: BoundField) -> str:
    """ "radios" or "checkboxes" for choice groups rendered in a fieldset, else ""."""
    return CHOICE_GROUPS.get(field.widget_type, "")


@register.filter
def govuk_options(field: BoundField) -> list[dict[str, object]]:
    """The options of a radios/checkboxes group, without Django's blank "---------" choice. An
    option with follow-ups (casework.forms.GovUKForm.reveals) carries them as `reveal`, the bound
    fields drawn under it, and `reveal_id`, the id of the conditional block its input controls."""
    reveals = getattr(field.form, "reveals", {}).get(field.name, {})
    options = []
    for subwidget in field.subwidgets:
        data = subwidget.data
        value = data["value"]
        if value is None or str(value) == "":
            continue
        option_id = data["attrs"].get("id", "")
        reveal = [field.form[name] for name in reveals.get(str(value), ())]
        options.append(
            {
                "id": option_id,
                "name": data["name"],
                "value": str(value),
                "label": data["label"],
                "checked": bool(data["selected"]),
                "disabled": bool(data["attrs"].get("disabled")),
                "reveal": reveal,
                "reveal_id": f"conditional-{option_id}" if reveal else "",
            }
        )
    return options


@register.filter
def govuk_checkbox_reveal(field: BoundField) -> list[BoundField]:
    """A single checkbox's follow-ups (casework.forms.GovUKForm.reveals, under its answer "True"),
    drawn under it in a GOV.UK conditional reveal "conditional-<id>" its input controls."""
    if field.widget_type != "checkbox":
        return []
    names = getattr(field.form, "reveals", {}).get(field.name, {}).get("True", ())
    return [field.form[name] for name in names]


@register.filter
def govuk_error_href(field: BoundField) -> str:
    """Where an error summary link for this field should take focus: the first input."""
    if govuk_choice_kind(field):
        options = govuk_options(field)
        if options and options[0]["id"]:
            return f"#{options[0]['id']}"
    target = field.id_for_label or field.auto_id
    return f"#{target}" if target else ""


@register.filter
def govuk_first_field_href(form: forms.BaseForm) -> str:
    """Link target for errors about the whole form (for example a wrong password)."""
    for field in form.visible_fields():
        return govuk_error_href(field)
    return ""


@register.simple_tag
def govuk_field(field: BoundField, label_size: str = "", page_heading: bool = False) -> SafeString:
    """Render a field group with options the form itself cannot carry.

    ``{% govuk_field form.reason label_size="l" page_heading=True %}`` makes the label (or the
    legend, for radios and checkboxes) the page's <h1>, as GOV.UK question pages do.
    """
    context = field.get_context()
    context.update({"label_size": label_size, "page_heading": page_heading})
    return field.render(context=context)


@register.filter
def minutes(value: timedelta | None) -> int | None:
    """Whole minutes in a timedelta, rounded up (for "try again in N minutes")."""
    if not isinstance(value, timedelta):
        return None
    seconds = int(value.total_seconds())
    return max(1, -(-seconds // 60))
