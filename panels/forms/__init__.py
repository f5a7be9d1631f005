"""Forms for panels pages, one module per part of a panel's work."""

from panels.forms.meetings import *  # noqa: F403
