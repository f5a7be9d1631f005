"""Every panels endpoint, gathered from the modules of panels/api/."""

from panels.api import (
    actions,
    agenda,
    attendance,
    decisions,
    letters,
    minutes,
    packs,
    recommendations,
    running,
)

urlpatterns = [
    *agenda.urlpatterns,
    *running.urlpatterns,
    *decisions.urlpatterns,
    *recommendations.urlpatterns,
    *attendance.urlpatterns,
    *minutes.urlpatterns,
    *letters.urlpatterns,
    *actions.urlpatterns,
    *packs.urlpatterns,
]
