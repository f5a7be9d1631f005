"""Page layout helpers for small screens (WCAG 2.2 reflow, 1.4.10; issue 16).

    {% load layout %}
    {% table_scroll "Funding matrix" %}<table class="govuk-table">…</table>{% endtable_scroll %}

puts a table that can be wider than a 320 px screen in its own scroll region: labelled (so a
screen reader names it), focusable (so it scrolls from the keyboard), styled by .app-table-scroll
in static/app/scss/app.scss. The page around it never scrolls sideways.
"""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, Parser, Token
from django.template.context import Context
from django.utils.html import format_html

register = template.Library()


class TableScrollNode(template.Node):
    def __init__(self, label: FilterExpression, nodelist: template.NodeList) -> None:
        self.label = label
        self.nodelist = nodelist

    def render(self, context: Context) -> str:
        return format_html(
            '<div class="app-table-scroll" role="region" aria-label="{}" tabindex="0">{}</div>',
            self.label.resolve(context),
            self.nodelist.render(context),
        )


@register.tag
def table_scroll(parser: Parser, token: Token) -> TableScrollNode:
    """{% table_scroll label %}…{% endtable_scroll %}: the label names the region ("Funding matrix")."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument: the region's label")
    nodelist = parser.parse(("endtable_scroll",))
    parser.delete_first_token()
    return TableScrollNode(parser.compile_filter(bits[1]), nodelist)
