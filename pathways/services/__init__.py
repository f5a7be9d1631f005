"""Every write to pathways, one module per pathway and per part of the escalation ladder. Each
module lists its services in `__all__`; they are all reachable as `pathways.services.<name>`."""

from pathways.services.authorisers import *  # noqa: F403
from pathways.services.cases import *  # noqa: F403
from pathways.services.complex_lives import *  # noqa: F403
from pathways.services.continuing_care import *  # noqa: F403
from pathways.services.escalation_groups import *  # noqa: F403
from pathways.services.escalations import *  # noqa: F403
from pathways.services.ifr import *  # noqa: F403
from pathways.services.reassign import *  # noqa: F403
from pathways.services.section117 import *  # noqa: F403
