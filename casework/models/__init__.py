"""The core domain's models, one module per part: agencies, people, children, care (kinds of service,
CETRs), the audit trails, notices and background jobs.

Invariants live in the models (field validation, constraints); every write goes through
casework/services. Every name is re-exported here, so `from casework.models import X` is the way in.
"""

from casework.models.agencies import NHS_KINDS, Agency, AgencyKind, Team  # noqa: F401
from casework.models.audit import AuditEvent, ChildListViewLog, ChildViewLog  # noqa: F401
from casework.models.care import CetrRecord, ProviderKind  # noqa: F401
from casework.models.children import (  # noqa: F401
    LOOKED_AFTER_STATUSES,
    AccessRequest,
    AccessRequestStatus,
    Child,
    ChildUserObjectPermission,
    DSRRating,
    Gender,
    Involvement,
    InvolvementRole,
    LegalStatus,
    ParentCarer,
    SchoolType,
    SharingBasis,
)
from casework.models.jobs import BackgroundJob, Heartbeat, JobStatus  # noqa: F401
from casework.models.notices import Notification, ReminderSent  # noqa: F401
from casework.models.people import ApiToken, Role, TokenScope, User, UserManager  # noqa: F401
from casework.models.reviews import AccessReview, ReviewDecision  # noqa: F401
