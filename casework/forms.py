"""HTML forms for the core domain, rendered as GOV.UK form groups."""

from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class GovUKFormRenderer(TemplatesSetting):
    """Renders every bound field through templates/govuk/field.html (label, hint, error, input)."""

    field_template_name = "govuk/field.html"
