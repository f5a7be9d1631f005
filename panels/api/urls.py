"""Every panels endpoint, gathered from the modules of panels/api/."""

from panels.api import actions, agenda, letters, minutes, running

urlpatterns = [
    *agenda.urlpatterns,
    *running.urlpatterns,
    *minutes.urlpatterns,
    *letters.urlpatterns,
    *actions.urlpatterns,
]
