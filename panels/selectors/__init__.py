"""Every read a panels page or endpoint needs, one module per part of a panel's work. Each module
lists its selectors in `__all__`; they are all reachable as `panels.selectors.<name>`."""

from panels.selectors.actions import *  # noqa: F403
from panels.selectors.agenda import *  # noqa: F403
from panels.selectors.meetings import *  # noqa: F403
from panels.selectors.minutes import *  # noqa: F403
from panels.selectors.packs import *  # noqa: F403
from panels.selectors.running import *  # noqa: F403
