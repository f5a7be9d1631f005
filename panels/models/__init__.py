"""The panels app's models, one module per part of a panel's work."""

from panels.models.agenda import (  # noqa: F401
    AgendaItem,
    AgendaItemKind,
    Attendance,
    AttendanceStatus,
    Declaration,
    DeclarationAction,
    PapersGrant,
    PapersGrantReason,
)
from panels.models.decisions import (  # noqa: F401
    AGREED_OUTCOMES,
    AgencyRecommendation,
    Decision,
    DecisionShare,
    DecisionStatus,
    Outcome,
    RecommendationStatus,
)
from panels.models.meetings import (  # noqa: F401
    CHAIRING_ROLES,
    WEEKDAYS,
    WEEKS_OF_MONTH,
    CadenceRule,
    ClosureDay,
    Meeting,
    MeetingDeadlines,
    MeetingStatus,
    MemberRole,
    Membership,
    MembershipQuerySet,
    Panel,
    PanelKind,
    meeting_deadlines,
)
from panels.models.records import (  # noqa: F401
    Action,
    ActionStatus,
    ActionUpdate,
    DecisionLetter,
    LetterRecipient,
    MeetingPack,
    Minutes,
    MinutesStatus,
    PackStatus,
)
