"""Every write to funding packages, one module per part of a package's life: creating it and its
versions (packages), approving, querying and disputing shares (shares), and varying it, recording
a CETR and ending it (variations). Each module lists its services in `__all__`; they are all
reachable as `funding.services.<name>`.

Concurrency: every action locks the package row first (select_for_update) and checks the version
the person was looking at, so an approval made on a version that has since changed is refused
(InvalidTransition → 409) and two approvers acting at once cannot both win; share status changes
are compare-and-swap updates on top of that.
"""

from funding.services.packages import *  # noqa: F403
from funding.services.reassign import *  # noqa: F403
from funding.services.shares import *  # noqa: F403
from funding.services.variations import *  # noqa: F403
