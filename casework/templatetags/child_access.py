"""Links to a child's record only for someone it opens for (issue 16: no link to a page the person
cannot use). The check is casework.access.can_see_child, the same rule the child's page applies.

    {% load child_access %}
    {% if referral.child|opens_for:request.user %}<a href="…">{{ referral.child.full_name }}</a>{% else %}…{% endif %}
"""

from __future__ import annotations

from django import template

from casework import access
from casework.models import Child

register = template.Library()


@register.filter
def opens_for(child: Child, user) -> bool:
    """True if `user` may open the child's page (one query)."""
    return access.can_see_child(user=user, child_id=child.pk)
