"""Every write to panels, one module per part of a panel's work. Each module lists its services in
`__all__`; they are all reachable as `panels.services.<name>`."""

from panels.services.actions import *  # noqa: F403
from panels.services.agenda import *  # noqa: F403
from panels.services.attendance import *  # noqa: F403
from panels.services.decision_rules import *  # noqa: F403
from panels.services.decisions import *  # noqa: F403
from panels.services.letters import *  # noqa: F403
from panels.services.meetings import *  # noqa: F403
from panels.services.minutes import *  # noqa: F403
from panels.services.packs import *  # noqa: F403
from panels.services.recommendations import *  # noqa: F403
from panels.services.running import *  # noqa: F403
