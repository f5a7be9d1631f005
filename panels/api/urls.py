"""Every panels endpoint, gathered from the modules of panels/api/."""

from panels.api import actions, agenda, attendance, letters, minutes, packs, running

urlpatterns = [
    *agenda.urlpatterns,
    *running.urlpatterns,
    *attendance.urlpatterns,
    *minutes.urlpatterns,
    *letters.urlpatterns,
    *actions.urlpatterns,
    *packs.urlpatterns,
]
