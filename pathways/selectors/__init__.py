"""Every read a pathways page or endpoint needs: pathway cases, and the escalation ladder with its
clocks. Each module lists its selectors in `__all__`; they are all reachable as
`pathways.selectors.<name>`."""

from pathways.selectors.cases import *  # noqa: F403
from pathways.selectors.escalations import *  # noqa: F403
