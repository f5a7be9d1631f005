"""Forms for pathways pages: pathway cases, the escalation ladder, and the partnership
administrator's escalation authorisers and settings. Each module lists its forms in `__all__`; they
are all reachable as `pathways.forms.<name>`."""

from pathways.forms.authorisers import *  # noqa: F403
from pathways.forms.cases import *  # noqa: F403
from pathways.forms.escalations import *  # noqa: F403
