"""The pathways REST API, mounted under /api/ by casework/api_urls.py."""

from django.urls import re_path

from casework.api import ANY_ID
from pathways import api

urlpatterns = [
    re_path(
        rf"^children/(?P<child_pk>{ANY_ID})/pathway-cases/$",
        api.ChildCasesView.as_view(),
        name="api-pathway-child-cases",
    ),
    re_path(
        rf"^children/(?P<child_pk>{ANY_ID})/pathway-cases/(?P<kind>{ANY_ID})/$",
        api.CaseStartView.as_view(),
        name="api-pathway-case-start",
    ),
    re_path(rf"^pathway-cases/(?P<pk>{ANY_ID})/$", api.CaseView.as_view(), name="api-pathway-case"),
    re_path(
        rf"^pathway-cases/(?P<pk>{ANY_ID})/(?P<action>{ANY_ID})/$",
        api.CaseActionView.as_view(),
        name="api-pathway-case-action",
    ),
]

# The escalation ladder (seeds 002): its own module so the two pathways helpers' files do not collide.
from pathways import escalation_api  # noqa: E402

urlpatterns += escalation_api.urlpatterns
