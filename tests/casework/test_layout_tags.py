"""{% table_scroll %} (casework/templatetags/layout.py): a wide table in a labelled, focusable
scroll region, so a 320 px screen scrolls the table and not the page (issue 16, WCAG 1.4.10)."""

from __future__ import annotations

import pytest
from django.template import Context, Template, TemplateSyntaxError


def render(source: str, **context) -> str:
    return Template("{% load layout %}" + source).render(Context(context))


def test_the_table_sits_in_a_labelled_focusable_region():
    html = render('{% table_scroll "Funding matrix" %}<table></table>{% endtable_scroll %}')
    assert html == (
        '<div class="app-table-scroll" role="region" aria-label="Funding matrix" tabindex="0">'
        "<table></table></div>"
    )


def test_the_label_can_be_a_variable_and_is_escaped():
    html = render("{% table_scroll caption %}<table></table>{% endtable_scroll %}", caption='Tom & "Jerry"')
    assert 'aria-label="Tom &amp; &quot;Jerry&quot;"' in html
    assert "<table></table>" in html


def test_a_region_without_a_label_is_refused():
    with pytest.raises(TemplateSyntaxError, match="label"):
        render("{% table_scroll %}<table></table>{% endtable_scroll %}")
