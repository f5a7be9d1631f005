"""HTML forms for referrals, rendered as GOV.UK form groups (casework.forms.GovUKFormRenderer).

Forms only parse what the user typed; the rules (what a complete referral is, how a split must add
up, who may do what) live in referrals/services/. Their ValidationErrors are put back on the form
next to the right field, so nothing typed is lost.

A draft may be saved at any point with anything missing: section fields are "needed" (not labelled
optional, since sign-off demands them) but a blank one is accepted until then (`Needed`).

One module per part of the journey: fields (what every form is made of), drafting (start, details,
sections), options (an option, its costs and split), journey (evidence, sign-off, meeting,
withdraw, close) and lists. Pages import each form from its module.
"""

from __future__ import annotations

# What the forms need from panels (the meeting a referral goes to), imported here once: pyproject's
# import contract declares this exception for `referrals.forms`, and journey takes it from here.
from panels.models import Meeting

__all__ = ["Meeting"]
